/**
 * Reads a stream's archive (<archiveDir>/<streamId>/, written by live/SegmentArchive) back
 * for the VOD pipeline: manifest.ndjson gives every init and segment in write order; the
 * rendition folders say which files really exist. A torn last manifest line (crash while
 * appending) is skipped; a listed file that is gone is kept in the index as `present: false`,
 * so playlists can mark the gap and jobs can report it.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { initUri, isValidRenditionName, segmentUri } from '../origin/hls-paths.ts';
import type { MediaKind } from '../types.ts';

export const MANIFEST_FILE = 'manifest.ndjson';

export interface IndexedSegment {
  readonly msn: number;
  readonly generation: number;
  /** Set by the bridge at an ffmpeg restart (the timeline continues, the encoder does not). */
  readonly discontinuity: boolean;
  /** Capture time of the segment's first sample, ms since the epoch (the publisher's clock). */
  readonly programDateTimeMs: number;
  readonly duration: number;
  readonly bytes: number;
  /** Path below the archive folder, e.g. '720p/seg-12.m4s'. */
  readonly file: string;
  /** False when the manifest lists the segment but the file is missing. */
  readonly present: boolean;
}

export interface RenditionIndex {
  readonly name: string;
  readonly kind: MediaKind;
  /** Short side from the name ('720p' → 720); 0 for audio. */
  readonly height: number;
  /** generation → init file below the archive folder, for the inits that exist. */
  readonly inits: ReadonlyMap<number, string>;
  /** In msn order, one per msn. */
  readonly segments: readonly IndexedSegment[];
  /** Sum of EXTINF of the present segments, seconds. */
  readonly presentDurationSec: number;
}

export interface ArchiveIndex {
  readonly dir: string;
  readonly renditions: readonly RenditionIndex[];
  /** Manifest lines that could not be read (torn or foreign); informative. */
  readonly skippedLines: number;
}

export interface MissingSegment {
  readonly rendition: string;
  readonly msn: number;
  readonly file: string;
}

interface RawSegment {
  readonly type: 'segment';
  readonly rendition: string;
  readonly msn: number;
  readonly generation: number;
  readonly discontinuity?: boolean;
  readonly programDateTimeMs: number;
  readonly duration: number;
  readonly bytes?: number;
}

/** True when the folder holds an archive manifest (the stream produced media). */
export async function hasArchive(dir: string): Promise<boolean> {
  try {
    return (await readFile(path.join(dir, MANIFEST_FILE))).length > 0;
  } catch {
    return false;
  }
}

/** Reads <dir>/manifest.ndjson and checks the files; throws a NotFound-style error if there is no manifest. */
export async function readArchiveIndex(dir: string): Promise<ArchiveIndex> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    throw new Error(`no archive manifest in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}); the stream never produced HLS media`);
  }
  const inits = new Map<string, Set<number>>();
  const segments = new Map<string, Map<number, RawSegment>>();
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    if (isInit(entry)) {
      if (!inits.has(entry.rendition)) inits.set(entry.rendition, new Set());
      inits.get(entry.rendition)!.add(entry.generation);
    } else if (isSegment(entry)) {
      if (!segments.has(entry.rendition)) segments.set(entry.rendition, new Map());
      segments.get(entry.rendition)!.set(entry.msn, entry);
    } else skippedLines++;
  }
  const renditions: RenditionIndex[] = [];
  for (const name of new Set([...inits.keys(), ...segments.keys()])) {
    const onDisk = new Set(await readdir(path.join(dir, name)).catch(() => [] as string[]));
    const initFiles = new Map<number, string>();
    for (const g of inits.get(name) ?? []) if (onDisk.has(initUri(g))) initFiles.set(g, `${name}/${initUri(g)}`);
    const list = [...(segments.get(name)?.values() ?? [])]
      .sort((a, b) => a.msn - b.msn)
      .map((s): IndexedSegment => ({
        msn: s.msn,
        generation: s.generation,
        discontinuity: s.discontinuity === true,
        programDateTimeMs: s.programDateTimeMs,
        duration: s.duration,
        bytes: s.bytes ?? 0,
        file: `${name}/${segmentUri(s.msn)}`,
        // A segment whose init is gone cannot be decoded either.
        present: onDisk.has(segmentUri(s.msn)) && initFiles.has(s.generation),
      }));
    const kind: MediaKind = name === 'audio' ? 'audio' : 'video';
    renditions.push({
      name,
      kind,
      height: kind === 'video' ? Number(/^(\d+)p$/.exec(name)?.[1] ?? 0) : 0,
      inits: initFiles,
      segments: list,
      presentDurationSec: list.reduce((sum, s) => sum + (s.present ? s.duration : 0), 0),
    });
  }
  renditions.sort((a, b) => (a.kind === b.kind ? b.height - a.height : a.kind === 'video' ? -1 : 1));
  return { dir, renditions, skippedLines };
}

/** The rendition the MP4 is made of: the video one covering most of the stream, the tallest on a tie. */
export function topVideoRendition(index: ArchiveIndex): RenditionIndex | undefined {
  let best: RenditionIndex | undefined;
  for (const r of index.renditions) {
    if (r.kind !== 'video' || !r.segments.some((s) => s.present)) continue;
    if (!best || r.presentDurationSec > best.presentDurationSec + 0.5 || (Math.abs(r.presentDurationSec - best.presentDurationSec) <= 0.5 && r.height > best.height)) best = r;
  }
  return best;
}

export function audioRendition(index: ArchiveIndex): RenditionIndex | undefined {
  return index.renditions.find((r) => r.kind === 'audio' && r.segments.some((s) => s.present));
}

/** Segments the manifest lists but the disk lacks, in the given renditions. */
export function missingSegments(renditions: readonly RenditionIndex[]): MissingSegment[] {
  const out: MissingSegment[] = [];
  for (const r of renditions) for (const s of r.segments) if (!s.present) out.push({ rendition: r.name, msn: s.msn, file: s.file });
  return out;
}

function isInit(e: unknown): e is { type: 'init'; rendition: string; generation: number } {
  const o = e as Record<string, unknown>;
  return o?.type === 'init' && typeof o.rendition === 'string' && isValidRenditionName(o.rendition) && Number.isInteger(o.generation);
}

function isSegment(e: unknown): e is RawSegment {
  const o = e as Record<string, unknown>;
  return (
    o?.type === 'segment' &&
    typeof o.rendition === 'string' &&
    isValidRenditionName(o.rendition) &&
    Number.isInteger(o.msn) &&
    (o.msn as number) >= 0 &&
    Number.isInteger(o.generation) &&
    Number.isFinite(o.programDateTimeMs) &&
    typeof o.duration === 'number' &&
    o.duration > 0
  );
}
