/**
 * Splits a fragmented-MP4 byte stream (ffmpeg writing to a pipe) into its init
 * segment and its fragments as soon as each is complete. A fragment is everything
 * from the end of the previous one through the next mdat (styp/sidx/prft + moof + mdat),
 * which is a valid CMAF chunk to concatenate into parts and segments.
 */
import { parseInitSegment, parseMoof, readBoxHeader, type InitTrack, type TrackDefaults, type TrackFragment } from './fmp4-boxes.ts';

export interface Fmp4Fragment {
  /** The fragment's bytes (owned: safe to keep and to rewrite). */
  readonly data: Buffer;
  /** One entry per track in the moof; the bridge writes one track per stream. */
  readonly tracks: readonly TrackFragment[];
}

export interface Fmp4StreamReaderHandlers {
  onInit(data: Buffer, tracks: readonly InitTrack[]): void;
  onFragment(fragment: Fmp4Fragment): void;
}

/** Larger boxes than this mean a broken stream, not a big frame. */
const MAX_BOX_BYTES = 64 * 1024 * 1024;

export class Fmp4StreamReader {
  readonly #handlers: Fmp4StreamReaderHandlers;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of completed top-level boxes waiting for their moov / mdat. */
  #group: Buffer[] = [];
  #defaults = new Map<number, TrackDefaults>();
  #initDone = false;
  #moofInGroup: { offset: number } | null = null;
  #groupBytes = 0;

  constructor(handlers: Fmp4StreamReaderHandlers) {
    this.#handlers = handlers;
  }

  get hasInit(): boolean {
    return this.#initDone;
  }

  push(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    let buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    let offset = 0;
    for (;;) {
      const header = readBoxHeader(buf, offset);
      if (!header) break;
      if (header.size > MAX_BOX_BYTES) throw new RangeError(`MP4 box "${header.type}" of ${header.size} bytes exceeds the ${MAX_BOX_BYTES}-byte limit`);
      if (offset + header.size > buf.length) break;
      // Copy so the kept box does not pin the whole read buffer.
      this.#onBox(header.type, Buffer.from(buf.subarray(offset, offset + header.size)));
      offset += header.size;
    }
    buf = buf.subarray(offset);
    this.#pending = buf.length ? [buf] : [];
    this.#pendingBytes = buf.length;
  }

  #onBox(type: string, box: Buffer): void {
    if (!this.#initDone) {
      this.#group.push(box);
      if (type === 'moov') {
        const init = Buffer.concat(this.#group);
        this.#group = [];
        const tracks = parseInitSegment(init);
        for (const t of tracks) this.#defaults.set(t.trackId, t.defaults);
        this.#initDone = true;
        this.#handlers.onInit(init, tracks);
      }
      return;
    }
    if (type === 'moof') this.#moofInGroup = { offset: this.#groupBytes };
    this.#group.push(box);
    this.#groupBytes += box.length;
    if (type !== 'mdat' || !this.#moofInGroup) return;
    const data = Buffer.concat(this.#group);
    const moof = readBoxHeader(data, this.#moofInGroup.offset)!;
    this.#group = [];
    this.#groupBytes = 0;
    this.#moofInGroup = null;
    this.#handlers.onFragment({ data, tracks: parseMoof(data, moof, this.#defaults) });
  }
}
