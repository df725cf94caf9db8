/**
 * Fills a MediaPlaylist with synthetic parts and segments for unit tests of the
 * playlist, renderer, blocking reload and origin (no ffmpeg needed).
 */
import { MediaPlaylist } from '../live/MediaPlaylist.ts';

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

export function newPlaylist(name = '720p', windowSegments = 15): MediaPlaylist {
  return new MediaPlaylist({ name, kind: name === 'audio' ? 'audio' : 'video', partTargetSec: 0.334, targetDurationSec: 2, windowSegments });
}

/** Appends `count` complete 2 s segments of six 1/3 s parts (generation `generation`). */
export function addSegments(p: MediaPlaylist, count: number, generation = 1): void {
  for (let i = 0; i < count; i++) {
    const msn = p.nextPart().msn;
    p.beginSegment({ generation, programDateTimeMs: T0 + msn * 2000, independent: true });
    for (let k = 0; k < 6; k++) addPart(p, k === 0);
    p.endSegment();
  }
}

/** Opens a segment (if none is open) and adds one 1/3 s part. */
export function addPart(p: MediaPlaylist, independent = false): void {
  if (!p.current) p.beginSegment({ generation: 1, programDateTimeMs: T0 + p.nextPart().msn * 2000, independent });
  p.addPart({ data: Buffer.from(`m${p.current!.msn}p${p.current!.parts.length}`), duration: 1 / 3, independent });
}
