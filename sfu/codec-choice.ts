/**
 * Which codec the SFU forwards. The publisher's offer decides the stream's codec
 * (H.264 preferred, else VP8; Opus for audio); each viewer must then offer a codec
 * that can carry those exact packets, since the SFU never transcodes.
 * H.264 is matched by profile family per RFC 6184: constrained baseline (42e0xx)
 * and baseline (4200xx) decode the same streams for our purpose, so they match.
 */
import type { OfferCodec } from './sdp-offer.ts';

/** What a stream carries, independent of any one peer's payload type numbering. */
export interface CodecDescriptor {
  readonly mimeType: string;
  readonly clockRate: number;
  readonly channels: number | undefined;
  /** fmtp parameters, lower-cased keys. */
  readonly params: ReadonlyMap<string, string>;
}

export type H264Family = 'baseline' | 'main' | 'extended' | 'high' | 'high10' | 'high422' | 'high444' | 'unknown';

/** Preferred H.264 families for the publisher: the most widely decodable first. */
const H264_FAMILY_PREFERENCE: readonly H264Family[] = ['baseline', 'main', 'high'];

/** RFC 6184 §8.1: profile-level-id defaults to 420010 (baseline) when absent. */
const DEFAULT_PROFILE_LEVEL_ID = '420010';

export function isH264(codec: { mimeType: string }): boolean {
  return codec.mimeType.toLowerCase() === 'video/h264';
}

export function isVp8(codec: { mimeType: string }): boolean {
  return codec.mimeType.toLowerCase() === 'video/vp8';
}

export function isOpus(codec: { mimeType: string }): boolean {
  return codec.mimeType.toLowerCase() === 'audio/opus';
}

/** Profile family from a profile-level-id (6 hex digits), following libwebrtc's profile table. */
export function h264Family(profileLevelId: string | undefined): H264Family {
  const id = (profileLevelId ?? DEFAULT_PROFILE_LEVEL_ID).toLowerCase();
  if (!/^[0-9a-f]{6}$/.test(id)) return 'unknown';
  const idc = parseInt(id.slice(0, 2), 16);
  const iop = parseInt(id.slice(2, 4), 16);
  const set0 = (iop & 0x80) !== 0;
  const set1 = (iop & 0x40) !== 0;
  switch (idc) {
    case 0x42: // baseline; constraint_set1 makes it constrained baseline: same family here
      return 'baseline';
    case 0x4d: // main; constraint_set1 makes it constrained baseline (a subset of main)
      return set1 ? 'baseline' : 'main';
    case 0x58: // extended; with set0+set1 it is constrained baseline, with set0 baseline
      return set0 ? 'baseline' : 'extended';
    case 0x64:
      return 'high';
    case 0x6e:
      return 'high10';
    case 0x7a:
      return 'high422';
    case 0xf4:
      return 'high444';
    default:
      return 'unknown';
  }
}

/** RFC 6184: packetization-mode defaults to 0 (single NAL unit) when absent. */
export function h264PacketizationMode(params: ReadonlyMap<string, string>): number {
  const raw = params.get('packetization-mode');
  return raw === undefined ? 0 : Number(raw);
}

/** True when packets produced for `source` can be sent to a peer that negotiated `target`. */
export function isCodecCompatible(source: CodecDescriptor, target: CodecDescriptor): boolean {
  if (source.mimeType.toLowerCase() !== target.mimeType.toLowerCase()) return false;
  if (source.clockRate !== target.clockRate) return false;
  if (source.mimeType.toLowerCase().startsWith('audio/') && (source.channels ?? 1) !== (target.channels ?? 1)) return false;
  if (!isH264(source)) return true;
  if (h264PacketizationMode(source.params) !== h264PacketizationMode(target.params)) return false;
  const family = h264Family(source.params.get('profile-level-id'));
  return family !== 'unknown' && family === h264Family(target.params.get('profile-level-id'));
}

/**
 * The publisher's video codec: H.264 with packetization-mode=1 (a baseline-family
 * profile first), else VP8. Undefined when the offer has neither.
 */
export function choosePublisherVideoCodec(codecs: readonly OfferCodec[]): OfferCodec | undefined {
  const h264 = codecs.filter((c) => isH264(c) && h264PacketizationMode(c.params) === 1);
  for (const family of H264_FAMILY_PREFERENCE) {
    const match = h264.find((c) => h264Family(c.params.get('profile-level-id')) === family);
    if (match) return match;
  }
  return codecs.find((c) => isVp8(c) && c.clockRate === 90000);
}

/** The publisher's audio codec: Opus 48 kHz stereo signalling (RFC 7587). */
export function choosePublisherAudioCodec(codecs: readonly OfferCodec[]): OfferCodec | undefined {
  return codecs.find((c) => isOpus(c) && c.clockRate === 48000);
}

/** The viewer's first offered codec that can carry the stream's packets unchanged. */
export function matchViewerCodec(offered: readonly OfferCodec[], source: CodecDescriptor): OfferCodec | undefined {
  return offered.find((c) => isCodecCompatible(source, c));
}

/** Short human-readable codec name for error messages, e.g. "H.264 (profile-level-id 42001f, packetization-mode 1)". */
export function describeCodec(codec: CodecDescriptor): string {
  if (isH264(codec)) {
    return `H.264 (profile-level-id ${codec.params.get('profile-level-id') ?? DEFAULT_PROFILE_LEVEL_ID}, packetization-mode ${h264PacketizationMode(codec.params)})`;
  }
  const slash = codec.mimeType.indexOf('/');
  return slash === -1 ? codec.mimeType : codec.mimeType.slice(slash + 1);
}
