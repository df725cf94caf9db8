/**
 * Codec ordering for offers. H.264 first: phones encode and decode it in
 * hardware, and the SFU forwards the publisher's codec untouched. Among H.264
 * entries, packetization-mode=1 and constrained baseline (42e01f) first:
 * the profile every browser can decode.
 */

export interface CodecLike {
  mimeType: string;
  sdpFmtpLine?: string;
}

function h264Rank(codec: CodecLike): number {
  const fmtp = codec.sdpFmtpLine ?? '';
  const mode1 = /packetization-mode=1/.test(fmtp) ? 0 : 4;
  const profile = /profile-level-id=([0-9a-f]{6})/i.exec(fmtp)?.[1]?.toLowerCase() ?? '';
  const profileRank = profile.startsWith('42e0') ? 0 : profile.startsWith('4200') ? 1 : 2;
  return mode1 + profileRank;
}

/** `codecs` with `preferredMime` entries first (stable otherwise); H.264 ranked as above. */
export function orderCodecs<C extends CodecLike>(codecs: readonly C[], preferredMime = 'video/H264'): C[] {
  const wanted = preferredMime.toLowerCase();
  const preferred = codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
  if (wanted === 'video/h264') preferred.sort((a, b) => h264Rank(a) - h264Rank(b));
  return [...preferred, ...codecs.filter((c) => c.mimeType.toLowerCase() !== wanted)];
}

/** Applies the ordering to a transceiver when the browser supports it; returns whether it did. */
export function preferCodec(transceiver: RTCRtpTransceiver, direction: 'send' | 'recv', preferredMime = 'video/H264'): boolean {
  const caps = direction === 'send' ? RTCRtpSender.getCapabilities('video') : RTCRtpReceiver.getCapabilities('video');
  if (!caps || typeof transceiver.setCodecPreferences !== 'function') return false;
  if (!caps.codecs.some((c) => c.mimeType.toLowerCase() === preferredMime.toLowerCase())) return false;
  try {
    // Receiver capabilities must be used for setCodecPreferences on recvonly; sender ones work for sendonly in Chromium/Safari.
    transceiver.setCodecPreferences(orderCodecs(caps.codecs, preferredMime));
    return true;
  } catch {
    return false; // Firefox rejects sender-only codecs; its default order is fine
  }
}
