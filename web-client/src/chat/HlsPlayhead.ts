/**
 * An HLS viewer's playhead: the EXT-X-PROGRAM-DATE-TIME of the position being played, which
 * hls.js exposes as `playingDate`. The bridge stamps segments with the wall clock at which it
 * received the media, a few tens of ms after capture, close enough for chat alignment.
 */
import type { Playhead } from './playhead.ts';

/** The part of an hls.js instance this needs. */
export interface ProgramDateSource {
  readonly playingDate: Date | null;
}

export class HlsPlayhead implements Playhead {
  readonly #hls: ProgramDateSource;

  constructor(hls: ProgramDateSource) {
    this.#hls = hls;
  }

  get source(): 'program-date-time' | 'none' {
    return this.#hls.playingDate ? 'program-date-time' : 'none';
  }

  get delayMs(): number | null {
    const at = this.current();
    return at === null ? null : Date.now() - at;
  }

  current(): number | null {
    const date = this.#hls.playingDate;
    return date ? date.getTime() : null;
  }

  stop(): void {
    // hls.js is owned by the page
  }
}
