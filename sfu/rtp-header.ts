/**
 * Writes an RTP header (RFC 3550) with header extensions (RFC 8285) straight
 * into a buffer: the per-packet, per-viewer step before SRTP protection, with
 * no intermediate objects.
 */

export interface HeaderExtension {
  readonly id: number;
  readonly payload: Buffer;
}

/** RFC 8285 profiles: one-byte headers (ids 1-14, 1-16 bytes), two-byte headers (ids 1-255, 0-255 bytes). */
const ONE_BYTE_PROFILE = 0xbede;
const TWO_BYTE_PROFILE = 0x1000;

/** Longest header writeRtpHeader can produce with `extensions` (for sizing a scratch buffer). */
export function maxRtpHeaderLength(extensions: readonly HeaderExtension[]): number {
  let length = 12 + 4 + 3;
  for (const ext of extensions) length += 2 + ext.payload.length;
  return length;
}

/**
 * Writes the header into `out` from offset 0 and returns its length (a
 * multiple of 4). The first `count` entries of `extensions` are written, in
 * order; with the one-byte profile, empty payloads (not representable) are skipped.
 */
export function writeRtpHeader(
  out: Buffer,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
  extensions: readonly HeaderExtension[],
  count: number,
  twoByte: boolean,
): number {
  out[0] = count > 0 ? 0x90 : 0x80; // version 2, no padding, extension bit, no CSRCs
  out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  out[2] = (sequenceNumber >>> 8) & 0xff;
  out[3] = sequenceNumber & 0xff;
  out.writeUInt32BE(timestamp >>> 0, 4);
  out.writeUInt32BE(ssrc >>> 0, 8);
  if (count === 0) return 12;
  out.writeUInt16BE(twoByte ? TWO_BYTE_PROFILE : ONE_BYTE_PROFILE, 12);
  let o = 16;
  for (let i = 0; i < count; i++) {
    const { id, payload } = extensions[i]!;
    const length = payload.length;
    if (twoByte) {
      out[o++] = id;
      out[o++] = length;
    } else {
      if (length === 0) continue;
      out[o++] = (id << 4) | (length - 1);
    }
    for (let j = 0; j < length; j++) out[o + j] = payload[j]!;
    o += length;
  }
  while ((o & 3) !== 0) out[o++] = 0;
  out.writeUInt16BE((o - 16) >>> 2, 14);
  return o;
}
