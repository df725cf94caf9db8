/**
 * Every stream's VOD, from the first mark to the finished MP4. The platform tells it when a
 * stream is created, goes live, gets a chapter mark or a new title, and ends; at the end it
 * reads the archive, fixes the VOD timeline and chapters (the HLS VOD plays at once), and
 * queues the background job: stitch the MP4, then captions if asked for. Jobs run one at a
 * time; their state is on disk (VodStore), so after a crash start() picks up what was left:
 * finished stages stay done, an interrupted stage runs again from its start.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../../signaling/logger.ts';
import { resolveFfmpegPath } from '../transcode/ffmpeg-path.ts';
import { audioRendition, hasArchive, missingSegments, readArchiveIndex, topVideoRendition, type ArchiveIndex, type MissingSegment } from './archive-index.ts';
import { runCaptionJob } from './caption-job.ts';
import { planChapters, type Chapter, type ChapterMark, type ChapterSource } from './chapters.ts';
import { IoRateLimiter } from './IoRateLimiter.ts';
import type { SpeechRecognizer } from './speech-recognizer.ts';
import { runStitchJob } from './stitch-job.ts';
import { planTimeline, type VodTimeline } from './vod-timeline.ts';
import { CAPTIONS_VTT, CHAPTERS_VTT, MP4_FILE, VodStore, type JobStage, type StageName, type VodJob, type VodManifest, type VodMeta } from './VodStore.ts';
import { renderWebVtt } from './webvtt.ts';

const logger = createLogger('hls:VodLibrary');

export interface VodLibraryOptions {
  /** <dataDir>/vod: the VOD pipeline's folders. */
  readonly root: string;
  /** <dataDir>/hls: the bridges' archives. */
  readonly archiveRoot: string;
  readonly ffmpegPath?: string;
  /** Null: captions are never made (the stage is skipped with a reason). */
  readonly recognizer: SpeechRecognizer | null;
  /** Disk read rate of background jobs, bytes/s; 0 = unlimited. */
  readonly ioLimitBytesPerSec?: number;
  /** Spacing of automatic chapters when the streamer marked none. */
  readonly autoChapterSec?: number;
}

export type VodState = 'recording' | 'finalizing' | 'processing' | 'ready' | 'failed';

export interface VodJobProgress {
  readonly state: VodJob['state'];
  /** The stage running now (or the last one). */
  readonly stage: StageName | null;
  /** Whole job, 0…100. */
  readonly percent: number;
  /** Seconds left, when it can be told. */
  readonly etaSec: number | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly stages: readonly JobStage[];
}

/** What the API and the VOD page show about one stream's VOD. */
export interface VodSummary {
  readonly streamId: string;
  readonly state: VodState;
  readonly title: string;
  readonly originMs: number | null;
  readonly durationSec: number | null;
  readonly liveDurationSec: number | null;
  readonly chapters: readonly Chapter[];
  readonly mp4: { readonly bytes: number } | null;
  readonly captions: 'off' | 'pending' | 'ready' | 'failed';
  readonly missingSegments: readonly MissingSegment[];
  readonly warnings: readonly string[];
  readonly job: VodJobProgress | null;
}

/** A finalized VOD as the origin serves it. */
export interface VodView {
  readonly manifest: VodManifest;
  readonly index: ArchiveIndex;
  readonly timeline: VodTimeline;
}

interface Running {
  readonly streamId: string;
  readonly abort: AbortController;
  stage: StageName;
  stageFraction: number;
  stageStartedAt: number;
  readonly jobStartedAt: number;
  lastPersist: number;
  done: Promise<void>;
  /** The job as last written (progress writes patch this one, never a stale copy). */
  job: VodJob;
}

/** Rough real-time multiples before any job measured them (stitch is disk-bound, captions CPU-bound). */
const INITIAL_SPEED: Record<StageName, number> = { stitch: 200, captions: 3 };
const PERSIST_EVERY_MS = 1000;
const MAX_CACHED_VIEWS = 64;
const MAX_PENDING_STREAMS = 10_000;

export class VodLibrary {
  readonly store: VodStore;
  readonly #options: VodLibraryOptions;
  readonly #ending = new Map<string, Promise<void>>();
  /** Streams created but not live yet: what they asked for. */
  readonly #created = new Map<string, { captions: boolean; createdAt: string }>();
  readonly #views = new Map<string, Promise<VodView | null>>();
  readonly #queue: string[] = [];
  readonly #speed: Record<StageName, number> = { ...INITIAL_SPEED };
  #running: Running | null = null;
  /** job.json writes, in order: a progress write never lands after a later state change. */
  #jobWrites: Promise<void> = Promise.resolve();
  #pump: Promise<void> | null = null;
  #ffmpegPath: string | null = null;
  #closed = false;

