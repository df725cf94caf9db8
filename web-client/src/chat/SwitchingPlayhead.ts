/**
 * The playhead of whichever delivery tier feeds the video right now (the watch page switches
 * between WebRTC and HLS): asks `pick` on every read, so a tier switch re-times held chat at once.
 */
import type { Playhead, PlayheadSource } from './playhead.ts';

export class SwitchingPlayhead implements Playhead {
  readonly #pick: () => Playhead;
  readonly #all: readonly Playhead[];

  constructor(pick: () => Playhead, all: readonly Playhead[]) {
    this.#pick = pick;
    this.#all = all;
  }

  get source(): PlayheadSource {
    return this.#pick().source;
  }

  get delayMs(): number | null {
    return this.#pick().delayMs;
  }

  current(): number | null {
    return this.#pick().current();
  }

  stop(): void {
    for (const p of this.#all) p.stop();
  }
}
