/**
 * The platform's HLS tier: one HlsBridge per live stream, started as soon as the
 * stream's router has its publisher's tracks and closed when the publisher leaves
 * (the archive stays on disk for VOD), and one HlsOrigin serving every stream under
 * /hls/. It listens to the SFU only (newrouter → newproducer, publisherclose/close),
 * so the session layer does not need to know HLS exists.
 */
import path from 'node:path';
import { BridgeEvents, HlsBridge, HlsOrigin, type HlsBridgeOptions } from '../../hls-bridge/index.ts';
import { ProducerRtpSource } from '../../hls-bridge/ingest/ProducerRtpSource.ts';
import type { Sfu } from '../../sfu/Sfu.ts';
import type { Producer } from '../../sfu/Producer.ts';
import { hlsUrl } from '../http/stream-urls.ts';
import { createLogger } from '../logger.ts';
import type { HlsStatus } from '../protocol/messages.ts';
import type { SfuRouter } from '../streams/sfu-types.ts';

const logger = createLogger('signaling:HlsService');

export interface HlsServiceOptions {
  readonly sfu: Sfu;
  /** DATA_DIR; archives go to <dataDir>/hls/<streamId>/. */
  readonly dataDir: string;
  readonly ffmpegPath: string | undefined;
  readonly videoEncoder: string;
  readonly publicUrl: string | undefined;
  /** How long an ended stream's playlists (with EXT-X-ENDLIST) stay served from memory. */
  readonly lingerMs?: number;
  /** Extra bridge settings (tests and benchmarks: a smaller ladder, fewer threads). */
  readonly bridge?: Partial<Omit<HlsBridgeOptions, 'streamId' | 'sources' | 'archiveDir' | 'ffmpegPath' | 'videoEncoder'>>;
}

export class HlsService {
  readonly origin = new HlsOrigin();
  readonly #options: HlsServiceOptions;
  readonly #archiveDir: string;
  readonly #bridges = new Map<string, HlsBridge>();
  readonly #lingers = new Map<string, NodeJS.Timeout>();
  /** The producers each bridge reads, to tell a returning publisher's tracks from a repeated announcement. */
  readonly #fedBy = new Map<string, { video: Producer | undefined; audio: Producer | undefined }>();
  #closing: Promise<void> | null = null;

