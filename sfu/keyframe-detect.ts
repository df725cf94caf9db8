/**
 * Spots the first RTP packet of a keyframe from the payload alone, so a viewer
 * can start (or switch simulcast layer) exactly where the decoder can begin.
 * Only the packet that opens a keyframe counts, so forwarding from it hands the
 * decoder a whole keyframe.
 */

export type KeyframeCodec = 'h264' | 'vp8' | 'other';

export function keyframeCodecOf(mimeType: string): KeyframeCodec {
  const m = mimeType.toLowerCase();
  if (m === 'video/h264') return 'h264';
  if (m === 'video/vp8') return 'vp8';
  return 'other';
}

export function isKeyframeStart(codec: KeyframeCodec, payload: Uint8Array): boolean {
  if (codec === 'h264') return isH264KeyframeStart(payload);
  if (codec === 'vp8') return isVp8KeyframeStart(payload);
  return false;
}

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;

/**
 * RFC 6184: an SPS or IDR slice as a single NAL unit, inside a STAP-A aggregate,
 * or as the first fragment of an FU-A. Chromium sends SPS+PPS in a STAP-A ahead
 * of the IDR, so that packet is the one that opens the keyframe.
 */
function isH264KeyframeStart(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const type = p[0]! & 0x1f;
  if (type === NAL_SPS || type === NAL_IDR) return true;
  if (type === NAL_STAP_A) {
    let offset = 1;
    while (offset + 2 < p.length) {
      const size = (p[offset]! << 8) | p[offset + 1]!;
      const nal = p[offset + 2]! & 0x1f;
      if (nal === NAL_SPS || nal === NAL_IDR) return true;
      offset += 2 + size;
    }
    return false;
  }
  if (type === NAL_FU_A) {
    if (p.length < 2) return false;
    const start = (p[1]! & 0x80) !== 0;
    const nal = p[1]! & 0x1f;
    return start && (nal === NAL_IDR || nal === NAL_SPS);
  }
  return false;
}

/**
 * RFC 7741: the payload descriptor's S bit with partition index 0 marks the start
 * of a frame; the VP8 payload header's P bit is 0 for a keyframe.
 */
function isVp8KeyframeStart(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  const start = (b0 & 0x10) !== 0;
  const partition = b0 & 0x07;
  if (!start || partition !== 0) return false;
  let offset = 1;
  if (b0 & 0x80) {
    // X: extension byte follows, with optional PictureID (I), TL0PICIDX (L), TID/KEYIDX (T/K).
    if (p.length < 2) return false;
    const x = p[1]!;
    offset = 2;
    if (x & 0x80) {
      if (p.length <= offset) return false;
      offset += p[offset]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) offset += 1;
    if (x & 0x30) offset += 1;
  }
  if (p.length <= offset) return false;
  return (p[offset]! & 0x01) === 0;
}

const NAL_NON_IDR_SLICE = 1;

/**
 * Whether a packet opens a frame (any frame, not only a keyframe), from the
 * payload alone. Conservative for H.264: only the openings Chromium uses (a
 * STAP-A, an SPS, or the first fragment or whole of a non-IDR slice), so an
 * IDR slice that follows its SPS/PPS is not taken for a frame start.
 */
export function isFrameStart(codec: KeyframeCodec, p: Uint8Array): boolean {
  if (p.length < 1) return false;
  if (codec === 'vp8') return (p[0]! & 0x10) !== 0 && (p[0]! & 0x07) === 0;
  if (codec !== 'h264') return false;
  const type = p[0]! & 0x1f;
  if (type === NAL_STAP_A || type === NAL_SPS || type === NAL_NON_IDR_SLICE) return true;
  if (type === NAL_FU_A) return p.length >= 2 && (p[1]! & 0x80) !== 0 && (p[1]! & 0x1f) === NAL_NON_IDR_SLICE;
  return false;
}
