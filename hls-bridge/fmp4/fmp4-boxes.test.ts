import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '../transcode/ffmpeg-path.ts';
import { Fmp4StreamReader, type Fmp4Fragment } from './Fmp4StreamReader.ts';
import { findBox, parseInitSegment, parseMoof, readBoxHeader, writeBaseMediaDecodeTime, type InitTrack } from './fmp4-boxes.ts';

const run = promisify(execFile);

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** moof with one traf: tfhd (default duration 512, default flags non-sync), tfdt v1, trun with first-sample flags. */
function syntheticMoof(decodeTime: bigint, firstSync: boolean): Buffer {
  const tfhd = box('tfhd', u32(0x020028, 7, 512, 0x01010000));
  const tfdtBody = Buffer.alloc(12);
  tfdtBody.writeUInt32BE(0x01000000);
  tfdtBody.writeBigUInt64BE(decodeTime, 4);
  const tfdt = box('tfdt', tfdtBody);
  const trun = box('trun', u32(0x000205, 3, 0, firstSync ? 0x02000000 : 0x01010000, 100, 200, 300));
  return box('moof', box('mfhd', u32(0, 1)), box('traf', tfhd, tfdt, trun));
}

async function ffmpegFmp4(args: string[]): Promise<Buffer> {
  const ffmpeg = await resolveFfmpegPath();
  const { stdout } = await run(ffmpeg, ['-v', 'error', ...args, '-f', 'mp4', '-movflags', '+empty_moov+default_base_moof+frag_every_frame', 'pipe:1'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  return stdout;
}

describe('fmp4-boxes', () => {
  test('parseMoof sums durations from tfhd defaults and reads sync from first-sample flags', () => {
    const moof = syntheticMoof(123_456_789_012n, true);
    const [traf] = parseMoof(moof, readBoxHeader(moof, 0)!, new Map());
    assert.equal(traf!.trackId, 7);
    assert.equal(traf!.baseMediaDecodeTime, 123_456_789_012);
    assert.equal(traf!.sampleCount, 3);
    assert.equal(traf!.duration, 3 * 512);
    assert.equal(traf!.firstSampleSync, true);
    const nonSync = syntheticMoof(0n, false);
    assert.equal(parseMoof(nonSync, readBoxHeader(nonSync, 0)!, new Map())[0]!.firstSampleSync, false);
  });

  test('writeBaseMediaDecodeTime rewrites a 64-bit tfdt in place', () => {
    const moof = syntheticMoof(5n, true);
    const tfdt = findBox(moof, 0, moof.length, ['moof', 'traf', 'tfdt'])!;
    writeBaseMediaDecodeTime(moof, tfdt.start, 2 ** 40 + 3);
    assert.equal(parseMoof(moof, readBoxHeader(moof, 0)!, new Map())[0]!.baseMediaDecodeTime, 2 ** 40 + 3);
    assert.throws(() => writeBaseMediaDecodeTime(moof, 0, 1), /no tfdt/);
  });

  test('readBoxHeader rejects a box smaller than its header', () => {
    assert.throws(() => readBoxHeader(u32(4, 0x6d6f6f66), 0), /malformed/);
  });

  test('parses the init segment ffmpeg writes: codec strings, size, timescale, channels', async () => {
    const video = await ffmpegFmp4(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-frames:v', '3', '-c:v', 'libx264', '-profile:v', 'main', '-level:v', '3.0', '-threads', '1']);
    const moov = findBox(video, 0, video.length, ['moov'])!;
    const [v] = parseInitSegment(video.subarray(0, moov.start + moov.size));
    assert.equal(v!.handler, 'vide');
    assert.equal(v!.codec, 'avc1.4d401e');
    assert.deepEqual([v!.width, v!.height], [320, 180]);
    const audio = await ffmpegFmp4(['-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '0.2', '-c:a', 'aac', '-ac', '2']);
    const amoov = findBox(audio, 0, audio.length, ['moov'])!;
    const [a] = parseInitSegment(audio.subarray(0, amoov.start + amoov.size));
    assert.deepEqual([a!.handler, a!.codec, a!.channels, a!.sampleRate, a!.timescale], ['soun', 'mp4a.40.2', 2, 48000, 48000]);
  });
});

describe('Fmp4StreamReader', () => {
  test('splits a stream fed in arbitrary chunks into one init and one fragment per frame', async () => {
    const data = await ffmpegFmp4(['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25', '-frames:v', '12', '-c:v', 'libx264', '-g', '5', '-threads', '1']);
    const inits: { data: Buffer; tracks: readonly InitTrack[] }[] = [];
    const fragments: Fmp4Fragment[] = [];
    const reader = new Fmp4StreamReader({ onInit: (d, tracks) => inits.push({ data: d, tracks }), onFragment: (f) => fragments.push(f) });
    for (let i = 0; i < data.length; i += 97) reader.push(data.subarray(i, i + 97));
    assert.equal(inits.length, 1);
    assert.equal(fragments.length, 12);
    const timescale = inits[0]!.tracks[0]!.timescale;
    let expected = 0;
    for (const f of fragments) {
      const t = f.tracks[0]!;
      assert.equal(t.baseMediaDecodeTime, expected, 'fragments are contiguous');
      expected += t.duration;
      assert.equal(readBoxHeader(f.data, 0)!.type === 'moof' || readBoxHeader(f.data, 0)!.type === 'styp', true);
    }
    assert.equal(expected / timescale, 12 / 25);
    assert.deepEqual(fragments.map((f) => f.tracks[0]!.firstSampleSync), [true, false, false, false, false, true, false, false, false, false, true, false]);
  });
});
