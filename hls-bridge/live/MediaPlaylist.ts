/**
 * The live state of one rendition: its init segments (one per ffmpeg generation),
 * the sliding window of complete segments, the open segment's parts, and who is
 * waiting for the next change (blocking playlist reloads, preload-hinted parts).
 * No I/O and no clocks: the bridge feeds it, playlist-render.ts prints it.
 */
import type { MediaKind } from '../types.ts';

export interface Part {
  readonly msn: number;
  readonly index: number;
  /** Seconds. */
  readonly duration: number;
  readonly independent: boolean;
  data: Buffer;
}

export interface Segment {
  readonly msn: number;
  readonly generation: number;
  /** First segment after an ffmpeg restart (or any timeline break). */
  readonly discontinuity: boolean;
  /** Capture time of the first sample, Unix ms (EXT-X-PROGRAM-DATE-TIME). */
  readonly programDateTimeMs: number;
  readonly independent: boolean;
  readonly parts: Part[];
  /** Seconds; final once `complete`. */
  duration: number;
  complete: boolean;
  /** The whole segment once complete; null after it leaves the live window (it is on disk). */
  data: Buffer | null;
  bytes: number;
}

export interface InitInfo {
  readonly generation: number;
  readonly data: Buffer;
  readonly codec: string;
  readonly timescale: number;
  readonly width?: number;
  readonly height?: number;
  readonly channels?: number;
}

export interface PartPosition {
  readonly msn: number;
  readonly index: number;
}

export interface MediaPlaylistOptions {
  readonly name: string;
  readonly kind: MediaKind;
  readonly partTargetSec: number;
  readonly targetDurationSec: number;
  /** Complete segments listed in the live playlist. */
  readonly windowSegments: number;
  /** Parts are listed for this many trailing complete segments (plus the open one). */
  readonly partSegments?: number;
}

export class MediaPlaylist {
  readonly name: string;
  readonly kind: MediaKind;
  readonly partTargetSec: number;
  readonly targetDurationSec: number;
  readonly windowSegments: number;
  readonly partSegments: number;
  readonly #segments: Segment[] = [];
  readonly #inits = new Map<number, InitInfo>();
  readonly #listeners = new Set<() => void>();
  #current: Segment | null = null;
  #nextMsn = 0;
  #discontinuitySequence = 0;
  #pendingDiscontinuity = false;
  #ended = false;
  #latestInit: InitInfo | null = null;

  constructor(options: MediaPlaylistOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.partTargetSec = options.partTargetSec;
    this.targetDurationSec = options.targetDurationSec;
    this.windowSegments = Math.max(1, options.windowSegments);
    this.partSegments = options.partSegments ?? 3;
  }

  /* ------------------------------------------------------------ feeding */

  setInit(init: InitInfo): void {
    this.#inits.set(init.generation, init);
    this.#latestInit = init;
    this.#notify();
  }

