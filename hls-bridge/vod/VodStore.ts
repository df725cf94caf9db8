/**
 * The VOD pipeline's own files, one folder per stream under <dataDir>/vod/<streamId>/, beside
 * (not inside) the HLS archive:
 *   stream.json     what the platform told us: title, captions wanted, started/ended times
 *   chapters.ndjson the streamer's marks and title changes, appended while live
 *   vod.json        the VOD as finalized at stream end (timeline, chapters, missing segments)
 *   job.json        the background job's state, so a crash resumes it on the next start
 *   vod.mp4, chapters.vtt, captions.vtt   the outputs
 * Every JSON write goes to a temporary file and is renamed, so a crash never leaves half a file.
 */
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isValidStreamId } from '../origin/hls-paths.ts';
import type { MissingSegment } from './archive-index.ts';
import type { Chapter, ChapterMark } from './chapters.ts';

export interface VodMeta {
  readonly streamId: string;
  /** Title when the stream went live (later titles are chapter marks). */
  readonly title: string;
  readonly captions: boolean;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

export interface VodManifest {
  readonly streamId: string;
  readonly title: string;
  /** Stream time at VOD time 0 (Unix ms, publisher capture clock). */
  readonly originMs: number;
  readonly durationSec: number;
  /** ended − started as the platform saw it, seconds. */
  readonly liveDurationSec: number | null;
  readonly topRendition: string | null;
  readonly audioRendition: string | null;
  readonly renditions: readonly string[];
  readonly chapters: readonly Chapter[];
  readonly missing: readonly MissingSegment[];
  readonly warnings: readonly string[];
  readonly finalizedAt: string;
}

export type StageName = 'stitch' | 'captions';
export type StageState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface JobStage {
  readonly name: StageName;
  readonly state: StageState;
  /** 0…100. */
  readonly percent: number;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
  /** Wall seconds the stage took (done) — benchmarks and ETA of later jobs. */
  readonly elapsedSec: number | null;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface VodJob {
  readonly streamId: string;
  readonly state: JobState;
  readonly stages: readonly JobStage[];
  /** Runs started; more than 1 after a crash or a restart. */
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

export const MP4_FILE = 'vod.mp4';
export const CHAPTERS_VTT = 'chapters.vtt';
export const CAPTIONS_VTT = 'captions.vtt';

let tmpSeq = 0;

export class VodStore {
  readonly root: string;
  readonly #madeDirs = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  dir(streamId: string): string {
    if (!isValidStreamId(streamId)) throw new RangeError(`"${streamId}" is not a stream id`);
    return path.join(this.root, streamId);
  }

  file(streamId: string, name: string): string {
    return path.join(this.dir(streamId), name);
  }

  /** Stream ids with a folder here. */
  async list(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names.filter(isValidStreamId);
  }

  readMeta(streamId: string): Promise<VodMeta | null> {
    return this.#readJson<VodMeta>(streamId, 'stream.json');
  }

  writeMeta(meta: VodMeta): Promise<void> {
    return this.#writeJson(meta.streamId, 'stream.json', meta);
  }

  readManifest(streamId: string): Promise<VodManifest | null> {
    return this.#readJson<VodManifest>(streamId, 'vod.json');
  }

  writeManifest(manifest: VodManifest): Promise<void> {
    return this.#writeJson(manifest.streamId, 'vod.json', manifest);
  }

  readJob(streamId: string): Promise<VodJob | null> {
    return this.#readJson<VodJob>(streamId, 'job.json');
  }

  writeJob(job: VodJob): Promise<void> {
    return this.#writeJson(job.streamId, 'job.json', job);
  }

  async appendMark(streamId: string, mark: ChapterMark & { readonly at: string }): Promise<void> {
    await this.#ensureDir(streamId);
    await appendFile(this.file(streamId, 'chapters.ndjson'), JSON.stringify(mark) + '\n');
  }

  /** Marks in write order; a torn last line (crash) is skipped. */
  async readMarks(streamId: string): Promise<ChapterMark[]> {
    const text = await readFile(this.file(streamId, 'chapters.ndjson'), 'utf8').catch(() => '');
    const marks: ChapterMark[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const m = JSON.parse(line) as ChapterMark;
        if (Number.isFinite(m.streamTimeMs) && (m.source === 'mark' || m.source === 'title')) marks.push({ streamTimeMs: m.streamTimeMs, title: m.title ?? null, source: m.source });
      } catch {
        // torn line
      }
    }
    return marks;
  }

  /** Writes a text output atomically. */
  async writeText(streamId: string, name: string, text: string): Promise<void> {
    await this.#ensureDir(streamId);
    const tmp = this.file(streamId, `.${name}.${process.pid}.${++tmpSeq}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, this.file(streamId, name));
  }

  /** Leftovers of runs that died (temporary outputs of another process). */
  async removeTemporaries(streamId: string): Promise<void> {
    const names = await readdir(this.dir(streamId)).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => rm(this.file(streamId, n), { force: true })));
  }

  async #readJson<T>(streamId: string, name: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file(streamId, name), 'utf8')) as T;
    } catch {
      return null;
    }
  }

  async #writeJson(streamId: string, name: string, value: unknown): Promise<void> {
    await this.writeText(streamId, name, JSON.stringify(value, null, 2) + '\n');
  }

  async #ensureDir(streamId: string): Promise<void> {
    const dir = this.dir(streamId);
    if (this.#madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#madeDirs.add(dir);
  }
}
