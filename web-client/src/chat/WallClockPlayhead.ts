/** The streamer's playhead: its own camera preview shows "now" on the publisher's clock. */
import type { Playhead } from './playhead.ts';

export class WallClockPlayhead implements Playhead {
  readonly source = 'wallclock' as const;
  readonly delayMs = 0;

  current(): number {
    return Date.now();
  }

  stop(): void {
    // nothing to stop
  }
}
