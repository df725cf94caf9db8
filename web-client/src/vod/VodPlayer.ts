/**
 * Plays a VOD in a <video>: the HLS VOD playlist through hls.js (or the browser's own HLS),
 * or the stitched MP4 (byte ranges). Switching source keeps the position. Chapter and
 * caption tracks are plain <track> elements on the VOD timeline, so they work for both.
 */
import type Hls from 'hls.js';

export type VodSource = 'hls' | 'mp4';

export class VodPlayer {
  readonly video: HTMLVideoElement;
  #hls: Hls | null = null;
  #source: VodSource | null = null;
  #destroyed = false;
  /** Last fatal error, for the page to show. */
  error: string | null = null;

  constructor(video: HTMLVideoElement) {
    this.video = video;
  }

  get source(): VodSource | null {
    return this.#source;
  }

  /** Loads a source; resumes at `startSec` (default: where the previous source was). */
  async load(source: VodSource, url: string, startSec = this.video.currentTime): Promise<void> {
    this.#teardown();
    this.#source = source;
    this.error = null;
    const resume = (): void => {
      if (startSec > 0) this.video.currentTime = startSec;
    };
    if (source === 'mp4') {
      this.video.src = url;
      this.video.addEventListener('loadedmetadata', resume, { once: true });
      return;
    }
    const { default: HlsClass } = await import('hls.js');
    if (this.#destroyed) return;
    if (!HlsClass.isSupported()) {
      if (!this.video.canPlayType('application/vnd.apple.mpegurl')) throw new Error('this browser cannot play HLS; try the MP4');
      this.video.src = url;
      this.video.addEventListener('loadedmetadata', resume, { once: true });
      return;
    }
    // Captions come from a <track> on the VOD timeline, not from the playlist's subtitle rendition.
    const hls = new HlsClass({ enableWebVTT: false, startPosition: startSec > 0 ? startSec : -1, maxBufferLength: 30 });
    this.#hls = hls;
    hls.on(HlsClass.Events.ERROR, (_e, data) => {
      if (!data.fatal || hls !== this.#hls) return;
      this.error = `${data.type}: ${data.details}`;
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else if (data.type === HlsClass.ErrorTypes.NETWORK_ERROR) hls.startLoad();
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  /** Adds (or replaces) a <track> of `kind`; returns its TextTrack. */
  setTrack(kind: 'chapters' | 'captions', url: string, label: string): TextTrack {
    this.video.querySelector(`track[kind="${kind}"]`)?.remove();
    const el = document.createElement('track');
    el.kind = kind;
    el.label = label;
    el.srclang = 'en';
    el.src = url;
    if (kind === 'chapters') el.default = true;
    this.video.append(el);
    el.track.mode = kind === 'chapters' ? 'hidden' : 'disabled';
    return el.track;
  }

  destroy(): void {
    this.#destroyed = true;
    this.#teardown();
  }

  #teardown(): void {
    this.#hls?.destroy();
    this.#hls = null;
    if (this.video.getAttribute('src') !== null) {
      this.video.removeAttribute('src');
      this.video.load();
    }
  }
}
