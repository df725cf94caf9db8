/**
 * The VOD timeline: VOD time 0 is the earliest archived capture instant of the renditions
 * the VOD is made of, and VOD time advances with the stream's own clock, gaps included
 * (a missing segment leaves a hole, it does not pull later media earlier). So
 *   vodSec = (streamTimeMs − originMs) / 1000
 * holds everywhere: the HLS VOD playlists, the MP4, chapters, captions and chat replay.
 *
 * Archived decode times count from the live bridge's epoch; `shiftMs` (origin − epoch) is
 * what the stitch subtracts from every fragment to make them count from the origin.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseInitSegment, type InitTrack } from '../fmp4/fmp4-boxes.ts';
import type { ArchiveIndex, IndexedSegment, RenditionIndex } from './archive-index.ts';
import { firstDecodeTime } from './fmp4-rebase.ts';

export interface TrackTimeline {
  readonly rendition: RenditionIndex;
  /** Init of the first present generation (its sample description goes into the MP4). */
  readonly init: InitTrack;
  readonly initFile: string;
  /** generation → timescale of its init. */
  readonly timescales: ReadonlyMap<number, number>;
  /** Unix ms the archived decode times count from. */
  readonly epochMs: number;
  /** Generations whose sample description differs from the first one (the MP4 keeps the first). */
  readonly changedGenerations: readonly number[];
}

export interface VodTimeline {
  /** Stream time (publisher capture clock, Unix ms) at VOD time 0. */
  readonly originMs: number;
  /** From VOD time 0 to the end of the last archived sample, seconds. */
  readonly durationSec: number;
  /** origin − epoch, ms: subtract from archived decode times. */
  readonly shiftMs: number;
  readonly video?: TrackTimeline;
  readonly audio?: TrackTimeline;
}

export function presentSegments(r: RenditionIndex): IndexedSegment[] {
  return r.segments.filter((s) => s.present);
}

export async function planTimeline(index: ArchiveIndex, picks: { video?: RenditionIndex; audio?: RenditionIndex }): Promise<VodTimeline> {
  const tracks: { video?: TrackTimeline; audio?: TrackTimeline } = {};
  for (const kind of ['video', 'audio'] as const) {
    const r = picks[kind];
    if (r) tracks[kind] = await trackTimeline(index.dir, r);
  }
  const chosen = [tracks.video, tracks.audio].filter((t): t is TrackTimeline => t !== undefined);
  if (chosen.length === 0) throw new Error(`archive ${index.dir} has no playable segments`);
  const firsts = chosen.map((t) => presentSegments(t.rendition)[0]!.programDateTimeMs);
  const originMs = Math.min(...firsts);
  const ends = chosen.map((t) => {
    const last = presentSegments(t.rendition).at(-1)!;
    return last.programDateTimeMs + last.duration * 1000;
  });
  // Every rendition of one bridge shares its epoch; the video's is the reference.
  const epochMs = (tracks.video ?? tracks.audio)!.epochMs;
  return {
    originMs,
    durationSec: Math.round(Math.max(...ends) - originMs) / 1000,
    shiftMs: originMs - epochMs,
    ...tracks,
  };
}

async function trackTimeline(dir: string, r: RenditionIndex): Promise<TrackTimeline> {
  const present = presentSegments(r);
  const first = present[0];
  if (!first) throw new Error(`rendition ${r.name} has no segments on disk`);
  const timescales = new Map<number, number>();
  const descriptions = new Map<number, string>();
  let init: InitTrack | undefined;
  let initFile = '';
  for (const [generation, file] of [...r.inits].sort((a, b) => a[0] - b[0])) {
    const data = await readFile(path.join(dir, file));
    const track = parseInitSegment(data)[0];
    if (!track) throw new Error(`init ${file} describes no track`);
    timescales.set(generation, track.timescale);
    descriptions.set(generation, describe(track));
    if (generation === first.generation) {
      init = track;
      initFile = file;
    }
  }
  if (!init) throw new Error(`rendition ${r.name} lacks the init of generation ${first.generation}`);
  const head = await readFile(path.join(dir, first.file));
  const ticks = firstDecodeTime(head);
  if (ticks === null) throw new Error(`segment ${first.file} holds no fragment`);
  const reference = describe(init);
  const used = new Set(present.map((s) => s.generation));
  return {
    rendition: r,
    init,
    initFile,
    timescales,
    epochMs: first.programDateTimeMs - (ticks / init.timescale) * 1000,
    changedGenerations: [...descriptions].filter(([g, d]) => used.has(g) && d !== reference).map(([g]) => g),
  };
}

function describe(t: InitTrack): string {
  return `${t.sampleEntry}/${t.codec}/${t.timescale}/${t.width ?? ''}x${t.height ?? ''}/${t.channels ?? ''}/${t.sampleRate ?? ''}`;
}
