/**
 * Groups one rendition's fMP4 fragments into LL-HLS parts and segments.
 * ffmpeg writes a fragment per video frame (per few audio frames); the cutter decides:
 *  - a part closes as soon as the next fragment of the same length would push it past
 *    PART-TARGET (so every part is ≤ PART-TARGET, and published without waiting), but not
 *    early while it is under 85% of PART-TARGET (the spec's floor for all but a segment's
 *    last part): with jittery frame times (copied WebRTC video) the next frame may still fit;
 *    only a single frame longer than 15% of PART-TARGET can still force a short part;
 *  - a segment starts at a sync fragment once the open segment is long enough, or, if no
 *    keyframe comes, is cut anyway before EXTINF would round above TARGETDURATION.
 * Pure: fragments in, events out, no clocks. All times are in the track's timescale ticks.
 */

export interface CutterFragment {
  readonly data: Buffer;
  /** Decode time of the first sample (ticks, already on the stream timeline). */
  readonly startTicks: number;
  readonly durationTicks: number;
  /** First sample is a sync sample (keyframe); always true for audio. */
  readonly sync: boolean;
}

export interface PartCutterOptions {
  readonly timescale: number;
  /** PART-TARGET in seconds: no part is longer. */
  readonly partTargetSec: number;
  /** A sync fragment starts a new segment once the open one is at least this long. */
  readonly segmentMinSec: number;
  /** Without a sync fragment, a segment is cut before it would exceed this. */
  readonly segmentMaxSec: number;
}

export type CutterEvent =
  | { readonly type: 'segmentStart'; readonly startTicks: number; readonly independent: boolean }
  | { readonly type: 'part'; readonly data: Buffer; readonly startTicks: number; readonly durationTicks: number; readonly independent: boolean }
  | { readonly type: 'segmentEnd'; readonly durationTicks: number };

export class PartCutter {
  readonly #partTarget: number;
  /** 85% of PART-TARGET (RFC 8216bis 4.4.4.9). */
  readonly #partMin: number;
  readonly #segmentMin: number;
  readonly #segmentMax: number;
  #segmentOpen = false;
  #segmentTicks = 0;
  #part: CutterFragment[] = [];
  #partTicks = 0;

  constructor(options: PartCutterOptions) {
    const ts = options.timescale;
    // A hair of tolerance so 10 frames of 1/30 s fit a 0.334 s target despite rounding.
    this.#partTarget = Math.floor(options.partTargetSec * ts + 1e-6);
    this.#partMin = Math.ceil(0.85 * options.partTargetSec * ts - 1e-6);
    this.#segmentMin = Math.round(options.segmentMinSec * ts);
    this.#segmentMax = Math.floor(options.segmentMaxSec * ts);
    if (this.#partTarget <= 0 || this.#segmentMin <= 0 || this.#segmentMax < this.#segmentMin) {
      throw new RangeError('PartCutter needs 0 < PART-TARGET and 0 < segmentMin <= segmentMax');
    }
  }

  /** Duration of the open segment so far (closed parts + open part), in seconds × timescale. */
  get openSegmentTicks(): number {
    return this.#segmentTicks;
  }

  get segmentOpen(): boolean {
    return this.#segmentOpen;
  }

  push(fragment: CutterFragment): CutterEvent[] {
    const events: CutterEvent[] = [];
    if (this.#segmentOpen) {
      const longEnough = fragment.sync && this.#segmentTicks >= this.#segmentMin;
      const wouldOverrun = this.#segmentTicks + fragment.durationTicks > this.#segmentMax;
      if (longEnough || wouldOverrun) this.#endSegment(events);
    }
    if (!this.#segmentOpen) {
      this.#segmentOpen = true;
      this.#segmentTicks = 0;
      events.push({ type: 'segmentStart', startTicks: fragment.startTicks, independent: fragment.sync });
    }
    if (this.#part.length > 0 && this.#partTicks + fragment.durationTicks > this.#partTarget) this.#closePart(events);
    this.#part.push(fragment);
    this.#partTicks += fragment.durationTicks;
    this.#segmentTicks += fragment.durationTicks;
    // Close now if another fragment of this length cannot fit: the part goes out one fragment earlier.
    if (this.#partTicks >= this.#partMin && this.#partTicks + fragment.durationTicks > this.#partTarget) this.#closePart(events);
    return events;
  }

  /** Ends whatever is open (ffmpeg exited or the stream stopped). */
  flush(): CutterEvent[] {
    const events: CutterEvent[] = [];
    if (this.#segmentOpen) this.#endSegment(events);
    return events;
  }

  #closePart(events: CutterEvent[]): void {
    if (this.#part.length === 0) return;
    const first = this.#part[0]!;
    const data = this.#part.length === 1 ? first.data : Buffer.concat(this.#part.map((f) => f.data));
    events.push({ type: 'part', data, startTicks: first.startTicks, durationTicks: this.#partTicks, independent: first.sync });
    this.#part = [];
    this.#partTicks = 0;
  }

  #endSegment(events: CutterEvent[]): void {
    this.#closePart(events);
    events.push({ type: 'segmentEnd', durationTicks: this.#segmentTicks });
    this.#segmentOpen = false;
    this.#segmentTicks = 0;
  }
}
