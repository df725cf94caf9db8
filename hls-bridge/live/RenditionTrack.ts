/**
 * One rendition's path from an ffmpeg output pipe to its playlist, for each ffmpeg
 * generation in turn: fMP4 bytes → fragments re-timed onto the stream timeline →
 * parts and segments (PartCutter) → MediaPlaylist, with every init and segment handed
 * to the archive.
 *
 * Stream timeline: a sample's decode time is (capture time − stream epoch) in the track's
 * timescale, so EXT-X-PROGRAM-DATE-TIME = epoch + decode time, whatever ffmpeg did with its
 * own timestamps, and a restarted ffmpeg continues the same timeline (after a discontinuity).
 */
import type { Readable } from 'node:stream';
import { writeBaseMediaDecodeTime, type InitTrack } from '../fmp4/fmp4-boxes.ts';
import { Fmp4StreamReader, type Fmp4Fragment } from '../fmp4/Fmp4StreamReader.ts';
import type { MediaKind } from '../types.ts';
import type { MediaPlaylist, Part, Segment } from './MediaPlaylist.ts';
import { PartCutter, type CutterEvent } from './PartCutter.ts';

export interface GenerationTiming {
  readonly generation: number;
  /** Unix ms the stream timeline counts from. */
  readonly epochMs: number;
  /** Capture time of this kind's first forwarded packet in this generation (null until known). */
  readonly startCaptureMs: () => number | null;
  /** Encoder delay ahead of the first input sample (AAC priming), seconds. */
  readonly primingSec: number;
}

export interface RenditionTrackHooks {
  onInit?(track: RenditionTrack, generation: number, data: Buffer, info: InitTrack): void;
  onFragment?(track: RenditionTrack, sync: boolean): void;
  onPart?(track: RenditionTrack, part: Part): void;
  onSegment?(track: RenditionTrack, segment: Segment): void;
  onError?(track: RenditionTrack, error: Error): void;
}

export interface RenditionTrackOptions {
  readonly playlist: MediaPlaylist;
  readonly kind: MediaKind;
  readonly segmentTargetSec: number;
  readonly hooks: RenditionTrackHooks;
}

export class RenditionTrack {
  readonly playlist: MediaPlaylist;
  readonly kind: MediaKind;
  readonly #segmentTargetSec: number;
  readonly #hooks: RenditionTrackHooks;
  #timing: GenerationTiming | null = null;
  #reader: Fmp4StreamReader | null = null;
  #cutter: PartCutter | null = null;
  #timescale = 0;
  #offsetTicks: number | null = null;
  /** End of the last fragment on the stream timeline, seconds (keeps restarts monotonic). */
  #endSec = 0;
  #frameDurations: number[] = [];
  #failed = false;

  constructor(options: RenditionTrackOptions) {
    this.playlist = options.playlist;
    this.kind = options.kind;
    this.#segmentTargetSec = options.segmentTargetSec;
    this.#hooks = options.hooks;
  }

  get name(): string {
    return this.playlist.name;
  }

  /** Open segment length so far, seconds (drives keyframe requests ahead of a cut). */
  get openSegmentSec(): number {
    return this.#cutter && this.#timescale ? this.#cutter.openSegmentTicks / this.#timescale : 0;
  }