  constructor(options: VodLibraryOptions) {
    this.#options = options;
    this.store = new VodStore(options.root);
  }

  archiveDir(streamId: string): string {
    return path.join(this.#options.archiveRoot, streamId);
  }

  /** Resumes what a previous process left: unfinished jobs, and streams that were live when it died. */
  async start(): Promise<void> {
    for (const id of await this.store.list()) {
      const meta = await this.store.readMeta(id);
      if (!meta?.startedAt) continue;
      const job = await this.store.readJob(id);
      if (job && (job.state === 'queued' || job.state === 'running')) {
        logger.info(`start() resuming job [stream:${id}] [state:${job.state}] [attempts:${job.attempts}]`);
        await this.store.removeTemporaries(id);
        this.#enqueue(id);
      } else if (!job && (await hasArchive(this.archiveDir(id)))) {
        logger.info(`start() stream ${id} ended with the previous process; finalizing its VOD`);
        await this.streamEnded(id, meta.endedAt ?? null);
      }
    }
  }

  /** Remembers what the stream asked for; nothing goes to disk until it goes live. */
  streamCreated(streamId: string, o: { title: string; captions: boolean; createdAt?: string }): void {
    this.#created.set(streamId, { captions: o.captions, createdAt: o.createdAt ?? new Date().toISOString() });
    // Streams that never go live must not pile up here.
    if (this.#created.size > MAX_PENDING_STREAMS) this.#created.delete(this.#created.keys().next().value!);
  }

  async streamStarted(streamId: string, startedAt: string, title: string): Promise<void> {
    const created = this.#created.get(streamId);
    this.#created.delete(streamId);
    const meta = (await this.store.readMeta(streamId)) ?? { streamId, title, captions: created?.captions ?? false, createdAt: created?.createdAt ?? startedAt, startedAt: null, endedAt: null };
    await this.store.writeMeta({ ...meta, title: meta.startedAt ? meta.title : title, startedAt: meta.startedAt ?? startedAt });
  }

  /** A chapter point while live; a title change before going live is just the stream's title. */
  async addMark(streamId: string, mark: { streamTimeMs: number; title: string | null; source: ChapterSource }): Promise<ChapterMark> {
    const meta = await this.store.readMeta(streamId);
    if (mark.source === 'title' && !meta?.startedAt) return mark;
    await this.store.appendMark(streamId, { ...mark, at: new Date().toISOString() });
    return mark;
  }

  /**
   * The stream is over: waits for `archiveClosed` (the bridge flushing its last segments), then
   * finalizes the VOD and queues its job. Calling it again for the same stream does nothing.
   */
  streamEnded(streamId: string, endedAt: string | null, archiveClosed: Promise<unknown> = Promise.resolve()): Promise<void> {
    let ending = this.#ending.get(streamId);
    if (!ending) {
      ending = this.#end(streamId, endedAt, archiveClosed).catch((err: unknown) => logger.error(`finalizing the VOD of stream ${streamId} failed`, err));
      this.#ending.set(streamId, ending);
    }
    return ending;
  }

  /** The finalized VOD (cached); null while live, before the end is processed, or without an archive. */
  view(streamId: string): Promise<VodView | null> {
    let view = this.#views.get(streamId);
    if (!view) {
      view = this.#loadView(streamId);
      this.#views.set(streamId, view);
      // Keep the most recently opened VODs only (each holds its archive index).
      if (this.#views.size > MAX_CACHED_VIEWS) this.#views.delete(this.#views.keys().next().value!);
      // A miss is not cached: the VOD may appear a moment later.
      void view.then((v) => {
        if (!v && this.#views.get(streamId) === view) this.#views.delete(streamId);
      });
    }
    return view;
  }

  /** Null when the stream never went live here (or is unknown). */
  async summary(streamId: string): Promise<VodSummary | null> {
    const meta = await this.store.readMeta(streamId).catch(() => null);
    const manifest = await this.store.readManifest(streamId).catch(() => null);
    if (!manifest) {
      if (!meta?.startedAt) return null;
      if (!(await hasArchive(this.archiveDir(streamId)))) return null;
      const state: VodState = meta.endedAt || this.#ending.has(streamId) ? 'finalizing' : 'recording';
      return { streamId, state, title: meta.title, originMs: null, durationSec: null, liveDurationSec: null, chapters: [], mp4: null, captions: meta.captions ? 'pending' : 'off', missingSegments: [], warnings: [], job: null };
    }
    const job = await this.store.readJob(streamId);
    const progress = job ? this.#progress(job, manifest.durationSec) : null;
    const stitch = job?.stages.find((s) => s.name === 'stitch');
    const captions = job?.stages.find((s) => s.name === 'captions');
    const mp4Bytes = stitch?.state === 'done' ? await fileSize(this.store.file(streamId, MP4_FILE)) : null;
    const state: VodState = job?.state === 'failed' ? 'failed' : job?.state === 'done' ? 'ready' : 'processing';
    return {
      streamId,
      state,
      title: manifest.title,
      originMs: manifest.originMs,
      durationSec: manifest.durationSec,
      liveDurationSec: manifest.liveDurationSec,
      chapters: manifest.chapters,
      mp4: mp4Bytes === null ? null : { bytes: mp4Bytes },
      captions: !captions || captions.state === 'skipped' ? (meta?.captions ? 'failed' : 'off') : captions.state === 'done' ? 'ready' : captions.state === 'failed' ? 'failed' : 'pending',
      missingSegments: manifest.missing,
      warnings: manifest.warnings,
      job: progress,
    };
  }

  /** Stops the running job (its state stays on disk and resumes on the next start). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    const running = this.#running;
    if (running) {
      running.abort.abort(new Error('server shutting down'));
      await running.done.catch(() => undefined);
    }
    await Promise.allSettled(this.#ending.values());
  }

  /* ------------------------------------------------------------ end of stream */

  async #end(streamId: string, endedAt: string | null, archiveClosed: Promise<unknown>): Promise<void> {
    await archiveClosed.catch(() => undefined);
    const existing = await this.store.readJob(streamId);
    if (existing) {
      // Ended twice (or resumed): the job already exists.
      if (existing.state === 'queued' || existing.state === 'running') this.#enqueue(streamId);
      return;
    }
    if (!(await hasArchive(this.archiveDir(streamId)))) {
      logger.info(`stream ${streamId} ended without archived media: no VOD`);
      return;
    }
    const meta = await this.store.readMeta(streamId);
    const prepared = await this.#prepare(streamId, meta, endedAt);
    if (meta && !meta.endedAt) await this.store.writeMeta({ ...meta, endedAt: endedAt ?? new Date(prepared.timeline.originMs + prepared.timeline.durationSec * 1000).toISOString() });
    const now = new Date().toISOString();
    const wantsCaptions = meta?.captions === true;
    await this.store.writeJob({
      streamId,
      state: 'queued',
      stages: [newStage('stitch'), wantsCaptions ? newStage('captions') : { ...newStage('captions'), state: 'skipped' }],
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      error: null,
    });
    this.#views.delete(streamId);
    logger.info(`VOD ready to play [stream:${streamId}] [duration:${prepared.timeline.durationSec}s] [chapters:${prepared.manifest.chapters.length}] [missing:${prepared.manifest.missing.length}]`);
    this.#enqueue(streamId);
  }

  /** Reads the archive and writes vod.json + chapters.vtt (at the end, and again when the job starts). */
  async #prepare(streamId: string, meta: VodMeta | null, endedAt: string | null): Promise<VodView> {
    const index = await readArchiveIndex(this.archiveDir(streamId));
    const video = topVideoRendition(index);
    const audio = audioRendition(index);
    const timeline = await planTimeline(index, { ...(video ? { video } : {}), ...(audio ? { audio } : {}) });
    const marks = await this.store.readMarks(streamId);
    const title = meta?.title ?? streamId;
    const chapters = planChapters(marks, {
      originMs: timeline.originMs,
      durationSec: timeline.durationSec,
      initialTitle: title,
      ...(this.#options.autoChapterSec ? { autoEverySec: this.#options.autoChapterSec } : {}),
    });
    const warnings: string[] = [];
    for (const t of [timeline.video, timeline.audio]) {
      if (t?.changedGenerations.length) warnings.push(`${t.rendition.name}: encoder settings changed at generation ${t.changedGenerations.join(', ')}; the MP4 keeps the first`);
    }
    const previous = await this.store.readManifest(streamId);
    const started = meta?.startedAt ? Date.parse(meta.startedAt) : NaN;
    const ended = Date.parse(endedAt ?? meta?.endedAt ?? '');
    const manifest: VodManifest = {
      streamId,
      title,
      originMs: timeline.originMs,
      durationSec: timeline.durationSec,
      liveDurationSec: Number.isFinite(started) && Number.isFinite(ended) ? Math.round(ended - started) / 1000 : previous?.liveDurationSec ?? null,
      topRendition: video?.name ?? null,
      audioRendition: audio?.name ?? null,
      renditions: index.renditions.map((r) => r.name),
      chapters,
      missing: missingSegments([video, audio].filter((r) => r !== undefined)),
      warnings,
      finalizedAt: new Date().toISOString(),
    };
    await this.store.writeText(streamId, CHAPTERS_VTT, renderWebVtt(chapters.map((c, i) => ({ id: String(i + 1), startSec: c.startSec, endSec: c.endSec, text: c.title }))));
    await this.store.writeManifest(manifest);
    return { manifest, index, timeline };
  }

  async #loadView(streamId: string): Promise<VodView | null> {
    const manifest = await this.store.readManifest(streamId).catch(() => null);
    if (!manifest) return null;
    const index = await readArchiveIndex(this.archiveDir(streamId));
    const video = index.renditions.find((r) => r.name === manifest.topRendition);
    const audio = index.renditions.find((r) => r.name === manifest.audioRendition);
    const timeline = await planTimeline(index, { ...(video ? { video } : {}), ...(audio ? { audio } : {}) });
    return { manifest, index, timeline };
  }

  /* ------------------------------------------------------------ jobs */

  #enqueue(streamId: string): void {
    if (this.#closed || this.#queue.includes(streamId) || this.#running?.streamId === streamId) return;
    this.#queue.push(streamId);
    this.#pump ??= this.#drain().finally(() => (this.#pump = null));
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const id = this.#queue.shift();
      if (!id) return;
      await this.#runJob(id).catch((err: unknown) => logger.error(`VOD job of stream ${id} crashed`, err));
    }
  }

  async #runJob(streamId: string): Promise<void> {
    let job = await this.store.readJob(streamId);
    if (!job || job.state === 'done' || job.state === 'failed') return;
    this.#ffmpegPath ??= await resolveFfmpegPath(this.#options.ffmpegPath);
    const meta = await this.store.readMeta(streamId);
    const abort = new AbortController();
    const now = Date.now();
    const running: Running = { streamId, abort, stage: 'stitch', stageFraction: 0, stageStartedAt: now, jobStartedAt: now, lastPersist: 0, done: Promise.resolve(), job };
    this.#running = running;
    let settle!: () => void;
    running.done = new Promise((resolve) => (settle = resolve));
    job = { ...job, state: 'running', attempts: job.attempts + 1, updatedAt: new Date().toISOString() };
    await this.#saveJob(running, job);
    logger.info(`job start [stream:${streamId}] [attempt:${job.attempts}]`);
    try {
      const view = await this.#prepare(streamId, meta, null);
      this.#views.set(streamId, Promise.resolve(view));
      const limiter = new IoRateLimiter(this.#options.ioLimitBytesPerSec ?? 0);
      for (const stage of job.stages) {
        if (stage.state === 'done' && (await this.#outputExists(streamId, stage.name))) continue;
        if (stage.state === 'skipped') continue;
        job = await this.#setStage(running, job, stage.name, { state: 'running', percent: 0, startedAt: new Date().toISOString(), finishedAt: null, error: null, elapsedSec: null });
        running.stage = stage.name;
        running.stageFraction = 0;
        running.stageStartedAt = Date.now();
        const onProgress = (fraction: number): void => {
          running.stageFraction = fraction;
          if (Date.now() - running.lastPersist >= PERSIST_EVERY_MS) {
            running.lastPersist = Date.now();
            void this.#persistProgress(running, stage.name, fraction);
          }
        };
        try {
          await this.#runStage(stage.name, streamId, view, limiter, abort.signal, onProgress);
          const elapsedSec = (Date.now() - running.stageStartedAt) / 1000;
          if (elapsedSec > 0.05 && view.timeline.durationSec > 0) this.#speed[stage.name] = view.timeline.durationSec / elapsedSec;
          job = await this.#setStage(running, job, stage.name, { state: 'done', percent: 100, finishedAt: new Date().toISOString(), elapsedSec: Math.round(elapsedSec * 1000) / 1000 });
          logger.info(`${stage.name} done [stream:${streamId}] [${elapsedSec.toFixed(2)}s, ${(view.timeline.durationSec / Math.max(elapsedSec, 0.001)).toFixed(0)}x real time]`);
        } catch (err) {
          if (abort.signal.aborted) throw err;
          const message = (err as Error).message;
          logger.warn(`${stage.name} failed [stream:${streamId}]: ${message}`);
          job = await this.#setStage(running, job, stage.name, { state: 'failed', finishedAt: new Date().toISOString(), error: message });
          // Without the MP4 the job failed; without captions the VOD is still complete.
          if (stage.name === 'stitch') {
            job = { ...job, state: 'failed', error: message, finishedAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
            await this.#saveJob(running, job);
            return;
          }
        }
      }
      job = { ...job, state: 'done', finishedAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
      await this.#saveJob(running, job);
    } catch (err) {
      if (!abort.signal.aborted) {
        const message = (err as Error).message;
        job = { ...job, state: 'failed', error: message, finishedAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
        await this.#saveJob(running, job);
        logger.warn(`job failed [stream:${streamId}]: ${message}`);
      } else logger.info(`job interrupted [stream:${streamId}]; it resumes on the next start`);
    } finally {
      this.#running = null;
      settle();
    }
  }

  async #runStage(name: StageName, streamId: string, view: VodView, limiter: IoRateLimiter, signal: AbortSignal, onProgress: (f: number) => void): Promise<void> {
    const common = { ffmpegPath: this.#ffmpegPath!, archiveDir: view.index.dir, timeline: view.timeline, limiter, signal, onProgress };
    if (name === 'stitch') {
      await runStitchJob({ ...common, chapters: view.manifest.chapters, title: view.manifest.title, outputFile: this.store.file(streamId, MP4_FILE) });
      return;
    }
    if (!this.#options.recognizer) throw new Error('no speech recognizer is configured on this server');
    await runCaptionJob({ ...common, recognizer: this.#options.recognizer, outputFile: this.store.file(streamId, CAPTIONS_VTT) });
  }

  async #outputExists(streamId: string, stage: StageName): Promise<boolean> {
    return (await fileSize(this.store.file(streamId, stage === 'stitch' ? MP4_FILE : CAPTIONS_VTT))) !== null;
  }

  async #setStage(running: Running, job: VodJob, name: StageName, patch: Partial<JobStage>): Promise<VodJob> {
    const next: VodJob = { ...job, stages: job.stages.map((s) => (s.name === name ? { ...s, ...patch } : s)), updatedAt: new Date().toISOString() };
    await this.#saveJob(running, next);
    return next;
  }

  #saveJob(running: Running, job: VodJob): Promise<void> {
    running.job = job;
    const write = this.#jobWrites.then(() => this.store.writeJob(job));
    this.#jobWrites = write.catch(() => undefined);
    return write;
  }

  async #persistProgress(running: Running, name: StageName, fraction: number): Promise<void> {
    const job = running.job;
    if (this.#running !== running) return;
    const patched = { ...job, stages: job.stages.map((s) => (s.name === name && s.state === 'running' ? { ...s, percent: Math.floor(fraction * 100) } : s)), updatedAt: new Date().toISOString() };
    await this.#saveJob(running, patched).catch((err: unknown) => logger.warn(`cannot save the progress of stream ${running.streamId}: ${(err as Error).message}`));
  }

  /** Percent and ETA of a job: the running stage from memory, the rest from disk, weighted by expected cost. */
  #progress(job: VodJob, durationSec: number): VodJobProgress {
    const running = this.#running?.streamId === job.streamId ? this.#running : null;
    const active = job.stages.filter((s) => s.state !== 'skipped');
    const cost = (name: StageName): number => Math.max(durationSec, 1) / this.#speed[name];
    let total = 0;
    let done = 0;
    for (const s of active) {
      const c = cost(s.name);
      total += c;
      const fraction = running?.stage === s.name && s.state === 'running' ? running.stageFraction : s.state === 'done' || s.state === 'failed' ? 1 : s.percent / 100;
      done += c * fraction;
    }
    const percent = job.state === 'done' ? 100 : total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
    let etaSec: number | null = null;
    if (job.state === 'queued') etaSec = Math.round(total);
    else if (running) {
      const stageElapsed = (Date.now() - running.stageStartedAt) / 1000;
      const stageLeft = running.stageFraction > 0.02 ? (stageElapsed / running.stageFraction) * (1 - running.stageFraction) : cost(running.stage);
      const later = active.filter((s) => s.state === 'pending' && s.name !== running.stage).reduce((sum, s) => sum + cost(s.name), 0);
      etaSec = Math.max(0, Math.round(stageLeft + later));
    } else if (job.state === 'done' || job.state === 'failed') etaSec = 0;
    const current = running?.stage ?? active.find((s) => s.state === 'running')?.name ?? active.at(-1)?.name ?? null;
    return { state: job.state, stage: current, percent, etaSec, attempts: job.attempts, error: job.error, stages: job.stages };
  }
}

function newStage(name: StageName): JobStage {
  return { name, state: 'pending', percent: 0, startedAt: null, finishedAt: null, error: null, elapsedSec: null };
}

async function fileSize(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}
