/**
 * The platform's VOD tier: follows the stream registry (created → live → ended) into the
 * VodLibrary, waits for the stream's HLS bridge to flush its archive before finalizing,
 * takes the streamer's chapter marks and title changes (authorized by the stream key),
 * and maps the library's state and the stored chat onto the public API shapes.
 */
import path from 'node:path';
import { PocketsphinxRecognizer, VodLibrary, VodOrigin, type SpeechRecognizer, type VodSummary } from '../../hls-bridge/vod/index.ts';
import { InvalidStateError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { ChatEvent, StreamInfo, VodChatReplay, VodStatus } from '../protocol/messages.ts';
import type { StreamChange, StreamRegistry } from '../streams/StreamRegistry.ts';

const logger = createLogger('signaling:VodService');

/** What VOD chat replay needs from the chat log (ChatService implements it). */
export interface ChatReplaySource {
  /** Stored events after `afterSeq`, oldest first. */
  replay(streamId: string, afterSeq: number, limit: number): { readonly events: readonly ChatEvent[]; readonly hasMore: boolean };
}

/** Where the stream's bridge is, to wait for its archive to be complete (HlsService implements it). */
export interface ArchiveSource {
  bridge(streamId: string): { close(reason?: string): Promise<void> } | undefined;
}

export interface VodServiceOptions {
  readonly streams: StreamRegistry;
  readonly dataDir: string;
  readonly ffmpegPath: string | undefined;
  readonly publicUrl: string | undefined;
  readonly ioLimitBytesPerSec: number;
  readonly hls: ArchiveSource | null;
  readonly chat: ChatReplaySource | null;
  /** Default: PocketSphinx (Debian pocketsphinx + pocketsphinx-en-us); null turns captions off. */
  readonly recognizer?: SpeechRecognizer | null;
  /** Automatic chapter spacing when none were marked (default 10 min). */
  readonly autoChapterSec?: number;
}

/** Most chat messages one replay answer carries. */
const MAX_REPLAY_MESSAGES = 20_000;

export class VodService {
  readonly library: VodLibrary;
  readonly origin: VodOrigin;
  readonly #options: VodServiceOptions;
  /** Lifecycle writes of one stream run in order (created → live → ended). */
  readonly #chains = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: VodServiceOptions) {
    this.#options = options;
    this.library = new VodLibrary({
      root: path.join(options.dataDir, 'vod'),
      archiveRoot: path.join(options.dataDir, 'hls'),
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
      recognizer: options.recognizer === undefined ? new PocketsphinxRecognizer() : options.recognizer,
      ioLimitBytesPerSec: options.ioLimitBytesPerSec,
      ...(options.autoChapterSec ? { autoChapterSec: options.autoChapterSec } : {}),
    });
    this.origin = new VodOrigin(this.library);
    options.streams.on('update', this.#onUpdate);
  }

  /** Resumes jobs a previous process left unfinished. */
  async start(): Promise<void> {
    await this.library.start();
  }

  /** POST /api/streams: remembers whether the stream wants captions. */
  streamCreated(streamId: string, o: { title: string; captions: boolean }): void {
    this.library.streamCreated(streamId, o);
  }

  /** POST /api/streams/:id/chapters. */
  async mark(streamId: string, streamKey: string, o: { title?: string | undefined; streamTime?: number | undefined }): Promise<{ streamTime: number; title: string | null }> {
    const record = this.authorize(streamId, streamKey);
    if (!this.#options.hls) throw new InvalidStateError('this server does not record streams (HLS=0), so it keeps no chapters', 'recording_off');
    if (record.state !== 'live') throw new InvalidStateError(`stream "${streamId}" is ${record.state}; chapters can be marked only while it is live`, record.state === 'ended' ? 'stream_ended' : 'not_live');
    const streamTime = o.streamTime ?? Date.now();
    const title = o.title?.trim() || null;
    await this.#chained(streamId, () => this.library.addMark(streamId, { streamTimeMs: streamTime, title, source: 'mark' }));
    return { streamTime, title };
  }

  /** PATCH /api/streams/:id {title}: renames; while live the new title starts a chapter. */
  async rename(streamId: string, streamKey: string, title: string): Promise<StreamInfo> {
    this.authorize(streamId, streamKey);
    const record = this.#options.streams.setTitle(streamId, title);
    if (this.#options.hls) await this.#chained(streamId, () => this.library.addMark(streamId, { streamTimeMs: Date.now(), title, source: 'title' }));
    return this.#options.streams.info(record.id);
  }

  /** The `vod` field of GET /api/streams/:id and the body of GET /api/vod/:id; null when there is no recording. */
  async status(streamId: string): Promise<VodStatus | null> {
    const s = await this.library.summary(streamId);
    return s ? this.#toStatus(s) : null;
  }

  /** Like status(), but a missing VOD is a 404 that says why. */
  async require(streamId: string): Promise<VodStatus> {
    const status = await this.status(streamId);
    if (!status) throw new NotFoundError(`stream "${streamId}" has no recording: it never went live (or its archive is gone)`);
    return status;
  }

  /** GET /api/vod/:id/chat: the stored chat on the VOD timeline. */
  async chatReplay(streamId: string): Promise<VodChatReplay> {
    const status = await this.require(streamId);
    const origin = status.originMs;
    const messages: VodChatReplay['messages'] = [];
    let truncated = false;
    const chat = this.#options.chat;
    if (chat && origin !== null) {
      let after = 0;
      for (;;) {
        const page = chat.replay(streamId, after, 500);
        for (const e of page.events) {
          after = e.seq;
          const line = replayLine(e, origin);
          if (line) messages.push(line);
        }
        if (messages.length >= MAX_REPLAY_MESSAGES) {
          truncated = page.hasMore;
          break;
        }
        if (!page.hasMore || page.events.length === 0) break;
      }
    }
    messages.sort((a, b) => a.vodSec - b.vodSec || a.seq - b.seq);
    return { streamId, messages, truncated };
  }

  /** Stops the running job (it resumes on the next start). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.streams.off('update', this.#onUpdate);
    await Promise.allSettled(this.#chains.values());
    await this.library.close();
  }

  readonly #onUpdate = (info: StreamInfo, change: StreamChange): void => {
    // Without the HLS tier nothing is archived, so there is nothing to record.
    if (change !== 'state' || this.#closed || !this.#options.hls) return;
    const id = info.id;
    if (info.state === 'live' && info.startedAt) {
      const startedAt = info.startedAt;
      this.#chain(id, () => this.library.streamStarted(id, startedAt, info.title));
    } else if (info.state === 'ended') {
      // The bridge closes itself when the publisher goes; closing is idempotent and resolves once its archive is complete.
      const closed = this.#options.hls?.bridge(id)?.close('stream ended') ?? Promise.resolve();
      this.#chain(id, () => this.library.streamEnded(id, info.endedAt, closed));
    }
  };

  /** 404 for an unknown stream, 401 for a missing or wrong key. */
  authorize(streamId: string, streamKey: string): ReturnType<StreamRegistry['require']> {
    const record = this.#options.streams.require(streamId);
    if (!streamKey || !this.#options.streams.verifyKey(streamId, streamKey)) throw new UnauthorizedError();
    return record;
  }

  #chain(streamId: string, step: () => Promise<unknown>): void {
    void this.#chained(streamId, step).catch((err: unknown) => logger.error(`VOD bookkeeping for stream ${streamId} failed`, err));
  }

  #chained<T>(streamId: string, step: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(streamId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(step);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#chains.set(streamId, settled);
    void settled.then(() => {
      if (this.#chains.get(streamId) === settled) this.#chains.delete(streamId);
    });
    return next;
  }

  #toStatus(s: VodSummary): VodStatus {
    const base = (this.#options.publicUrl ?? '').replace(/\/+$/, '');
    const id = encodeURIComponent(s.streamId);
    const files = `${base}/vod/${id}`;
    return {
      streamId: s.streamId,
      state: s.state,
      title: s.title,
      page: `${base}/vod/${id}`,
      playlist: `${files}/master.m3u8`,
      mp4: s.mp4 ? `${files}/vod.mp4` : null,
      mp4Bytes: s.mp4?.bytes ?? null,
      chaptersVtt: `${files}/chapters.vtt`,
      captionsVtt: s.captions === 'ready' ? `${files}/captions.vtt` : null,
      captions: s.captions,
      originMs: s.originMs,
      durationSec: s.durationSec,
      liveDurationSec: s.liveDurationSec,
      chapters: [...s.chapters],
      missingSegments: s.missingSegments.map((m) => ({ rendition: m.rendition, msn: m.msn })),
      job: s.job
        ? {
            state: s.job.state,
            stage: s.job.stage,
            percent: s.job.percent,
            etaSec: s.job.etaSec,
            attempts: s.job.attempts,
            error: s.job.error,
            stages: s.job.stages.map((st) => ({ name: st.name, state: st.state, percent: st.percent, error: st.error, elapsedSec: st.elapsedSec })),
          }
        : null,
    };
  }
}

/** A chat event as a replay line; moderation events and deleted messages are not replayed. */
function replayLine(e: ChatEvent, originMs: number): VodChatReplay['messages'][number] | null {
  const at = { seq: e.seq, streamTime: e.streamTime, vodSec: Math.round(e.streamTime - originMs) / 1000 };
  if (e.kind === 'message') return e.deleted ? null : { ...at, kind: e.kind, name: e.user.name, role: e.user.role, text: e.text };
  if (e.kind === 'donation' || e.kind === 'sub') return { ...at, kind: e.kind, name: e.user.name, role: e.user.role, text: e.entry.message ?? `${e.entry.amount} ${e.entry.currency}` };
  return null;
}
