/**
 * ISO BMFF (ISO/IEC 14496-12) box reading for fragmented MP4 as ffmpeg writes it:
 * the init segment (ftyp + moov) and fragments (moof + mdat). Only the fields the
 * origin needs: track timescales and codecs for the playlists, each fragment's decode
 * time, duration and whether it opens with a sync sample (where parts and segments may start).
 */

export interface BoxHeader {
  readonly type: string;
  /** Absolute offset of the box's first byte. */
  readonly start: number;
  readonly size: number;
  readonly headerSize: number;
}

/** Reads the header at `offset`; null when fewer bytes than a header are available. */
export function readBoxHeader(buf: Uint8Array, offset: number): BoxHeader | null {
  if (offset + 8 > buf.length) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let size = view.getUint32(offset);
  const type = String.fromCharCode(buf[offset + 4]!, buf[offset + 5]!, buf[offset + 6]!, buf[offset + 7]!);
  let headerSize = 8;
  if (size === 1) {
    if (offset + 16 > buf.length) return null;
    size = Number(view.getBigUint64(offset + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = buf.length - offset; // "to end of file": only legal for the last box
  }
  if (size < headerSize) throw new RangeError(`malformed MP4 box "${type}" of size ${size} at ${offset}`);
  return { type, start: offset, size, headerSize };
}

export function* childBoxes(buf: Uint8Array, start: number, end: number): Generator<BoxHeader> {
  let offset = start;
  while (offset + 8 <= end) {
    const box = readBoxHeader(buf, offset);
    if (!box || box.start + box.size > end) return;
    yield box;
    offset += box.size;
  }
}

/** First box along a path of types, e.g. ['moov', 'trak'], searched inside [start, end). */
export function findBox(buf: Uint8Array, start: number, end: number, path: readonly string[]): BoxHeader | null {
  let scopeStart = start;
  let scopeEnd = end;
  let found: BoxHeader | null = null;
  for (const type of path) {
    found = null;
    for (const box of childBoxes(buf, scopeStart, scopeEnd)) {
      if (box.type === type) {
        found = box;
        break;
      }
    }
    if (!found) return null;
    scopeStart = found.start + found.headerSize;
    scopeEnd = found.start + found.size;
  }
  return found;
}

function findAll(buf: Uint8Array, parent: BoxHeader, type: string): BoxHeader[] {
  return [...childBoxes(buf, parent.start + parent.headerSize, parent.start + parent.size)].filter((b) => b.type === type);
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/* ---------------------------------------------------------------- init segment */

export interface TrackDefaults {
  readonly sampleDuration: number;
  readonly sampleSize: number;
  readonly sampleFlags: number;
}

export interface InitTrack {
  readonly trackId: number;
  readonly timescale: number;
  /** 'vide' | 'soun' | … (hdlr handler_type). */
  readonly handler: string;
  /** Sample entry fourcc: avc1, avc3, mp4a, Opus, … */
  readonly sampleEntry: string;
  /** RFC 6381 codec string for CODECS= ('avc1.64001f', 'mp4a.40.2'); '' when unknown. */
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  readonly channels?: number;
  readonly sampleRate?: number;
  readonly defaults: TrackDefaults;
}

export function parseInitSegment(buf: Uint8Array): InitTrack[] {
  const moov = findBox(buf, 0, buf.length, ['moov']);
  if (!moov) throw new RangeError('init segment has no moov box');
  const inner = moov.start + moov.headerSize;
  const moovEnd = moov.start + moov.size;
  const trexByTrack = new Map<number, TrackDefaults>();
  const mvex = findBox(buf, inner, moovEnd, ['mvex']);
  if (mvex) {
    for (const trex of findAll(buf, mvex, 'trex')) {
      const o = trex.start + trex.headerSize + 4;
      const v = view(buf);
      trexByTrack.set(v.getUint32(o), { sampleDuration: v.getUint32(o + 8), sampleSize: v.getUint32(o + 12), sampleFlags: v.getUint32(o + 16) });
    }
  }
  const tracks: InitTrack[] = [];
  for (const trak of findAll(buf, moov, 'trak')) {
    const ts = trak.start + trak.headerSize;
    const te = trak.start + trak.size;
    const tkhd = findBox(buf, ts, te, ['tkhd']);
    const mdhd = findBox(buf, ts, te, ['mdia', 'mdhd']);
    const hdlr = findBox(buf, ts, te, ['mdia', 'hdlr']);
    const stsd = findBox(buf, ts, te, ['mdia', 'minf', 'stbl', 'stsd']);
    if (!tkhd || !mdhd || !hdlr || !stsd) throw new RangeError('init segment track lacks tkhd/mdhd/hdlr/stsd');
    const v = view(buf);
    const tkhdVersion = buf[tkhd.start + tkhd.headerSize]!;
    const trackId = v.getUint32(tkhd.start + tkhd.headerSize + (tkhdVersion === 1 ? 20 : 12));
    const mdhdVersion = buf[mdhd.start + mdhd.headerSize]!;
    const timescale = v.getUint32(mdhd.start + mdhd.headerSize + (mdhdVersion === 1 ? 20 : 12));
    const handler = ascii(buf, hdlr.start + hdlr.headerSize + 8, 4);
    const entry = readBoxHeader(buf, stsd.start + stsd.headerSize + 8);
    const defaults = trexByTrack.get(trackId) ?? { sampleDuration: 0, sampleSize: 0, sampleFlags: 0 };
    if (!entry) throw new RangeError('init segment stsd has no sample entry');
    tracks.push({ trackId, timescale, handler, defaults, ...describeSampleEntry(buf, entry) });
  }
  return tracks;
}

function describeSampleEntry(buf: Uint8Array, entry: BoxHeader): Pick<InitTrack, 'sampleEntry' | 'codec' | 'width' | 'height' | 'channels' | 'sampleRate'> {
  const v = view(buf);
  const body = entry.start + entry.headerSize;
  const end = entry.start + entry.size;
  const type = entry.type;
  if (type === 'avc1' || type === 'avc3') {
    const width = v.getUint16(body + 24);
    const height = v.getUint16(body + 26);
    const avcC = findBox(buf, body + 78, end, ['avcC']);
    let codec = '';
    if (avcC) {
      const c = avcC.start + avcC.headerSize;
      codec = `${type}.${hex2(buf[c + 1]!)}${hex2(buf[c + 2]!)}${hex2(buf[c + 3]!)}`;
    }
    return { sampleEntry: type, codec, width, height };
  }
  if (type === 'mp4a') {
    const channels = v.getUint16(body + 16);
    const sampleRate = v.getUint32(body + 24) >>> 16;
    const esds = findBox(buf, body + 28, end, ['esds']);
    return { sampleEntry: type, codec: esds ? mp4aCodec(buf, esds.start + esds.headerSize + 4, esds.start + esds.size) : 'mp4a.40.2', channels, sampleRate };
  }
  if (type === 'Opus') return { sampleEntry: type, codec: 'opus', channels: v.getUint16(body + 16), sampleRate: 48000 };
  return { sampleEntry: type, codec: '' };
}

/** ES_Descriptor → DecoderConfigDescriptor (object type) → DecoderSpecificInfo (audio object type). */
function mp4aCodec(buf: Uint8Array, start: number, end: number): string {
  let o = start;
  let objectType = 0x40;
  let audioObjectType = 2;
  while (o + 2 <= end) {
    const tag = buf[o++]!;
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = buf[o++]!;
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag === 0x03) {
      const flags = buf[o + 2]!;
      o += 3;
      if (flags & 0x80) o += 2;
      if (flags & 0x40) o += 1 + buf[o]!;
      if (flags & 0x20) o += 2;
      continue; // descend into the ES_Descriptor's children
    }
    if (tag === 0x04) {
      objectType = buf[o]!;
      o += 13;
      continue;
    }
    if (tag === 0x05) {
      audioObjectType = buf[o]! >> 3;
      if (audioObjectType === 31) audioObjectType = 32 + (((buf[o]! & 0x07) << 3) | (buf[o + 1]! >> 5));
      break;
    }
    o += size;
  }
  return `mp4a.${objectType.toString(16)}.${audioObjectType}`;
}

/* ---------------------------------------------------------------- fragments */

export interface TrackFragment {
  readonly trackId: number;
  readonly baseMediaDecodeTime: number;
  /** Absolute offset of the tfdt box (for rewriting the decode time in place). */
  readonly tfdtStart: number;
  readonly sampleCount: number;
  /** Sum of sample durations, in the track's timescale. */
  readonly duration: number;
  readonly firstSampleSync: boolean;
}

const TFHD_BASE_DATA_OFFSET = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x02;
const TFHD_DEFAULT_DURATION = 0x08;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;
const TRUN_DATA_OFFSET = 0x01;
const TRUN_FIRST_SAMPLE_FLAGS = 0x04;
const TRUN_SAMPLE_DURATION = 0x100;
const TRUN_SAMPLE_SIZE = 0x200;
const TRUN_SAMPLE_FLAGS = 0x400;
const TRUN_SAMPLE_CTS = 0x800;
const SAMPLE_IS_NON_SYNC = 0x00010000;

/** Parses a moof box (at `moof.start`) into its track fragments. */
export function parseMoof(buf: Uint8Array, moof: BoxHeader, defaultsByTrack: ReadonlyMap<number, TrackDefaults>): TrackFragment[] {
  const v = view(buf);
  const out: TrackFragment[] = [];
  for (const traf of findAll(buf, moof, 'traf')) {
    const tfhd = findAll(buf, traf, 'tfhd')[0];
    const tfdt = findAll(buf, traf, 'tfdt')[0];
    if (!tfhd || !tfdt) throw new RangeError('fragment traf lacks tfhd/tfdt: write fMP4 with -movflags +default_base_moof');
    let o = tfhd.start + tfhd.headerSize;
    const tfhdFlags = v.getUint32(o) & 0xffffff;
    const trackId = v.getUint32(o + 4);
    o += 8;
    const trex = defaultsByTrack.get(trackId) ?? { sampleDuration: 0, sampleSize: 0, sampleFlags: 0 };
    if (tfhdFlags & TFHD_BASE_DATA_OFFSET) o += 8;
    if (tfhdFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) o += 4;
    let defaultDuration = trex.sampleDuration;
    let defaultFlags = trex.sampleFlags;
    if (tfhdFlags & TFHD_DEFAULT_DURATION) {
      defaultDuration = v.getUint32(o);
      o += 4;
    }
    if (tfhdFlags & TFHD_DEFAULT_SIZE) o += 4;
    if (tfhdFlags & TFHD_DEFAULT_FLAGS) defaultFlags = v.getUint32(o);
    const tfdtVersion = buf[tfdt.start + tfdt.headerSize]!;
    const tfdtValue = tfdt.start + tfdt.headerSize + 4;
    const baseMediaDecodeTime = tfdtVersion === 1 ? Number(v.getBigUint64(tfdtValue)) : v.getUint32(tfdtValue);
    let sampleCount = 0;
    let duration = 0;
    let firstFlags: number | null = null;
    for (const trun of findAll(buf, traf, 'trun')) {
      let p = trun.start + trun.headerSize;
      const flags = v.getUint32(p) & 0xffffff;
      const count = v.getUint32(p + 4);
      p += 8;
      if (flags & TRUN_DATA_OFFSET) p += 4;
      let trunFirstFlags: number | null = null;
      if (flags & TRUN_FIRST_SAMPLE_FLAGS) {
        trunFirstFlags = v.getUint32(p);
        p += 4;
      }
      for (let i = 0; i < count; i++) {
        let sampleFlags = defaultFlags;
        if (flags & TRUN_SAMPLE_DURATION) {
          duration += v.getUint32(p);
          p += 4;
        } else duration += defaultDuration;
        if (flags & TRUN_SAMPLE_SIZE) p += 4;
        if (flags & TRUN_SAMPLE_FLAGS) {
          sampleFlags = v.getUint32(p);
          p += 4;
        }
        if (flags & TRUN_SAMPLE_CTS) p += 4;
        if (i === 0 && trunFirstFlags !== null) sampleFlags = trunFirstFlags;
        if (firstFlags === null) firstFlags = sampleFlags;
      }
      sampleCount += count;
    }
    out.push({
      trackId,
      baseMediaDecodeTime,
      tfdtStart: tfdt.start,
      sampleCount,
      duration,
      firstSampleSync: firstFlags === null ? true : (firstFlags & SAMPLE_IS_NON_SYNC) === 0,
    });
  }
  return out;
}

/** Rewrites a tfdt decode time in place (version 1 boxes hold 64 bits; version 0 must fit in 32). */
export function writeBaseMediaDecodeTime(buf: Uint8Array, tfdtStart: number, value: number): void {
  const box = readBoxHeader(buf, tfdtStart);
  if (!box || box.type !== 'tfdt') throw new RangeError(`no tfdt box at ${tfdtStart}`);
  const v = view(buf);
  const at = box.start + box.headerSize + 4;
  if (value < 0) throw new RangeError(`decode time ${value} is negative`);
  if (buf[box.start + box.headerSize] === 1) v.setBigUint64(at, BigInt(Math.round(value)));
  else if (value <= 0xffffffff) v.setUint32(at, Math.round(value));
  else throw new RangeError('tfdt version 0 cannot hold a decode time past 2^32');
}

function ascii(buf: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...buf.subarray(at, at + n));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
