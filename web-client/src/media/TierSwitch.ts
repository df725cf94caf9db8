/**
 * Which delivery tier feeds the watch page's <video>: WebRTC (the Viewer, sub-second)
 * or LL-HLS (HlsPlayer, a couple of seconds, scales behind a CDN). Moves to HLS by
 * itself when the Viewer says WebRTC will not play (the server's WebRTC tier is full,
 * or the media path failed), and on the viewer's request either way.
 */
import type { StreamInfo } from '../../../signaling/protocol/messages.ts';
import { Emitter } from '../net/Emitter.ts';
import { HlsPlayer, type HlsLevel } from './HlsPlayer.ts';
import type { Viewer } from './Viewer.ts';

export type WatchTier = 'webrtc' | 'hls';

/** Why the page plays HLS: picked by the viewer, WebRTC tier full, or WebRTC failed here. */
export type HlsReason = 'chosen' | 'full' | 'failed';

export type TierSwitchEvents = {
  tier: [tier: WatchTier, reason: HlsReason | null, detail: string | null];
  levels: [levels: readonly HlsLevel[]];
  level: [index: number];
};

export interface TierSwitchOptions {
  readonly video: HTMLVideoElement;
  readonly viewer: Viewer;
  /** The stream's multivariant playlist. */
  readonly hlsUrl: string;
  /** false: play HLS without its low-latency parts (plain HLS), for comparison. */
  readonly lowLatency?: boolean;
}

export class TierSwitch extends Emitter<TierSwitchEvents> {
  readonly #video: HTMLVideoElement;
  readonly #viewer: Viewer;
  readonly #hlsUrl: string;
  readonly #lowLatency: boolean;
  #tier: WatchTier = 'webrtc';
  #reason: HlsReason | null = null;
  #player: HlsPlayer | null = null;
  #streamLive = false;
  #hlsAvailable = true;
  readonly #unsubscribe: Array<() => void>;

  constructor(options: TierSwitchOptions) {
    super();
    this.#video = options.video;
    this.#viewer = options.viewer;
    this.#hlsUrl = options.hlsUrl;
    this.#lowLatency = options.lowLatency ?? true;
    this.#unsubscribe = [
      this.#viewer.on('unplayable', (reason, detail) => {
        if (this.#tier === 'webrtc' && this.#hlsAvailable) this.use('hls', reason, detail);
      }),
      this.#viewer.on('stream', (info) => this.#onStream(info)),
    ];
  }

  get tier(): WatchTier {
    return this.#tier;
  }

  get reason(): HlsReason | null {
    return this.#reason;
  }

  /** The HLS player while the HLS tier plays. */
  get player(): HlsPlayer | null {
    return this.#player;
  }

  /** False when the server runs without an HLS tier: the page then stays on WebRTC. */
  get hlsAvailable(): boolean {
    return this.#hlsAvailable;
  }

  set hlsAvailable(available: boolean) {
    if (available === this.#hlsAvailable) return;
    this.#hlsAvailable = available;
    if (!available && this.#tier === 'hls') this.use('webrtc');
    else this.emit('tier', this.#tier, this.#reason, null);
  }

  use(tier: WatchTier, reason: HlsReason = 'chosen', detail: string | null = null): void {
    if (tier === 'hls' && !this.#hlsAvailable) return;
    const changed = tier !== this.#tier;
    this.#tier = tier;
    this.#reason = tier === 'hls' ? reason : null;
    if (tier === 'hls') {
      this.#viewer.setMediaEnabled(false);
      this.#video.srcObject = null;
      if (this.#streamLive) this.#startPlayer();
    } else {
      this.#stopPlayer();
      this.#viewer.setMediaEnabled(true);
    }
    if (changed || tier === 'hls') this.emit('tier', tier, this.#reason, detail);
  }

  close(): void {
    this.#stopPlayer();
    this.#unsubscribe.splice(0).forEach((off) => off());
    this.removeAllListeners();
  }

  #onStream(info: StreamInfo): void {
    this.#streamLive = info.state === 'live';
    // HLS starts once the stream is live; after it ends the player plays out to EXT-X-ENDLIST.
    if (this.#streamLive && this.#tier === 'hls') this.#startPlayer();
  }

  #startPlayer(): void {
    if (this.#player) return;
    const player = new HlsPlayer(this.#video, this.#hlsUrl, { lowLatency: this.#lowLatency });
    this.#player = player;
    player.on('levels', (levels) => this.emit('levels', levels));
    player.on('level', (index) => this.emit('level', index));
    player.on('recovering', (detail) => console.warn(`HLS: recovering from ${detail}`));
    player.start().catch((err: Error) => {
      console.warn(`HLS playback unavailable: ${err.message}`);
      if (this.#player === player) this.use('webrtc');
    });
  }

  #stopPlayer(): void {
    this.#player?.destroy();
    this.#player = null;
  }
}
