/**
 * Cheap structural checks on an SDP offer before it reaches the SFU, so the
 * common mistakes (empty body, JSON instead of SDP, an answer instead of an
 * offer) get a precise one-line 400 instead of a parser stack trace.
 * Codec negotiation stays in sfu/; this only looks at the envelope.
 */
import { BadRequestError } from '../errors.ts';

export const MAX_SDP_BYTES = 64 * 1024;

export interface OfferSummary {
  /** Session-level or first media-level ice-ufrag; used to recognise ICE restarts in PATCH. */
  readonly iceUfrag: string | undefined;
  readonly mediaCount: number;
}

export function checkSdpOffer(sdp: string): OfferSummary {
  if (sdp.trim().length === 0) throw new BadRequestError('empty SDP offer: send the offer from RTCPeerConnection.createOffer() as the body', 'bad_sdp');
  if (Buffer.byteLength(sdp, 'utf8') > MAX_SDP_BYTES) throw new BadRequestError(`SDP offer is larger than ${MAX_SDP_BYTES} bytes`, 'bad_sdp');
  const lines = sdp.split(/\r?\n/);
  if (lines[0]?.trim() !== 'v=0') throw new BadRequestError('malformed SDP offer: the first line must be "v=0"', 'bad_sdp');
  const mediaCount = lines.filter((l) => l.startsWith('m=')).length;
  if (mediaCount === 0) throw new BadRequestError('malformed SDP offer: no m= section (add an audio or video track before createOffer())', 'bad_sdp');
  if (!lines.some((l) => l.startsWith('a=fingerprint:'))) {
    throw new BadRequestError('malformed SDP offer: no a=fingerprint line (WebRTC needs DTLS)', 'bad_sdp');
  }
  const ufragLine = lines.find((l) => l.startsWith('a=ice-ufrag:'));
  return { iceUfrag: ufragLine?.slice('a=ice-ufrag:'.length).trim(), mediaCount };
}