  constructor(options: HlsServiceOptions) {
    this.#options = options;
    this.#archiveDir = path.join(options.dataDir, 'hls');
    options.sfu.on('newrouter', this.#onRouter);
  }

  /** The stream's bridge (live, or ended and still served); undefined otherwise. */
  bridge(streamId: string): HlsBridge | undefined {
    return this.#bridges.get(streamId);
  }

  /** The `hls` field of GET /api/streams/:id; null when the stream has no HLS output. */
  status(streamId: string): HlsStatus | null {
    const bridge = this.#bridges.get(streamId);
    if (!bridge) return null;
    const s = bridge.status;
    const t = s.transcoder;
    return {
      state: s.state,
      ready: s.ready,
      playlist: hlsUrl(streamId, this.#options.publicUrl),
      renditions: s.renditions.map((r) => ({
        name: r.name,
        kind: r.kind,
        copy: r.copy,
        ...(r.width !== undefined ? { width: r.width } : {}),
        ...(r.height !== undefined ? { height: r.height } : {}),
        ...(r.codec !== undefined ? { codec: r.codec } : {}),
        ...(r.bitrate !== undefined ? { bitrate: Math.round(r.bitrate) } : {}),
      })),
      ffmpeg: {
        speed: t?.speed ?? null,
        fps: t?.fps ?? null,
        restarts: s.restarts,
        errors: t?.errors ?? 0,
        lastError: t?.lastError ?? null,
      },
    };
  }

  /** Stops every bridge (ffmpeg flushes, playlists end, archives are finished). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#options.sfu.off('newrouter', this.#onRouter);
      for (const timer of this.#lingers.values()) clearTimeout(timer);
      this.#lingers.clear();
      await Promise.all([...this.#bridges.values()].map((b) => b.close('server shutting down')));
      for (const id of this.#bridges.keys()) this.origin.detach(id);
      this.#bridges.clear();
    })();
    return this.#closing;
  }

  readonly #onRouter = (router: SfuRouter): void => {
    // A publisher's producers are announced one by one in the same tick: start once all are in.
    router.on('newproducer', () => queueMicrotask(() => this.#start(router)));
    // A publisher that drops may come back (signaling keeps the router during its grace): the bridge
    // waits, then takes the new tracks (#start). It stops only when the stream ends (router close).
    router.once('close', (reason) => this.#stop(router.id, `stream ended (${reason})`));
  };

  #start(router: SfuRouter): void {
    if (this.#closing || router.closed) return;
    // Only where the publisher is connected: a node that receives the stream over a pipe (cluster edge) does not transcode it again.
    if (!router.publisher) return;
    const producers = router.producers;
    const video = producers.find((p) => p.kind === 'video');
    const audio = producers.find((p) => p.kind === 'audio');
    if (!video && !audio) return;
    // One bridge per stream for its whole life: a returning publisher's tracks replace the old ones in it.
    const existing = this.#bridges.get(router.id);
    if (existing) {
      if (this.#lingers.has(router.id)) return;
      const fed = this.#fedBy.get(router.id);
      if (fed && fed.video === video && fed.audio === audio) return;
      this.#fedBy.set(router.id, { video, audio });
      existing.replaceSources({ ...(video ? { video: new ProducerRtpSource(video) } : {}), ...(audio ? { audio: new ProducerRtpSource(audio) } : {}) });
      return;
    }
    let bridge: HlsBridge;
    try {
      bridge = new HlsBridge({
        ...this.#options.bridge,
        streamId: router.id,
        sources: { ...(video ? { video: new ProducerRtpSource(video) } : {}), ...(audio ? { audio: new ProducerRtpSource(audio) } : {}) },
        archiveDir: this.#archiveDir,
        ffmpegPath: this.#options.ffmpegPath,
        videoEncoder: this.#options.videoEncoder,
      });
    } catch (err) {
      // e.g. a codec the bridge cannot take: the stream stays WebRTC-only.
      logger.warn(`no HLS for stream ${router.id}: ${(err as Error).message}`);
      return;
    }
    this.#bridges.set(router.id, bridge);
    this.#fedBy.set(router.id, { video, audio });
    this.origin.attach(router.id, bridge);
    bridge.on(BridgeEvents.READY, () => logger.info(`hls ready [stream:${router.id}] [renditions:${bridge.status.renditions.map((r) => r.name).join(',')}]`));
    logger.info(`start() [stream:${router.id}] [video:${video?.codec.mimeType ?? '-'}] [audio:${audio?.codec.mimeType ?? '-'}]`);
    bridge.start().catch((err: unknown) => {
      logger.error(`HLS bridge for stream ${router.id} failed to start (check FFMPEG_PATH and free disk space)`, err);
      void bridge.close('start failed');
    });
  }

  #stop(streamId: string, reason: string): void {
    const bridge = this.#bridges.get(streamId);
    if (!bridge || this.#lingers.has(streamId) || this.#closing) return;
    void bridge.close(reason).catch((err: unknown) => logger.error(`closing the HLS bridge of stream ${streamId} failed`, err));
    // Late viewers still get the ended playlists for a while; the archive on disk outlives this.
    const timer = setTimeout(() => {
      this.#lingers.delete(streamId);
      this.#bridges.delete(streamId);
      this.#fedBy.delete(streamId);
      this.origin.detach(streamId);
    }, this.#options.lingerMs ?? 5 * 60_000);
    timer.unref();
    this.#lingers.set(streamId, timer);
  }
}
