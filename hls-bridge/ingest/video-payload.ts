/**
 * Looks inside a video RTP payload for what the bridge needs before and while
 * ffmpeg runs: does this packet open a keyframe (forwarding starts there, so the
 * decoder gets a whole one), and the coded size when the packet carries it
 * (H.264 SPS, VP8 keyframe header, VP9 scalability structure).
 */
import { parseH264Sps } from './h264-sps.ts';

export type VideoCodecName = 'h264' | 'vp8' | 'vp9';

export interface VideoPayloadInfo {
  readonly keyframeStart: boolean;
  readonly width?: number;
  readonly height?: number;
}

const NOT_KEY: VideoPayloadInfo = { keyframeStart: false };

export function videoCodecName(mimeType: string): VideoCodecName | null {
  const m = mimeType.toLowerCase();
  if (m === 'video/h264') return 'h264';
  if (m === 'video/vp8') return 'vp8';
  if (m === 'video/vp9') return 'vp9';
  return null;
}

export function inspectVideoPayload(codec: VideoCodecName, p: Uint8Array): VideoPayloadInfo {
  if (p.length < 2) return NOT_KEY;
  if (codec === 'h264') return inspectH264(p);
  if (codec === 'vp8') return inspectVp8(p);
  return inspectVp9(p);
}

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;

/** RFC 6184: single NAL, STAP-A (Chromium puts SPS+PPS there ahead of the IDR) or FU-A start. */
function inspectH264(p: Uint8Array): VideoPayloadInfo {
  const type = p[0]! & 0x1f;
  if (type === NAL_SPS) return withSize(true, parseH264Sps(p));
  if (type === NAL_IDR) return { keyframeStart: true };
  if (type === NAL_STAP_A) {
    let offset = 1;
    let key = false;
    let info: VideoPayloadInfo | null = null;
    while (offset + 2 < p.length) {
      const size = (p[offset]! << 8) | p[offset + 1]!;
      const nal = p.subarray(offset + 2, offset + 2 + size);
      const nalType = nal[0]! & 0x1f;
      if (nalType === NAL_SPS) {
        key = true;
        info = withSize(true, parseH264Sps(nal));
      } else if (nalType === NAL_IDR) key = true;
      offset += 2 + size;
    }
    return info ?? (key ? { keyframeStart: true } : NOT_KEY);
  }
  if (type === NAL_FU_A) {
    const start = (p[1]! & 0x80) !== 0;
    return start && (p[1]! & 0x1f) === NAL_IDR ? { keyframeStart: true } : NOT_KEY;
  }
  return NOT_KEY;
}

function withSize(key: boolean, sps: { width: number; height: number } | null): VideoPayloadInfo {
  return sps ? { keyframeStart: key, width: sps.width, height: sps.height } : { keyframeStart: key };
}

/** RFC 7741 payload descriptor, then the VP8 frame tag (P bit 0 = keyframe) and its 14-bit sizes. */
function inspectVp8(p: Uint8Array): VideoPayloadInfo {
  const b0 = p[0]!;
  if ((b0 & 0x10) === 0 || (b0 & 0x07) !== 0) return NOT_KEY;
  let o = 1;
  if (b0 & 0x80) {
    const x = p[1]!;
    o = 2;
    if (x & 0x80) o += (p[o] ?? 0) & 0x80 ? 2 : 1;
    if (x & 0x40) o += 1;
    if (x & 0x30) o += 1;
  }
  if (p.length <= o || (p[o]! & 0x01) !== 0) return NOT_KEY;
  // Frame tag (3 bytes), start code 9d 01 2a, then width/height little-endian with 2 scale bits.
  if (p.length >= o + 10 && p[o + 3] === 0x9d && p[o + 4] === 0x01 && p[o + 5] === 0x2a) {
    const width = (p[o + 6]! | (p[o + 7]! << 8)) & 0x3fff;
    const height = (p[o + 8]! | (p[o + 9]! << 8)) & 0x3fff;
    return { keyframeStart: true, width, height };
  }
  return { keyframeStart: true };
}

/** draft-ietf-payload-vp9: B=1 and P=0 open a keyframe; the SS block (V=1) carries layer sizes. */
function inspectVp9(p: Uint8Array): VideoPayloadInfo {
  const b0 = p[0]!;
  const interPicture = (b0 & 0x40) !== 0;
  const begin = (b0 & 0x08) !== 0;
  if (interPicture || !begin) return NOT_KEY;
  let o = 1;
  if (b0 & 0x80) o += (p[o] ?? 0) & 0x80 ? 2 : 1; // picture id
  if (b0 & 0x20) o += b0 & 0x10 ? 1 : 2; // layer indices (+ TL0PICIDX in non-flexible mode)
  if (!(b0 & 0x02) || p.length <= o) return { keyframeStart: true };
  const ss = p[o]!;
  const layers = (ss >> 5) + 1;
  if (!(ss & 0x10) || p.length < o + 1 + 4 * layers) return { keyframeStart: true };
  // The last (highest) spatial layer is the full picture.
  const at = o + 1 + 4 * (layers - 1);
  return { keyframeStart: true, width: (p[at]! << 8) | p[at + 1]!, height: (p[at + 2]! << 8) | p[at + 3]! };
}
