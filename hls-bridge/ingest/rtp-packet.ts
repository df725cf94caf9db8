/**
 * RTP fixed-header reading (RFC 3550 §5.1): just what the bridge needs to gate,
 * time and inspect packets. The packet itself is forwarded untouched.
 */

export interface RtpHeader {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** Byte range of the payload inside the packet (CSRCs, extension and padding removed). */
  readonly payloadOffset: number;
  readonly payloadEnd: number;
}

export function parseRtpHeader(packet: Uint8Array): RtpHeader | null {
  if (packet.length < 12) return null;
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return null;
  const csrcCount = b0 & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (b0 & 0x10) {
    if (packet.length < offset + 4) return null;
    const words = (packet[offset + 2]! << 8) | packet[offset + 3]!;
    offset += 4 + 4 * words;
  }
  let end = packet.length;
  if (b0 & 0x20) end -= packet[packet.length - 1]!;
  if (offset > end) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payloadOffset: offset,
    payloadEnd: end,
  };
}
