/**
 * Decode-time surgery on archived fMP4 segments: read the first decode time, and move
 * every fragment of a segment by the same number of ticks, so a rendition's
 * concatenated segments start at the VOD origin instead of the live stream's epoch.
 */
import { childBoxes, parseMoof, writeBaseMediaDecodeTime, type BoxHeader } from '../fmp4/fmp4-boxes.ts';

const NO_DEFAULTS = new Map<number, never>();

/** Decode time of the first fragment in a segment, in the track's timescale; null if it holds none. */
export function firstDecodeTime(segment: Uint8Array): number | null {
  for (const moof of topLevel(segment, 'moof')) {
    const traf = parseMoof(segment, moof, NO_DEFAULTS)[0];
    if (traf) return traf.baseMediaDecodeTime;
  }
  return null;
}

/** Subtracts `shiftTicks` from every tfdt in the segment, in place (never below zero). */
export function shiftDecodeTimes(segment: Uint8Array, shiftTicks: number): void {
  if (shiftTicks === 0) return;
  for (const moof of topLevel(segment, 'moof')) {
    for (const traf of parseMoof(segment, moof, NO_DEFAULTS)) {
      writeBaseMediaDecodeTime(segment, traf.tfdtStart, Math.max(0, traf.baseMediaDecodeTime - shiftTicks));
    }
  }
}

function* topLevel(buf: Uint8Array, type: string): Generator<BoxHeader> {
  for (const box of childBoxes(buf, 0, buf.length)) if (box.type === type) yield box;
}
