/**
 * End to end through real ffmpeg processes: a second ffmpeg publishes testsrc2 + sine as
 * H.264/VP8 + Opus RTP (the stand-in for the SFU), the bridge transcodes it and the origin
 * serves it. Checks the ladder, the media itself (ffprobe), blocking reload, the plain-HLS
 * path, the LL-HLS rules on every reload, and recovery when ffmpeg is killed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BridgeEvents } from './BridgeEvents.ts';
import { HlsBridge } from './HlsBridge.ts';
import { HlsOrigin, type HlsResponse } from './origin/HlsOrigin.ts';
import { FfmpegRtpSource } from './testing/FfmpegRtpSource.ts';
import { checkMediaPlaylist, parseMasterPlaylist, parseMediaPlaylist, type ParsedMediaPlaylist } from './testing/playlist-checker.ts';
import { probeMedia } from './testing/probe-media.ts';
import { SwitchingRtpSource } from './testing/SwitchingRtpSource.ts';
import { resolveFfmpegPath } from './transcode/ffmpeg-path.ts';

interface Ctx {
  dir: string;
  source: FfmpegRtpSource;
  bridge: HlsBridge;
  origin: HlsOrigin;
}

async function get(origin: HlsOrigin, url: string, signal?: AbortSignal): Promise<HlsResponse> {
  const [p, q] = url.split('?');
  return origin.handle({ path: p!, query: q ?? '', ...(signal ? { signal } : {}) });
}

function text(res: HlsResponse): string {
  assert.equal(res.status, 200, String(res.body));
  return String(res.body);
}

function bytes(res: HlsResponse): Buffer {
  assert.equal(res.status, 200, String(res.body));
  return Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.body);
}

/** Fetches every URI a media playlist names (maps, complete segments, listed parts). */
async function fetchAll(origin: HlsOrigin, base: string, p: ParsedMediaPlaylist): Promise<number> {
  const uris = new Set<string>();
  for (const s of p.segments) {
    if (s.map) uris.add(s.map);
    if (s.uri) uris.add(s.uri);
    for (const part of s.parts) uris.add(part.uri);
  }
  for (const uri of uris) bytes(await get(origin, `${base}/${uri}`));
  for (const r of p.renditionReports) text(await get(origin, path.posix.normalize(`${base}/${r.URI}`)));
  return uris.size;
}

async function startPipeline(ctx: Ctx, videoCodec: 'h264' | 'vp8'): Promise<void> {
  const ffmpegPath = await resolveFfmpegPath();
  ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'hls-bridge-e2e-'));
  ctx.source = new FfmpegRtpSource({ ffmpegPath, width: 854, height: 480, fps: 30, gop: 30, videoCodec, durationSec: 90 });
  ctx.bridge = new HlsBridge({ streamId: 'e2e', sources: { video: ctx.source.video!, audio: ctx.source.audio! }, archiveDir: ctx.dir, ffmpegPath, threads: 1 });
  ctx.origin = new HlsOrigin();
  ctx.origin.attach('e2e', ctx.bridge);
  await ctx.bridge.start();
  await ctx.source.start();
}

async function stopPipeline(ctx: Ctx): Promise<void> {
  await ctx.bridge?.close();
  await ctx.source?.close();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
}

