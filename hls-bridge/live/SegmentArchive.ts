/**
 * Keeps the whole stream on disk for the VOD pipeline while the live window slides:
 * <dir>/<rendition>/init-<g>.mp4 and seg-<msn>.m4s, each written to a temporary name
 * and renamed, so a reader never sees half a file; <dir>/manifest.ndjson gets one line
 * per file in write order; finish() leaves archive.json and a VOD playlist per rendition.
 * Writes run one after another in the background; a failure is reported, not thrown
 * into the media path.
 */
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { initUri, isValidRenditionName, segmentUri } from '../origin/hls-paths.ts';

export interface ArchivedSegment {
  readonly rendition: string;
  readonly msn: number;
  readonly generation: number;
  readonly discontinuity: boolean;
  readonly programDateTimeMs: number;
  readonly duration: number;
  readonly bytes: number;
}

export interface ArchiveSummary {
  readonly streamId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly renditions: readonly { name: string; segments: number; durationSec: number }[];
}

export class SegmentArchive {
  readonly dir: string;
  readonly #onError: (err: Error) => void;
  #queue: Promise<void> = Promise.resolve();
  readonly #segments = new Map<string, ArchivedSegment[]>();
  readonly #madeDirs = new Set<string>();
  #bytesWritten = 0;

  constructor(dir: string, onError: (err: Error) => void) {
    this.dir = dir;
    this.#onError = onError;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  writeInit(rendition: string, generation: number, data: Buffer): void {
    const file = initUri(generation);
    this.#enqueue(async () => {
      await this.#writeAtomic(rendition, file, data);
      await this.#appendManifest({ type: 'init', rendition, generation, file: `${rendition}/${file}` });
    });
  }

  writeSegment(entry: ArchivedSegment, data: Buffer): void {
    const list = this.#segments.get(entry.rendition) ?? [];
    list.push(entry);
    this.#segments.set(entry.rendition, list);
    const file = segmentUri(entry.msn);
    this.#enqueue(async () => {
      await this.#writeAtomic(entry.rendition, file, data);
      await this.#appendManifest({ type: 'segment', ...entry, file: `${entry.rendition}/${file}`, programDateTime: new Date(entry.programDateTimeMs).toISOString() });
    });
  }

  /** Reads an archived file back (segments that left the live window); null if absent. */
  async read(rendition: string, file: string): Promise<Buffer | null> {
    if (!isValidRenditionName(rendition) || !/^(init-\d+\.mp4|seg-\d+\.m4s)$/.test(file)) return null;
    try {
      return await readFile(path.join(this.dir, rendition, file));
    } catch {
      return null;
    }
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.#queue;
  }

  /** After the stream: VOD playlists and a summary, then waits for all writes. */
  async finish(streamId: string, startedAtMs: number, targetDurationSec: number): Promise<void> {
    const renditions: { name: string; segments: number; durationSec: number }[] = [];
    for (const [name, list] of this.#segments) {
      renditions.push({ name, segments: list.length, durationSec: Math.round(list.reduce((s, x) => s + x.duration, 0) * 1000) / 1000 });
      const lines = ['#EXTM3U', '#EXT-X-VERSION:6', `#EXT-X-TARGETDURATION:${Math.max(targetDurationSec, ...list.map((s) => Math.round(s.duration)))}`, '#EXT-X-PLAYLIST-TYPE:VOD', `#EXT-X-MEDIA-SEQUENCE:${list[0]?.msn ?? 0}`];
      let generation: number | null = null;
      for (const s of list) {
        if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
        if (s.generation !== generation) lines.push(`#EXT-X-MAP:URI="${initUri(s.generation)}"`);
        generation = s.generation;
        lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTimeMs).toISOString()}`, `#EXTINF:${s.duration.toFixed(5)},`, segmentUri(s.msn));
      }
      lines.push('#EXT-X-ENDLIST');
      this.#enqueue(() => this.#writeAtomic(name, 'vod.m3u8', Buffer.from(lines.join('\n') + '\n')));
    }
    const summary: ArchiveSummary = { streamId, startedAt: new Date(startedAtMs).toISOString(), endedAt: new Date().toISOString(), renditions };
    this.#enqueue(() => this.#writeAtomic('', 'archive.json', Buffer.from(JSON.stringify(summary, null, 2) + '\n')));
    await this.#queue;
  }

  #enqueue(job: () => Promise<void>): void {
    this.#queue = this.#queue.then(job).catch((err: unknown) => this.#onError(err instanceof Error ? err : new Error(String(err))));
  }

  async #writeAtomic(subdir: string, file: string, data: Buffer): Promise<void> {
    const dir = subdir ? path.join(this.dir, subdir) : this.dir;
    if (!this.#madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#madeDirs.add(dir);
    }
    const tmp = path.join(dir, `.${file}.${process.pid}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, path.join(dir, file));
    this.#bytesWritten += data.length;
  }

  async #appendManifest(entry: object): Promise<void> {
    if (!this.#madeDirs.has(this.dir)) {
      await mkdir(this.dir, { recursive: true });
      this.#madeDirs.add(this.dir);
    }
    // One write() per line with O_APPEND: a crash can lose the last line, never garble earlier ones.
    const handle = await open(path.join(this.dir, 'manifest.ndjson'), 'a');
    try {
      await handle.write(JSON.stringify(entry) + '\n');
    } finally {
      await handle.close();
    }
  }
}
