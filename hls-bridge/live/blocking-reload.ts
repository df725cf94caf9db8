/**
 * Delivery directives of a media playlist request (RFC 8216bis §6.2.5): _HLS_msn,
 * _HLS_part and _HLS_skip. Decides whether a blocking reload is answerable now, must
 * wait, or is refused (400) because it asks too far ahead.
 */
import type { MediaPlaylist } from './MediaPlaylist.ts';

export interface DeliveryDirectives {
  readonly msn?: number;
  readonly part?: number;
  readonly skip: boolean;
}

export type DirectiveParse = { readonly ok: true; readonly directives: DeliveryDirectives } | { readonly ok: false; readonly reason: string };

const UINT = /^\d{1,12}$/;

export function parseDirectives(query: URLSearchParams): DirectiveParse {
  const msnRaw = query.get('_HLS_msn');
  const partRaw = query.get('_HLS_part');
  const skipRaw = query.get('_HLS_skip');
  if (msnRaw !== null && !UINT.test(msnRaw)) return { ok: false, reason: '_HLS_msn must be a non-negative integer' };
  if (partRaw !== null && !UINT.test(partRaw)) return { ok: false, reason: '_HLS_part must be a non-negative integer' };
  if (partRaw !== null && msnRaw === null) return { ok: false, reason: '_HLS_part needs _HLS_msn' };
  if (skipRaw !== null && skipRaw !== 'YES' && skipRaw !== 'v2') return { ok: false, reason: '_HLS_skip must be YES or v2' };
  const directives: { msn?: number; part?: number; skip: boolean } = { skip: skipRaw !== null };
  if (msnRaw !== null) directives.msn = Number(msnRaw);
  if (partRaw !== null) directives.part = Number(partRaw);
  return { ok: true, directives };
}

/**
 * The spec's limits: more than two segments past the last one, or more parts ahead than
 * the Advance Part Limit (3 / PART-TARGET when the target is under a second).
 */
export function tooFarAhead(p: MediaPlaylist, d: DeliveryDirectives): boolean {
  // An ended playlist is final: any request gets it at once.
  if (d.msn === undefined || p.ended) return false;
  const lastMsn = p.lastMsn;
  if (d.msn > lastMsn + 2) return true;
  if (d.part === undefined) return false;
  const last = p.lastPart();
  const partLimit = p.partTargetSec < 1 ? 3 / p.partTargetSec : 3;
  const partsPerSegment = Math.ceil(p.targetDurationSec / p.partTargetSec);
  const lastMsnOfParts = last?.msn ?? -1;
  const lastIndex = last?.index ?? -1;
  const ahead = (d.msn - lastMsnOfParts) * partsPerSegment + (d.part - lastIndex);
  return ahead > partLimit;
}

/** True once the playlist can answer the request (or never will because the stream ended). */
export function directivesSatisfied(p: MediaPlaylist, d: DeliveryDirectives): boolean {
  if (p.ended || d.msn === undefined) return true;
  if (d.msn < p.mediaSequence) return true;
  if (d.part === undefined) return p.hasSegmentAtOrAfter(d.msn);
  return p.hasPartAtOrAfter(d.msn, d.part);
}