describe('HlsBridge with an H.264 + Opus RTP source', () => {
  const ctx = {} as Ctx;
  before(() => startPipeline(ctx, 'h264'));
  after(() => stopPipeline(ctx));

  test('the master playlist lists two video renditions plus audio-only within 5 s', async () => {
    const started = Date.now();
    const master = parseMasterPlaylist(text(await get(ctx.origin, 'e2e/master.m3u8')));
    assert.ok(Date.now() - started < 5000, `master took ${Date.now() - started} ms`);
    const video = master.variants.filter((v) => v.attributes.RESOLUTION);
    assert.deepEqual(video.map((v) => [v.uri, v.attributes.RESOLUTION]), [['480p/index.m3u8', '854x480'], ['360p/index.m3u8', '640x360']]);
    for (const v of video) {
      assert.match(v.attributes.CODECS!, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      assert.ok(Number(v.attributes.BANDWIDTH) >= Number(v.attributes['AVERAGE-BANDWIDTH']) && Number(v.attributes['AVERAGE-BANDWIDTH']) > 100_000);
      assert.equal(v.attributes['FRAME-RATE'], '30.000');
      assert.equal(v.attributes.AUDIO, 'audio');
    }
    const audioOnly = master.variants.filter((v) => !v.attributes.RESOLUTION);
    assert.deepEqual(audioOnly.map((v) => [v.uri, v.attributes.CODECS]), [['audio/index.m3u8', 'mp4a.40.2']]);
    assert.equal(master.media[0]!.URI, 'audio/index.m3u8');
    assert.equal(ctx.bridge.status.renditions.find((r) => r.name === '480p')!.copy, true, 'the H.264 top rung is passed through');
  });

  test('ffprobe sees the right codec and size in each rendition', async () => {
    const expected: Record<string, Partial<Record<string, unknown>>> = {
      '480p': { codec_type: 'video', codec_name: 'h264', width: 854, height: 480 },
      '360p': { codec_type: 'video', codec_name: 'h264', width: 640, height: 360 },
      audio: { codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000' },
    };
    for (const [name, want] of Object.entries(expected)) {
      // A blocking reload for segment 0 returns once it is complete.
      const playlist = parseMediaPlaylist(text(await get(ctx.origin, `e2e/${name}/index.m3u8?_HLS_msn=0`)));
      const first = playlist.segments[0]!;
      const media = Buffer.concat([bytes(await get(ctx.origin, `e2e/${name}/${first.map}`)), bytes(await get(ctx.origin, `e2e/${name}/${first.uri}`))]);
      const probed = await probeMedia(media);
      assert.equal(probed.streams.length, 1);
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, (probed.streams[0] as unknown as Record<string, unknown>)[k]])), want, name);
      assert.ok(probed.packets > 10, `${name} has ${probed.packets} packets`);
    }
  });

  test('a blocking request for the next part returns once that part exists', async () => {
    const playlist = ctx.bridge.playlist('360p')!;
    const next = playlist.nextPart();
    assert.equal(playlist.part(next.msn, next.index), undefined);
    const asked = Date.now();
    const res = await get(ctx.origin, `e2e/360p/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.index}`);
    const waited = Date.now() - asked;
    const parsed = parseMediaPlaylist(text(res));
    const uris = parsed.segments.flatMap((s) => s.parts.map((p) => p.uri));
    assert.ok(uris.includes(`part-${next.msn}.${next.index}.m4s`), 'the response lists the part it waited for');
    assert.ok(playlist.part(next.msn, next.index), 'the part exists');
    assert.ok(waited < 1500, `held ${waited} ms for a ≤ 0.334 s part`);
    assert.ok(bytes(await get(ctx.origin, `e2e/360p/part-${next.msn}.${next.index}.m4s`)).length > 0);
  });

  test('a plain client reads whole 2 s segments that decode, and every reload keeps the LL-HLS rules', async () => {
    const previous = new Map<string, ParsedMediaPlaylist>();
    for (let round = 0; round < 3; round++) {
      for (const name of ['480p', '360p', 'audio']) {
        const { playlist, errors } = checkMediaPlaylist(text(await get(ctx.origin, `e2e/${name}/index.m3u8`)), previous.get(name));
        assert.deepEqual(errors, [], `${name} round ${round}`);
        assert.equal(playlist.serverControl['HOLD-BACK'], '6.000');
        assert.ok((await fetchAll(ctx.origin, `e2e/${name}`, playlist)) > 3);
        previous.set(name, playlist);
      }
      await new Promise((r) => setTimeout(r, 700));
    }
    // Non-LL path: only EXTINF segments, concatenated after the init, decode as one file.
    const plain = parseMediaPlaylist(text(await get(ctx.origin, 'e2e/360p/index.m3u8')));
    const complete = plain.segments.filter((s) => s.uri);
    assert.ok(complete.length >= 2);
    for (const s of complete.slice(0, -1)) assert.ok(Math.abs(s.duration! - 2) < 0.05, `segment ${s.msn} lasts ${s.duration}`);
    const media = Buffer.concat([bytes(await get(ctx.origin, `e2e/360p/${complete[0]!.map}`)), ...(await Promise.all(complete.map(async (s) => bytes(await get(ctx.origin, `e2e/360p/${s.uri}`)))))]);
    const probed = await probeMedia(media);
    assert.ok(Math.abs(probed.packets - complete.length * 60) <= 2, `${probed.packets} frames in ${complete.length} segments`);
  });

  test('program date times follow the capture clock and line up across renditions', async () => {
    const pdts = await Promise.all(
      ['480p', '360p', 'audio'].map(async (name) => {
        const p = parseMediaPlaylist(text(await get(ctx.origin, `e2e/${name}/index.m3u8`)));
        return Date.parse(p.segments[1]!.programDateTime!);
      }),
    );
    assert.ok(Math.abs(pdts[0]! - pdts[1]!) < 1, 'video renditions share segment boundaries');
    assert.ok(Math.abs(pdts[0]! - pdts[2]!) < 100, 'audio segments start within a fragment of video');
    const newest = parseMediaPlaylist(text(await get(ctx.origin, 'e2e/360p/index.m3u8'))).segments.at(-1)!;
    const lag = Date.now() - Date.parse(newest.programDateTime!);
    assert.ok(lag > 0 && lag < 4000, `newest segment started ${lag} ms ago`);
  });

  test('killing ffmpeg mid-stream: it restarts and the playlists continue after a discontinuity', async () => {
    const before = parseMediaPlaylist(text(await get(ctx.origin, 'e2e/360p/index.m3u8')));
    const pid = ctx.bridge.status.transcoder!.pid!;
    const restarted = new Promise<void>((resolve) => ctx.bridge.once(BridgeEvents.FFMPEG_STARTED, () => resolve()));
    process.kill(pid, 'SIGKILL');
    await restarted;
    assert.notEqual(ctx.bridge.status.transcoder!.pid, pid);
    // Wait (blocking reload) until the new generation has completed a segment.
    const lastBefore = before.segments.at(-1)!.msn;
    const res = await get(ctx.origin, `e2e/360p/index.m3u8?_HLS_msn=${lastBefore + 2}`);
    const { playlist, errors } = checkMediaPlaylist(text(res), before);
    assert.deepEqual(errors, []);
    const firstNew = playlist.segments.find((s) => s.map === 'init-2.mp4');
    assert.ok(firstNew, 'a segment of the new generation is listed with its own EXT-X-MAP');
    assert.equal(firstNew.discontinuity, true);
    const msns = playlist.segments.map((s) => s.msn);
    assert.deepEqual(msns, msns.map((_, i) => msns[0]! + i), 'media sequence numbers continue without a hole');
    assert.ok(Date.parse(firstNew.programDateTime!) > Date.parse(before.segments.at(-1)!.programDateTime!));
    await fetchAll(ctx.origin, 'e2e/360p', playlist);
    assert.equal(ctx.bridge.status.restarts, 1);
    assert.ok((ctx.bridge.status.transcoder!.speed ?? 0) > 0.5, 'ffmpeg speed= is parsed into the status');
  });

  test('closing ends the playlists, stops ffmpeg and leaves the archive on disk', async () => {
    const pid = ctx.bridge.status.transcoder!.pid!;
    await ctx.bridge.close();
    const final = parseMediaPlaylist(text(await get(ctx.origin, 'e2e/480p/index.m3u8?_HLS_msn=999')));
    assert.equal(final.ended, true);
    assert.throws(() => process.kill(pid, 0), 'ffmpeg is gone');
    const dir = ctx.bridge.archiveDir;
    const manifest = (await readFile(path.join(dir, 'manifest.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; file: string });
    assert.ok(manifest.filter((m) => m.type === 'init').length >= 6, 'two generations × three renditions of init segments');
    for (const m of manifest) assert.ok(existsSync(path.join(dir, m.file)), m.file);
    const vod = await readFile(path.join(dir, '360p', 'vod.m3u8'), 'utf8');
    assert.match(vod, /#EXT-X-PLAYLIST-TYPE:VOD[\s\S]*#EXT-X-DISCONTINUITY[\s\S]*#EXT-X-ENDLIST/);
    // Segments that left memory are served from the archive.
    bytes(await get(ctx.origin, 'e2e/360p/seg-0.m4s'));
  });
});

describe('HlsBridge with a VP8 + Opus RTP source (every rung encoded)', () => {
  const ctx = {} as Ctx;
  before(() => startPipeline(ctx, 'vp8'));
  after(() => stopPipeline(ctx));

  test('encodes 480p and 360p with keyframes aligned so both renditions cut the same segments', async () => {
    const master = parseMasterPlaylist(text(await get(ctx.origin, 'e2e/master.m3u8')));
    assert.deepEqual(master.variants.map((v) => v.attributes.RESOLUTION ?? 'audio'), ['854x480', '640x360', 'audio']);
    assert.equal(ctx.bridge.status.renditions.some((r) => r.copy), false);
    const [a, b] = await Promise.all(['480p', '360p'].map(async (n) => parseMediaPlaylist(text(await get(ctx.origin, `e2e/${n}/index.m3u8?_HLS_msn=2`)))));
    const shape = (p: ParsedMediaPlaylist): string[] => p.segments.filter((s) => s.uri && s.msn <= 2).map((s) => `${s.msn}:${s.duration}:${s.programDateTime}:${s.parts.map((x) => x.independent).join()}`);
    assert.deepEqual(shape(a!), shape(b!));
    for (const name of ['480p', '360p']) {
      const p = name === '480p' ? a! : b!;
      const media = Buffer.concat([bytes(await get(ctx.origin, `e2e/${name}/${p.segments[0]!.map}`)), bytes(await get(ctx.origin, `e2e/${name}/${p.segments[1]!.uri}`))]);
      const probed = await probeMedia(media);
      assert.equal(probed.streams[0]!.codec_name, 'h264');
      assert.equal(probed.streams[0]!.width, name === '480p' ? 854 : 640);
    }
  });
});

describe('HlsBridge when the publisher grows from 320x180 to 854x480', () => {
  const ctx = {} as Ctx & { small: FfmpegRtpSource; switcher: SwitchingRtpSource };
  before(async () => {
    const ffmpegPath = await resolveFfmpegPath();
    ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'hls-bridge-grow-'));
    ctx.small = new FfmpegRtpSource({ ffmpegPath, width: 320, height: 180, fps: 30, gop: 30, durationSec: 60, audio: false });
    ctx.source = new FfmpegRtpSource({ ffmpegPath, width: 854, height: 480, fps: 30, gop: 30, durationSec: 60 });
    ctx.switcher = new SwitchingRtpSource([ctx.small.video!, ctx.source.video!]);
    ctx.bridge = new HlsBridge({ streamId: 'grow', sources: { video: ctx.switcher, audio: ctx.source.audio! }, archiveDir: ctx.dir, ffmpegPath, threads: 1 });
    ctx.origin = new HlsOrigin();
    ctx.origin.attach('grow', ctx.bridge);
    await ctx.bridge.start();
    await Promise.all([ctx.small.start(), ctx.source.start()]);
  });
  after(async () => {
    await stopPipeline(ctx);
    await ctx.small?.close();
  });

  test('re-plans the ladder once the larger size holds, ending the old top rendition', async () => {
    const first = parseMasterPlaylist(text(await get(ctx.origin, 'grow/master.m3u8')));
    assert.deepEqual(first.variants.map((v) => v.attributes.RESOLUTION ?? 'audio'), ['320x180', 'audio']);
    const replanned = new Promise<readonly string[]>((resolve) => ctx.bridge.on(BridgeEvents.LADDER, (d) => resolve(d.renditions)));
    ctx.switcher.switchTo(1);
    assert.deepEqual(await replanned, ['480p', '360p', 'audio']);
    // Wait for the new top rendition's first complete segment.
    const top = parseMediaPlaylist(text(await get(ctx.origin, 'grow/480p/index.m3u8?_HLS_msn=0')));
    const media = Buffer.concat([bytes(await get(ctx.origin, `grow/480p/${top.segments[0]!.map}`)), bytes(await get(ctx.origin, `grow/480p/${top.segments[0]!.uri}`))]);
    assert.deepEqual([(await probeMedia(media)).streams[0]!.width, (await probeMedia(media)).streams[0]!.height], [854, 480]);
    text(await get(ctx.origin, 'grow/360p/index.m3u8?_HLS_msn=0'));
    const master = parseMasterPlaylist(text(await get(ctx.origin, 'grow/master.m3u8')));
    assert.deepEqual(master.variants.map((v) => v.attributes.RESOLUTION ?? 'audio'), ['854x480', '640x360', 'audio']);
    assert.equal(parseMediaPlaylist(text(await get(ctx.origin, 'grow/180p/index.m3u8'))).ended, true);
    const audio = checkMediaPlaylist(text(await get(ctx.origin, 'grow/audio/index.m3u8')));
    assert.deepEqual(audio.errors, []);
    assert.ok(audio.playlist.segments.some((s) => s.discontinuity), 'audio carries on after the restart');
  });
});
