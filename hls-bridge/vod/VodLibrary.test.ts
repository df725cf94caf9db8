import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { setLogLevel } from '../../signaling/logger.ts';
import { makeTestArchive } from './testing/make-test-archive.ts';
import { VodLibrary, type VodSummary } from './VodLibrary.ts';
import { readBody, VodOrigin } from './VodOrigin.ts';
import { parseWebVtt } from './webvtt.ts';

const run = promisify(execFile);
const START = 1_800_000_000_000;

let root: string;

before(async () => {
  setLogLevel('warn');
  root = await mkdtemp(path.join(os.tmpdir(), 'vod-library-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function library(dataDir: string, o: { ioLimitBytesPerSec?: number } = {}): VodLibrary {
  return new VodLibrary({ root: path.join(dataDir, 'vod'), archiveRoot: path.join(dataDir, 'hls'), recognizer: null, ...o });
}

/** A stream that went live at START, with its archive made by ffmpeg. */
async function liveStream(dataDir: string, id: string, durationSec = 20): Promise<void> {
  await makeTestArchive({ dir: path.join(dataDir, 'hls', id), durationSec, startMs: START });
}

async function until(lib: VodLibrary, id: string, done: (s: VodSummary | null) => boolean, timeoutMs = 30_000): Promise<VodSummary> {
  const deadline = Date.now() + timeoutMs;
  let last: VodSummary | null = null;
  while (Date.now() < deadline) {
    last = await lib.summary(id);
    if (done(last)) return last!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`VOD of ${id} did not get there within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

async function probe(file: string): Promise<{ format: { duration: string }; streams: { codec_type: string; codec_name: string; nb_read_packets?: string }[]; chapters: { start_time: string; tags: { title: string } }[] }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_format', '-show_streams', '-show_chapters', '-of', 'json', file]);
  return JSON.parse(stdout);
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

describe('VodLibrary', () => {
  test('stitches the archive into one MP4 with the chapters marked live, and serves the HLS VOD', async () => {
    const data = path.join(root, 'a');
    await liveStream(data, 'streamA');
    const lib = library(data);
    await lib.streamCreated('streamA', { title: 'Test show', captions: false });
    await lib.streamStarted('streamA', new Date(START).toISOString(), 'Test show');
    await lib.addMark('streamA', { streamTimeMs: START + 7000, title: 'Seven', source: 'mark' });
    await lib.addMark('streamA', { streamTimeMs: START + 12_000, title: 'Renamed', source: 'title' });
    await lib.streamEnded('streamA', new Date(START + 20_000).toISOString());
    const s = await until(lib, 'streamA', (x) => x?.state === 'ready');
    assert.deepEqual(s.chapters, [
      { startSec: 0, endSec: 7, title: 'Test show' },
      { startSec: 7, endSec: 12, title: 'Seven' },
      { startSec: 12, endSec: s.durationSec, title: 'Renamed' },
    ]);
    assert.ok(Math.abs(s.durationSec! - 20) < 0.1, `duration ${s.durationSec}`);
    assert.equal(s.originMs, START);
    assert.deepEqual(s.missingSegments, []);

    const mp4 = path.join(data, 'vod', 'streamA', 'vod.mp4');
    const info = await probe(mp4);
    assert.ok(Math.abs(Number(info.format.duration) - 20) < 0.1, `MP4 lasts ${info.format.duration} s`);
    assert.deepEqual(info.streams.filter((x) => x.codec_type !== 'data').map((x) => x.codec_name), ['h264', 'aac']);
    // Stream copy: every archived frame is in the file (20 s at 30 fps).
    assert.equal(Number(info.streams.find((x) => x.codec_type === 'video')!.nb_read_packets), 600);
    assert.deepEqual(info.chapters.map((c) => [Math.round(Number(c.start_time) * 1000) / 1000, c.tags.title]), [
      [0, 'Test show'],
      [7, 'Seven'],
      [12, 'Renamed'],
    ]);
    // faststart: the moov box comes before the media data.
    const head = (await readFile(mp4)).subarray(0, 64 * 1024).toString('latin1');
    assert.ok(head.indexOf('moov') >= 0 && head.indexOf('moov') < head.indexOf('mdat'), 'moov is not ahead of mdat');
    const vtt = parseWebVtt(await readFile(path.join(data, 'vod', 'streamA', 'chapters.vtt'), 'utf8'));
    assert.deepEqual(vtt.map((c) => [c.startSec, c.text]), [
      [0, 'Test show'],
      [7, 'Seven'],
      [12, 'Renamed'],
    ]);

    const origin = new VodOrigin(lib);
    const master = await origin.handle({ path: 'streamA/master.m3u8' });
    assert.equal(master.status, 200);
    assert.match(String(master.body), /CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=320x180,AUDIO="audio"\n180p\/vod\.m3u8/);
    const media = await origin.handle({ path: 'streamA/180p/vod.m3u8' });
    assert.match(String(media.body), /#EXT-X-PLAYLIST-TYPE:VOD[\s\S]*#EXT-X-ENDLIST\n$/);
    const segment = await origin.handle({ path: 'streamA/180p/seg-3.m4s' });
    assert.equal(segment.status, 200);
    assert.equal(segment.headers['Content-Type'], 'video/mp4');
    const size = (await stat(mp4)).size;
    const range = await origin.handle({ path: 'streamA/vod.mp4', range: 'bytes=100-199' });
    assert.equal(range.status, 206);
    assert.equal(range.headers['Content-Range'], `bytes 100-199/${size}`);
    assert.deepEqual(await readBody(range.body), (await readFile(mp4)).subarray(100, 200));
    assert.equal((await readBody((await origin.handle({ path: 'streamA/vod.mp4', range: 'bytes=-10' })).body)).length, 10);
    assert.deepEqual(await readBody((await origin.handle({ path: 'streamA/vod.mp4' })).body), await readFile(mp4));
    assert.equal((await origin.handle({ path: 'streamA/vod.mp4', range: `bytes=${size}-` })).status, 416);
    assert.equal((await origin.handle({ path: 'streamA/../x/vod.mp4' })).status, 400);
    await lib.close();
  });

  test('a missing segment is reported, marked as a gap in the playlist, and the MP4 keeps its timeline', async () => {
    const data = path.join(root, 'b');
    await liveStream(data, 'streamB');
    await rm(path.join(data, 'hls', 'streamB', '180p', 'seg-4.m4s'));
    const lib = library(data);
    await lib.streamCreated('streamB', { title: 'Gappy', captions: false });
    await lib.streamStarted('streamB', new Date(START).toISOString(), 'Gappy');
    await lib.streamEnded('streamB', new Date(START + 20_000).toISOString());
    const s = await until(lib, 'streamB', (x) => x?.state === 'ready');
    assert.deepEqual(s.missingSegments, [{ rendition: '180p', msn: 4, file: '180p/seg-4.m4s' }]);
    const media = String((await new VodOrigin(lib).handle({ path: 'streamB/180p/vod.m3u8' })).body);
    assert.match(media, /#EXT-X-GAP\n#EXTINF:2\.00000,\nseg-4\.m4s\n#EXT-X-DISCONTINUITY\n/);
    const info = await probe(path.join(data, 'vod', 'streamB', 'vod.mp4'));
    assert.ok(Math.abs(Number(info.format.duration) - 20) < 0.1, `MP4 lasts ${info.format.duration} s`);
    assert.equal(Number(info.streams.find((x) => x.codec_type === 'video')!.nb_read_packets), 540);
    await lib.close();
  });

  test('ending a stream twice makes one VOD and one job run', async () => {
    const data = path.join(root, 'c');
    await liveStream(data, 'streamC', 6);
    const lib = library(data);
    await lib.streamStarted('streamC', new Date(START).toISOString(), 'Twice');
    await Promise.all([lib.streamEnded('streamC', new Date(START + 6000).toISOString()), lib.streamEnded('streamC', new Date(START + 6000).toISOString())]);
    await until(lib, 'streamC', (x) => x?.state === 'ready');
    await lib.streamEnded('streamC', new Date(START + 9000).toISOString());
    const s = await until(lib, 'streamC', (x) => x?.state === 'ready');
    assert.equal(s.job?.attempts, 1);
    assert.equal(s.liveDurationSec, 6);
    await lib.close();
  });

  test('a stream that never went live has no VOD', async () => {
    const data = path.join(root, 'd');
    const lib = library(data);
    await lib.streamCreated('streamD', { title: 'Never', captions: false });
    await lib.streamEnded('streamD', new Date().toISOString());
    assert.equal(await lib.summary('streamD'), null);
    assert.equal(await lib.view('streamD'), null);
    assert.equal((await new VodOrigin(lib).handle({ path: 'streamD/master.m3u8' })).status, 404);
    await lib.close();
  });

  test('a job stopped in the middle of stitching resumes on the next start and ends with the same bytes', async () => {
    const data = path.join(root, 'e');
    await liveStream(data, 'streamE');
    const reference = path.join(root, 'e-reference');
    await cp(path.join(data, 'hls'), path.join(reference, 'hls'), { recursive: true });

    // About 2 MB at 400 KB/s: five seconds of stitching to interrupt.
    const first = library(data, { ioLimitBytesPerSec: 400_000 });
    await first.streamStarted('streamE', new Date(START).toISOString(), 'Resumed');
    await first.addMark('streamE', { streamTimeMs: START + 5000, title: 'Five', source: 'mark' });
    await first.streamEnded('streamE', new Date(START + 20_000).toISOString());
    await until(first, 'streamE', (x) => x?.job?.state === 'running' && x.job.percent > 5);
    await first.close();
    const stopped = await first.summary('streamE');
    assert.equal(stopped?.job?.state, 'running', 'the interrupted job stays pending on disk');
    await assert.rejects(stat(path.join(data, 'vod', 'streamE', 'vod.mp4')), 'no MP4 from an interrupted stitch');

    const second = library(data);
    await second.start();
    const s = await until(second, 'streamE', (x) => x?.state === 'ready');
    assert.equal(s.job?.attempts, 2);
    await second.close();

    await cp(path.join(data, 'vod', 'streamE', 'stream.json'), path.join(reference, 'vod', 'streamE', 'stream.json'));
    await cp(path.join(data, 'vod', 'streamE', 'chapters.ndjson'), path.join(reference, 'vod', 'streamE', 'chapters.ndjson'));
    const clean = library(reference);
    await clean.start();
    await until(clean, 'streamE', (x) => x?.state === 'ready');
    await clean.close();
    assert.equal(await sha256(path.join(data, 'vod', 'streamE', 'vod.mp4')), await sha256(path.join(reference, 'vod', 'streamE', 'vod.mp4')));
  });
});