  /** Median frame duration observed (video), as frames per second; null until known. */
  get frameRate(): number | null {
    if (this.#frameDurations.length < 5) return null;
    const sorted = [...this.#frameDurations].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    return median > 0 ? Math.round((1 / median) * 1000) / 1000 : null;
  }

  /** Starts reading a new ffmpeg generation's output for this rendition. */
  attach(output: Readable, timing: GenerationTiming): void {
    this.#timing = timing;
    this.#offsetTicks = null;
    this.#failed = false;
    this.playlist.markDiscontinuity();
    const reader = new Fmp4StreamReader({
      onInit: (data, tracks) => this.#onInit(data, tracks),
      onFragment: (fragment) => this.#onFragment(fragment),
    });
    this.#reader = reader;
    output.on('data', (chunk: Buffer) => {
      if (this.#reader !== reader || this.#failed) return;
      try {
        reader.push(chunk);
      } catch (err) {
        this.#failed = true;
        this.#hooks.onError?.(this, err instanceof Error ? err : new Error(String(err)));
      }
    });
    // ffmpeg closing the pipe is handled by the bridge through detach().
    output.on('error', () => {});
  }

  /** The generation ended: close the open part and segment. */
  detach(): void {
    if (this.#cutter) this.#apply(this.#cutter.flush());
    this.#reader = null;
    this.#cutter = null;
    this.#timing = null;
  }

  #onInit(data: Buffer, tracks: readonly InitTrack[]): void {
    const info = tracks[0];
    const timing = this.#timing;
    if (!info || !timing) return;
    this.#timescale = info.timescale;
    const partTargetSec = this.playlist.partTargetSec;
    this.#cutter = new PartCutter({
      timescale: info.timescale,
      partTargetSec,
      // Video cuts at keyframes once a segment is 3/4 full; audio (all sync) as close to the target as it can.
      segmentMinSec: this.kind === 'video' ? this.#segmentTargetSec * 0.75 : this.#segmentTargetSec - 0.05,
      // EXTINF must round to ≤ TARGETDURATION.
      segmentMaxSec: this.#segmentTargetSec + 0.49,
    });
    const initInfo = { generation: timing.generation, data, codec: info.codec, timescale: info.timescale };
    this.playlist.setInit({
      ...initInfo,
      ...(info.width !== undefined ? { width: info.width } : {}),
      ...(info.height !== undefined ? { height: info.height } : {}),
      ...(info.channels !== undefined ? { channels: info.channels } : {}),
    });
    this.#hooks.onInit?.(this, timing.generation, data, info);
  }

  #onFragment(fragment: Fmp4Fragment): void {
    const traf = fragment.tracks[0];
    const timing = this.#timing;
    if (!traf || !timing || !this.#cutter) return;
    const ts = this.#timescale;
    if (this.#offsetTicks === null) {
      const capture = timing.startCaptureMs() ?? Date.now();
      const wantedSec = Math.max((capture - timing.epochMs) / 1000 - timing.primingSec, this.#endSec);
      this.#offsetTicks = Math.round(wantedSec * ts) - traf.baseMediaDecodeTime;
    }
    const startTicks = traf.baseMediaDecodeTime + this.#offsetTicks;
    writeBaseMediaDecodeTime(fragment.data, traf.tfdtStart, startTicks);
    this.#endSec = (startTicks + traf.duration) / ts;
    if (this.kind === 'video' && traf.sampleCount === 1) {
      this.#frameDurations.push(traf.duration / ts);
      if (this.#frameDurations.length > 90) this.#frameDurations.shift();
    }
    this.#hooks.onFragment?.(this, traf.firstSampleSync);
    this.#apply(this.#cutter.push({ data: fragment.data, startTicks, durationTicks: traf.duration, sync: traf.firstSampleSync }));
  }

  #apply(events: CutterEvent[]): void {
    const ts = this.#timescale;
    const timing = this.#timing;
    for (const e of events) {
      if (e.type === 'segmentStart') {
        this.playlist.beginSegment({ generation: timing?.generation ?? 0, programDateTimeMs: (timing?.epochMs ?? 0) + (e.startTicks / ts) * 1000, independent: e.independent });
      } else if (e.type === 'part') {
        const part = this.playlist.addPart({ data: e.data, duration: e.durationTicks / ts, independent: e.independent });
        this.#hooks.onPart?.(this, part);
      } else {
        const segment = this.playlist.endSegment(e.durationTicks / ts);
        if (segment) this.#hooks.onSegment?.(this, segment);
      }
    }
  }
}