  /** The next segment starts a new timeline (ffmpeg restarted). */
  markDiscontinuity(): void {
    if (this.#nextMsn > 0) this.#pendingDiscontinuity = true;
  }

  beginSegment(start: { generation: number; programDateTimeMs: number; independent: boolean }): Segment {
    if (this.#current) this.endSegment();
    const segment: Segment = {
      msn: this.#nextMsn++,
      generation: start.generation,
      discontinuity: this.#pendingDiscontinuity,
      programDateTimeMs: start.programDateTimeMs,
      independent: start.independent,
      parts: [],
      duration: 0,
      complete: false,
      data: null,
      bytes: 0,
    };
    this.#pendingDiscontinuity = false;
    this.#current = segment;
    return segment;
  }

  addPart(part: { data: Buffer; duration: number; independent: boolean }): Part {
    const segment = this.#current;
    if (!segment) throw new RangeError(`addPart() [${this.name}] without an open segment: call beginSegment() first`);
    const entry: Part = { msn: segment.msn, index: segment.parts.length, duration: part.duration, independent: part.independent, data: part.data };
    segment.parts.push(entry);
    segment.duration += part.duration;
    segment.bytes += part.data.length;
    this.#notify();
    return entry;
  }

  /** Completes the open segment; returns it (or null if none was open). */
  endSegment(durationSec?: number): Segment | null {
    const segment = this.#current;
    if (!segment) return null;
    this.#current = null;
    if (segment.parts.length === 0) {
      // Nothing was cut into it: give the number back so the sequence has no hole.
      this.#nextMsn--;
      if (segment.discontinuity) this.#pendingDiscontinuity = true;
      return null;
    }
    if (durationSec !== undefined) segment.duration = durationSec;
    segment.complete = true;
    // One buffer for the segment; parts become views into it, so memory is not doubled.
    segment.data = Buffer.concat(segment.parts.map((p) => p.data));
    let offset = 0;
    for (const p of segment.parts) {
      const length = p.data.length;
      p.data = segment.data.subarray(offset, offset + length);
      offset += length;
    }
    this.#segments.push(segment);
    while (this.#segments.length > this.windowSegments) {
      const old = this.#segments.shift()!;
      old.data = null;
      if (old.discontinuity) this.#discontinuitySequence++;
    }
    this.#notify();
    return segment;
  }

  /** The stream is over: the playlist gets EXT-X-ENDLIST and waiters are released. */
  end(): void {
    if (this.#ended) return;
    this.endSegment();
    this.#ended = true;
    this.#notify();
  }

  /* ------------------------------------------------------------ reading */

  get ended(): boolean {
    return this.#ended;
  }

  /** Complete segments in the live window, oldest first. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  /** The segment being cut (parts only, no EXTINF yet). */
  get current(): Segment | null {
    return this.#current;
  }

  get mediaSequence(): number {
    return this.#segments[0]?.msn ?? this.#current?.msn ?? 0;
  }

  get discontinuitySequence(): number {
    return this.#discontinuitySequence;
  }

  get latestInit(): InitInfo | null {
    return this.#latestInit;
  }

  init(generation: number): InitInfo | undefined {
    return this.#inits.get(generation);
  }

  /** MSN of the last segment in the playlist, counting the open one once it has a part. */
  get lastMsn(): number {
    if (this.#current && this.#current.parts.length > 0) return this.#current.msn;
    return this.#segments.at(-1)?.msn ?? -1;
  }

  lastPart(): PartPosition | null {
    if (this.#current && this.#current.parts.length > 0) return { msn: this.#current.msn, index: this.#current.parts.length - 1 };
    const last = this.#segments.at(-1);
    return last ? { msn: last.msn, index: last.parts.length - 1 } : null;
  }

  /** Where the next part will appear: the EXT-X-PRELOAD-HINT target. */
  nextPart(): PartPosition {
    if (this.#current) return { msn: this.#current.msn, index: this.#current.parts.length };
    return { msn: this.#nextMsn, index: 0 };
  }

  segment(msn: number): Segment | undefined {
    if (this.#current?.msn === msn) return this.#current;
    const first = this.#segments[0];
    if (!first) return undefined;
    return this.#segments[msn - first.msn];
  }

  part(msn: number, index: number): Part | undefined {
    return this.segment(msn)?.parts[index];
  }

  /** Blocking-reload test: the playlist holds part `index` of segment `msn`, or anything after it. */
  hasPartAtOrAfter(msn: number, index: number): boolean {
    const last = this.lastPart();
    if (!last) return false;
    return last.msn > msn || (last.msn === msn && last.index >= index);
  }

  /** Blocking-reload test: segment `msn` (or a later one) is complete. */
  hasSegmentAtOrAfter(msn: number): boolean {
    return (this.#segments.at(-1)?.msn ?? -1) >= msn;
  }

  /** Peak and average bit rates over the window (bits/s), for BANDWIDTH / AVERAGE-BANDWIDTH. */
  bitrates(): { peak: number; average: number } | null {
    let bytes = 0;
    let seconds = 0;
    let peak = 0;
    for (const s of this.#segments) {
      if (s.duration <= 0) continue;
      bytes += s.bytes;
      seconds += s.duration;
      peak = Math.max(peak, (s.bytes * 8) / s.duration);
    }
    if (seconds === 0) return null;
    return { peak: Math.round(peak), average: Math.round((bytes * 8) / seconds) };
  }

  /** Calls `listener` on every change (part, segment, init, end). Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}
