/**
 * Plays a stream's LL-HLS playlist in a <video>: hls.js in low-latency mode where
 * Media Source Extensions exist, the browser's own HLS (Safari, iOS) otherwise.
 * hls.js is loaded on first use (its own chunk), so WebRTC viewers never download it.
 * The full build is used, not hls.js/light: light drops alternate audio renditions,
 * and the platform's master playlist carries audio as one (EXT-X-MEDIA TYPE=AUDIO).
 * Fatal errors are recovered here: network errors reload, media errors re-attach,
 * anything else rebuilds the player after a short wait.
 */
import type Hls from 'hls.js';
import type { ErrorData, HlsConfig } from 'hls.js';
import { Emitter } from '../net/Emitter.ts';

export interface HlsLevel {
  /** Index in hls.levels; what setLevel() takes. */
  readonly index: number;
  readonly width: number;
  readonly height: number;
  readonly bitrate: number;
  /** e.g. '480p', or 'audio' for the audio-only variant. */
  readonly label: string;
}

export interface HlsPlayerOptions {
  /** false plays the same playlists as plain HLS (whole segments, no parts): for comparison and benchmarks. */
  readonly lowLatency?: boolean;
}

export type HlsPlayerEvents = {
  levels: [levels: HlsLevel[]];
  /** The level being played changed (index into levels). */
  level: [index: number];
  /** A fatal error that is being recovered from (the player keeps trying). */
  recovering: [detail: string];
};

/** Settings every viewer gets: LL-HLS, and catch up quickly after a late start or a stall. */
export const HLS_CONFIG: Partial<HlsConfig> = {
  lowLatencyMode: true,
  maxLiveSyncPlaybackRate: 1.5,
  backBufferLength: 30,
  // The origin holds blocking requests up to 3 target durations (6 s): allow for it.
  manifestLoadPolicy: {
    default: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 20_000, timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 }, errorRetry: { maxNumRetry: 6, retryDelayMs: 1000, maxRetryDelayMs: 8000 } },
  },
};

const REBUILD_DELAY_MS = 2000;

export class HlsPlayer extends Emitter<HlsPlayerEvents> {
  readonly #video: HTMLVideoElement;
  readonly #url: string;
  readonly #lowLatency: boolean;
  #hls: Hls | null = null;
  #native = false;
  #destroyed = false;
  #rebuildTimer: ReturnType<typeof setTimeout> | undefined;
  #lastMediaRecovery = 0;
  #levels: HlsLevel[] = [];

  constructor(video: HTMLVideoElement, url: string, options: HlsPlayerOptions = {}) {
    super();
    this.#video = video;
    this.#url = url;
    this.#lowLatency = options.lowLatency ?? true;
  }

  /** Loads hls.js (first time only) and starts playback. */
  async start(): Promise<void> {
    const { default: HlsClass } = await import('hls.js');
    if (this.#destroyed) return;
    if (HlsClass.isSupported()) {
      this.#build(HlsClass);
    } else if (this.#video.canPlayType('application/vnd.apple.mpegurl')) {
      // Safari/iOS: native HLS does LL-HLS itself; no level list or PDT access.
      this.#native = true;
      this.#video.src = this.#url;
      void this.#video.play().catch(() => undefined);
    } else {
      throw new Error('this browser can play neither WebRTC nor HLS (no Media Source Extensions)');
    }
  }

  get levels(): readonly HlsLevel[] {
    return this.#levels;
  }

  /** Level being played, or -1 before one is chosen. */
  get currentLevel(): number {
    return this.#hls?.currentLevel ?? -1;
  }

  get autoLevel(): boolean {
    return this.#hls?.autoLevelEnabled ?? true;
  }

  /** A level index, or -1 for automatic (bandwidth-driven) selection. */
  setLevel(index: number): void {
    if (this.#hls) this.#hls.currentLevel = index;
  }

  /**
   * ms between the publisher's capture of the frame on screen (EXT-X-PROGRAM-DATE-TIME
   * maps media time to the capture clock) and now; null until known.
   */
  get delayMs(): number | null {
    const date = this.#hls?.playingDate;
    if (date) return Date.now() - date.getTime();
    // Safari exposes the playlist's PDT through getStartDate().
    const v = this.#video as HTMLVideoElement & { getStartDate?: () => Date };
    const start = this.#native ? v.getStartDate?.().getTime() : NaN;
    return start !== undefined && Number.isFinite(start) ? Date.now() - (start + v.currentTime * 1000) : null;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearTimeout(this.#rebuildTimer);
    this.#hls?.destroy();
    this.#hls = null;
    this.removeAllListeners();
    if (this.#native || this.#video.getAttribute('src') !== null) {
      this.#video.removeAttribute('src');
      this.#video.load();
    }
  }

  #build(HlsClass: typeof Hls): void {
    const hls = new HlsClass({ ...HLS_CONFIG, lowLatencyMode: this.#lowLatency });
    this.#hls = hls;
    hls.on(HlsClass.Events.MANIFEST_PARSED, () => {
      this.#levels = hls.levels.map((l, index) => ({
        index,
        width: l.width,
        height: l.height,
        bitrate: l.bitrate,
        // Renditions are named by their short side, so portrait video reads the same.
        label: l.height ? `${l.width ? Math.min(l.width, l.height) : l.height}p` : 'audio',
      }));
      this.emit('levels', this.#levels);
      void this.#video.play().catch(() => undefined);
    });
    hls.on(HlsClass.Events.LEVEL_SWITCHED, (_e, data) => this.emit('level', data.level));
    hls.on(HlsClass.Events.ERROR, (_e, data) => this.#onError(HlsClass, hls, data));
    hls.loadSource(this.#url);
    hls.attachMedia(this.#video);
  }

  #onError(HlsClass: typeof Hls, hls: Hls, data: ErrorData): void {
    if (!data.fatal || hls !== this.#hls) return;
    this.emit('recovering', data.details);
    if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && Date.now() - this.#lastMediaRecovery > 5000) {
      this.#lastMediaRecovery = Date.now();
      hls.recoverMediaError();
      return;
    }
    if (data.type === HlsClass.ErrorTypes.NETWORK_ERROR && data.details !== HlsClass.ErrorDetails.MANIFEST_LOAD_ERROR) {
      hls.startLoad();
      return;
    }
    // The master playlist is not there yet (stream starting) or the player is wedged: start over.
    hls.destroy();
    this.#hls = null;
    this.#rebuildTimer = setTimeout(() => {
      if (!this.#destroyed) this.#build(HlsClass);
    }, REBUILD_DELAY_MS);
  }
}
