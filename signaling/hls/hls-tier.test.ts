/**
 * The HLS tier end to end with real WebRTC: Chromium's fake camera (640x480 H.264 + Opus)
 * published over WHIP, the SFU's producers adapted into the HLS bridge, ffmpeg's ladder
 * served by the platform's own HTTP server under /hls/, and the watch page playing it
 * with hls.js. Also the WebRTC tier's capacity: past WEBRTC_MAX_VIEWERS a WHEP request gets
 * 503 webrtc_full and the watch page moves to HLS by itself.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { BridgeEvents } from '../../hls-bridge/index.ts';
import { checkMediaPlaylist, parseMasterPlaylist, parseMediaPlaylist, type ParsedMediaPlaylist } from '../../hls-bridge/testing/playlist-checker.ts';
import { probeMedia } from '../../hls-bridge/testing/probe-media.ts';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { installNameShim } from '../../loadtest/browser/prepare-page.ts';
import { waitForLive } from '../../loadtest/browser/clock-pages.ts';
import { publishFakeCamera, type WhipPublication } from '../../loadtest/browser/whip-publisher.ts';
import { buildWebClient } from '../../web-client/build.ts';
import type { Platform } from '../platform.ts';
import { CreatedStream, StreamDetails } from '../protocol/messages.ts';
import { BrowserPeer } from '../testing/BrowserPeer.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

interface Ctx {
  dir: string;
  platform: Platform;
  browser: Browser;
  stream: CreatedStream;
  publisher: WhipPublication;
  /** The hls.js viewer (watch?tier=hls). */
  hlsPage: Page;
}

interface WatchHookState {
  tier: string;
  tierReason: string | null;
  framesPresented: number;
  hlsLevels: { label: string; height: number }[];
  hlsDelayMs: number | null;
  currentTime: number;
  note: string;
}

const ctx = {} as Ctx;

async function getText(pathAndQuery: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(ctx.platform.url + pathAndQuery);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function getBytes(pathAndQuery: string): Promise<Buffer> {
  const res = await fetch(ctx.platform.url + pathAndQuery);
  assert.equal(res.status, 200, `GET ${pathAndQuery}`);
  return Buffer.from(await res.arrayBuffer());
}

const hlsBase = (): string => `/hls/${ctx.stream.id}`;

async function mediaPlaylist(rendition: string, query = ''): Promise<{ text: string; playlist: ParsedMediaPlaylist }> {
  const res = await getText(`${hlsBase()}/${rendition}/index.m3u8${query}`);
  assert.equal(res.status, 200, res.text);
  return { text: res.text, playlist: parseMediaPlaylist(res.text) };
}

async function readWatch(page: Page): Promise<WatchHookState> {
  return page.evaluate(() => {
    const w = (window as unknown as { __watch: Record<string, unknown> }).__watch;
    return {
      tier: String(w.tier),
      tierReason: (w.tierReason as string | null) ?? null,
      framesPresented: Number(w.framesPresented),
      hlsLevels: w.hlsLevels as { label: string; height: number }[],
      hlsDelayMs: (w.hlsDelayMs as number | null) ?? null,
      currentTime: (document.getElementById('video') as HTMLVideoElement).currentTime,
      note: document.getElementById('tier-note')?.textContent ?? '',
    };
  });
}

/** Waits until the page has presented `frames` more frames than `from`; returns the state then. */
async function waitForFrames(page: Page, from: number, frames: number, timeoutMs: number): Promise<WatchHookState> {
  const deadline = Date.now() + timeoutMs;
  let s = await readWatch(page);
  while (s.framesPresented < from + frames) {
    if (Date.now() > deadline) throw new Error(`watch page presented ${s.framesPresented - from} of ${frames} frames within ${timeoutMs} ms (${JSON.stringify(s)})`);
    await sleep(100);
    s = await readWatch(page);
  }
  return s;
}

/**
 * The playlist checker's findings, less one rule a live WebRTC source cannot always meet: frames
 * keep the publisher's capture times (copied rung) or a fixed grid with the source's gaps
 * (encoded rungs), so one frame gap longer than 15% of PART-TARGET (a capture hiccup, common on
 * a loaded 2-core box) steps over the 85%–100% window and forces a short part. hls-bridge's own
 * tests enforce that rule with a steady source; every other rule (parts ≤ PART-TARGET, PDT,
 * preload hint, sequence numbers, server control) holds here for every rendition.
 */
function llHlsErrors(text: string): string[] {
  return checkMediaPlaylist(text).errors.filter((e) => !/under 85% of PART-TARGET/.test(e));
}

/** The EXT-X-MAP in force for segment `msn` (the parser notes it only where it appears). */
function mapOf(p: ParsedMediaPlaylist, msn: number): string {
  const map = p.segments.filter((s) => s.msn <= msn && s.map).at(-1)?.map;
  assert.ok(map, `no EXT-X-MAP before segment ${msn}`);
  return map;
}

/** A raw GET that the client does not normalise (fetch resolves `..` before sending). */
function rawGet(rawPath: string): Promise<number> {
  const url = new URL(ctx.platform.url);
  return new Promise((resolve, reject) => {
    http.get({ host: url.hostname, port: url.port, path: rawPath }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('HLS tier with a real WebRTC publisher', { timeout: 180_000 }, () => {
  before(async () => {
    await buildWebClient({ quiet: true });
    ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'hls-tier-'));
    // One WebRTC seat per stream, so the test can fill the tier with one viewer.
    ctx.platform = await startTestPlatform({ HLS: '1', DATA_DIR: ctx.dir, WEBRTC_MAX_VIEWERS: '1' }, { hls: { bridge: { threads: 1 } } });
    ctx.browser = await launchChromium();
    const res = await fetch(`${ctx.platform.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'HLS tier' }) });
    assert.equal(res.status, 201);
    ctx.stream = CreatedStream.strict().parse(await res.json());
    ctx.publisher = await publishFakeCamera(await ctx.browser.newPage(), {
      whipUrl: ctx.platform.url + ctx.stream.whip,
      streamKey: ctx.stream.streamKey,
      video: { width: 640, height: 480, frameRate: 30 },
      videoCodec: 'H264',
    });
  });
  after(async () => {
    await ctx.publisher?.stop();
    await ctx.browser?.close();
    await ctx.platform?.close();
    // A VOD job of the last stream may still be writing its job file while the platform winds down.
    if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  test('POST /api/streams answers the HLS playlist URL beside the WebRTC ones', () => {
    assert.equal(ctx.stream.hls, `/hls/${ctx.stream.id}/master.m3u8`);
    assert.equal(ctx.stream.whep, `/whep/${ctx.stream.id}`);
  });

  test('within 10 s of publishing the master lists ≥ 2 video renditions plus audio-only', async () => {
    const deadline = Date.now() + 10_000;
    let master = parseMasterPlaylist('#EXTM3U\n');
    for (;;) {
      const res = await getText(`${hlsBase()}/master.m3u8`);
      if (res.status === 200) {
        master = parseMasterPlaylist(res.text);
        if (master.variants.filter((v) => v.attributes.RESOLUTION).length >= 2) break;
      }
      assert.ok(Date.now() < deadline, `master not complete within 10 s (last: ${res.status} ${res.text})`);
      await sleep(250);
    }
    const video = master.variants.filter((v) => v.attributes.RESOLUTION);
    assert.deepEqual(video.map((v) => [v.uri, v.attributes.RESOLUTION]), [['480p/index.m3u8', '640x480'], ['360p/index.m3u8', '480x360']]);
    for (const v of video) {
      assert.match(v.attributes.CODECS!, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      assert.ok(Number(v.attributes.BANDWIDTH) >= Number(v.attributes['AVERAGE-BANDWIDTH']));
      assert.ok(Number(v.attributes['FRAME-RATE']) > 0);
      assert.equal(v.attributes.AUDIO, 'audio');
    }
    const audioOnly = master.variants.filter((v) => !v.attributes.RESOLUTION);
    assert.deepEqual(audioOnly.map((v) => [v.uri, v.attributes.CODECS]), [['audio/index.m3u8', 'mp4a.40.2']]);
    assert.equal(master.media[0]?.TYPE, 'AUDIO');
  });

  test('GET /api/streams/:id reports the bridge: renditions, ffmpeg speed, playlist', async () => {
    const res = await getText(`/api/streams/${ctx.stream.id}`);
    assert.equal(res.status, 200);
    const details = StreamDetails.parse(JSON.parse(res.text));
    assert.equal(details.state, 'live');
    const hls = details.hls!;
    assert.equal(hls.playlist, ctx.stream.hls);
    assert.equal(hls.ready, true);
    assert.deepEqual(hls.renditions.map((r) => [r.name, r.kind, r.copy]), [['480p', 'video', true], ['360p', 'video', false], ['audio', 'audio', false]]);
    assert.equal(hls.ffmpeg.restarts, 0);
    assert.equal(hls.ffmpeg.lastError, null);
    assert.ok(!res.text.includes(ctx.stream.streamKey));
  });

  test('ffprobe finds the announced codec and size in every rendition', async () => {
    const expected: Record<string, Record<string, unknown>> = {
      '480p': { codec_type: 'video', codec_name: 'h264', width: 640, height: 480 },
      '360p': { codec_type: 'video', codec_name: 'h264', width: 480, height: 360 },
      audio: { codec_type: 'audio', codec_name: 'aac', channels: 2 },
    };
    for (const [rendition, want] of Object.entries(expected)) {
      // A complete segment: the blocking reload waits for the first one when the stream is that young.
      const { playlist } = await mediaPlaylist(rendition, '?_HLS_msn=1&_HLS_part=0');
      const segment = playlist.segments.find((s) => s.uri)!;
      assert.ok(segment, `${rendition} has a complete segment`);
      const media = Buffer.concat([await getBytes(`${hlsBase()}/${rendition}/${mapOf(playlist, segment.msn)}`), await getBytes(`${hlsBase()}/${rendition}/${segment.uri!}`)]);
      const probed = await probeMedia(media);
      assert.equal(probed.streams.length, 1, `${rendition}: one stream`);
      for (const [k, v] of Object.entries(want)) assert.equal((probed.streams[0] as unknown as Record<string, unknown>)[k], v, `${rendition} ${k}`);
      assert.ok(probed.packets > 10, `${rendition} has ${probed.packets} packets`);
    }
  });

  test('media playlists follow the LL-HLS rules and every URI in them is served', async () => {
    for (const rendition of ['480p', '360p', 'audio']) {
      const { text } = await mediaPlaylist(rendition);
      const playlist = parseMediaPlaylist(text);
      assert.deepEqual(llHlsErrors(text), [], `${rendition}:\n${text}`);
      assert.ok(playlist.segments.every((s) => s.programDateTime), 'PDT on every segment');
      const uris = new Set<string>();
      for (const s of playlist.segments) {
        if (s.map) uris.add(s.map);
        if (s.uri) uris.add(s.uri);
        for (const p of s.parts) uris.add(p.uri);
      }
      for (const uri of uris) assert.ok((await getBytes(`${hlsBase()}/${rendition}/${uri}`)).length > 0, uri);
      for (const r of playlist.renditionReports) assert.equal((await getText(path.posix.normalize(`${hlsBase()}/${rendition}/${r.URI}`))).status, 200);
    }
    // Through uWS: HEAD reports the GET's length without a body; preflight is open.
    const { playlist } = await mediaPlaylist('480p');
    const uri = `${hlsBase()}/480p/${playlist.segments.find((s) => s.uri)!.uri}`;
    const head = await fetch(ctx.platform.url + uri, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), (await getBytes(uri)).length);
    assert.match(head.headers.get('cache-control') ?? '', /immutable/);
    const preflight = await fetch(ctx.platform.url + uri, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  });

  test('a blocking request for the next part returns once that part exists', async () => {
    const { playlist } = await mediaPlaylist('480p');
    const hint = /^part-(\d+)\.(\d+)\.m4s$/.exec(playlist.preloadHint ?? '');
    assert.ok(hint, `preload hint ${playlist.preloadHint}`);
    const [msn, part] = [Number(hint[1]), Number(hint[2])];
    const partUri = `part-${msn}.${part}.m4s`;
    assert.ok(!playlist.segments.some((s) => s.parts.some((p) => p.uri === partUri)), 'the hinted part is not listed yet');
    const started = Date.now();
    const held = await mediaPlaylist('480p', `?_HLS_msn=${msn}&_HLS_part=${part}`);
    const heldMs = Date.now() - started;
    // The hinted part may close its segment instead (then it never exists as a part; the segment does).
    const listed = held.playlist.segments.some((s) => s.parts.some((p) => p.uri === partUri) || (s.msn === msn && s.uri));
    assert.ok(listed, `the answer lists ${partUri} (held ${heldMs} ms)\n${held.text}`);
    assert.ok(heldMs < 3000, `held ${heldMs} ms, within a few part durations`);
    // And the hinted part itself is served (held until complete when asked early).
    const next = held.playlist.preloadHint!;
    assert.ok((await getBytes(`${hlsBase()}/480p/${next}`)).length > 0, `preload-hinted ${next}`);
  });

  test('a plain HLS client that reads only segment URIs can follow the stream', async () => {
    const first = (await mediaPlaylist('360p')).playlist;
    const complete = first.segments.filter((s) => s.uri);
    const last = complete.at(-1)!;
    const media = Buffer.concat([await getBytes(`${hlsBase()}/360p/${mapOf(first, last.msn)}`), await getBytes(`${hlsBase()}/360p/${last.uri!}`)]);
    assert.ok((await probeMedia(media)).packets > 10);
    // A reload one target duration later has a newer complete segment.
    await sleep(first.targetDuration * 1000 + 500);
    const second = (await mediaPlaylist('360p')).playlist;
    const newest = second.segments.filter((s) => s.uri).at(-1)!;
    assert.ok(newest.msn > last.msn, `segment ${newest.msn} after ${last.msn}`);
    assert.ok(second.mediaSequence >= first.mediaSequence);
  });

  test('the watch page with ?tier=hls plays with hls.js: frames advance for 5 s', async () => {
    const page = await (await ctx.browser.newContext()).newPage();
    ctx.hlsPage = page;
    await page.goto(`${ctx.platform.url}/watch/${ctx.stream.id}?tier=hls`);
    await installNameShim(page);
    const first = await waitForFrames(page, 0, 1, 15_000);
    assert.equal(first.tier, 'hls');
    await sleep(5000);
    const s = await readWatch(page);
    assert.equal(s.tier, 'hls');
    assert.ok(s.framesPresented - first.framesPresented >= 50, `${s.framesPresented - first.framesPresented} frames in 5 s`);
    assert.ok(s.currentTime - first.currentTime > 4, `played ${s.currentTime - first.currentTime} s in 5 s`);
    // hls.js leaves the audio-only variant out of hls.levels when video variants exist.
    assert.deepEqual(s.hlsLevels.map((l) => l.label).sort(), ['360p', '480p']);
    // Delay from EXT-X-PROGRAM-DATE-TIME: the publisher's capture clock mapped through, not off by seconds.
    assert.ok(s.hlsDelayMs !== null && s.hlsDelayMs > 0 && s.hlsDelayMs < 6000, `PDT delay ${s.hlsDelayMs} ms`);
    assert.match(s.note, /HLS/);
  });

  test('killing the bridge ffmpeg: playlists continue after EXT-X-DISCONTINUITY and the viewer recovers', async () => {
    const bridge = ctx.platform.hls!.bridge(ctx.stream.id)!;
    const restarted = new Promise<void>((resolve) => bridge.once(BridgeEvents.FFMPEG_STARTED, () => resolve()));
    const before = await readWatch(ctx.hlsPage);
    process.kill(bridge.status.transcoder!.pid!, 'SIGKILL');
    await restarted;
    const deadline = Date.now() + 20_000;
    let text = '';
    let cutPdt = NaN;
    for (;;) {
      text = (await mediaPlaylist('480p')).text;
      const p = parseMediaPlaylist(text);
      const cut = p.segments.find((s) => s.discontinuity);
      if (cut && (cut.parts.length > 0 || cut.uri)) {
        cutPdt = Date.parse(cut.programDateTime!);
        break;
      }
      assert.ok(Date.now() < deadline, `no media after a discontinuity within 20 s:\n${text}`);
      await sleep(250);
    }
    assert.deepEqual(llHlsErrors(text), [], text);
    // The viewer plays past the cut: the capture time on screen (Date.now() - PDT delay) passes it, and frames keep coming.
    const crossDeadline = Date.now() + 20_000;
    let after = await readWatch(ctx.hlsPage);
    while (!(after.hlsDelayMs !== null && Date.now() - after.hlsDelayMs > cutPdt + 1000)) {
      assert.ok(Date.now() < crossDeadline, `the viewer did not play 1 s past the discontinuity within 20 s (${JSON.stringify(after)})`);
      await sleep(250);
      after = await readWatch(ctx.hlsPage);
    }
    after = await waitForFrames(ctx.hlsPage, after.framesPresented, 40, 10_000);
    assert.ok(after.currentTime > before.currentTime + 1, `media time ${before.currentTime} → ${after.currentTime}`);
    assert.equal(after.tier, 'hls');
    const status = StreamDetails.parse(JSON.parse((await getText(`/api/streams/${ctx.stream.id}`)).text)).hls!;
    assert.equal(status.ffmpeg.restarts, 1);
  });

  test('a publisher that drops and comes back with its key: the same playlists continue after a discontinuity and the HLS viewer plays on', async () => {
    const bridge = ctx.platform.hls!.bridge(ctx.stream.id)!;
    const before = await readWatch(ctx.hlsPage);
    // Every cut ever made: those that slid out of the window are counted by EXT-X-DISCONTINUITY-SEQUENCE.
    const countCuts = (text: string): number => {
      const p = parseMediaPlaylist(text);
      return p.discontinuitySequence + p.segments.filter((s) => s.discontinuity).length;
    };
    const cutsBefore = countCuts((await mediaPlaylist('480p')).text);
    const msnBefore = parseMediaPlaylist((await mediaPlaylist('480p')).text).mediaSequence;
    // The phone loses its network: no DELETE, no DTLS alert.
    await ctx.publisher.page.close();
    const droppedAt = Date.now();
    // It comes back on a new connection before the server noticed; the stale connection is replaced.
    let publisher: WhipPublication | undefined;
    while (!publisher) {
      try {
        publisher = await publishFakeCamera(await ctx.browser.newPage(), {
          whipUrl: ctx.platform.url + ctx.stream.whip,
          streamKey: ctx.stream.streamKey,
          video: { width: 640, height: 480, frameRate: 30 },
          videoCodec: 'H264',
        });
      } catch (err) {
        assert.ok(Date.now() - droppedAt < 15_000, `the returning publisher was refused for 15 s: ${(err as Error).message}`);
        await sleep(500);
      }
    }
    ctx.publisher = publisher;
    assert.equal(ctx.platform.streams.info(ctx.stream.id).state, 'live');
    assert.equal(ctx.platform.hls!.bridge(ctx.stream.id), bridge, 'the same bridge (and playlists) carry on');

    const deadline = Date.now() + 20_000;
    let text = '';
    for (;;) {
      text = (await mediaPlaylist('480p')).text;
      const p = parseMediaPlaylist(text);
      const cut = [...p.segments].reverse().find((s) => s.discontinuity);
      if (countCuts(text) > cutsBefore && cut && Date.parse(cut.programDateTime!) >= droppedAt - 2000 && (cut.parts.length > 0 || cut.uri)) break;
      assert.ok(Date.now() < deadline, `no media after the publisher's return within 20 s:\n${text}`);
      await sleep(250);
    }
    assert.deepEqual(llHlsErrors(text), [], text);
    assert.ok(parseMediaPlaylist(text).mediaSequence >= msnBefore, 'media sequence numbers never go back');
    const after = await waitForFrames(ctx.hlsPage, before.framesPresented, 60, 25_000);
    assert.equal(after.tier, 'hls');
  });

  test('a viewer whose WebRTC media path cannot form moves to HLS by itself, says why, and frees its WebRTC seat', async () => {
    const context = await ctx.browser.newContext();
    try {
      const page = await context.newPage();
      // As behind a firewall that drops the media: neither side learns the other's ICE candidates
      // (stripped from the offer sent and the answer applied), so no connectivity check ever runs.
      await page.addInitScript(`{
        const strip = (sdp) => sdp.replace(/a=candidate:[^\\r\\n]*\\r?\\n/g, '');
        const proto = RTCPeerConnection.prototype;
        const apply = proto.setRemoteDescription;
        proto.setRemoteDescription = function (d) {
          return apply.call(this, d && d.sdp ? { type: d.type, sdp: strip(d.sdp) } : d);
        };
        const local = Object.getOwnPropertyDescriptor(proto, 'localDescription');
        Object.defineProperty(proto, 'localDescription', {
          get() {
            const d = local.get.call(this);
            return d && { type: d.type, sdp: strip(d.sdp) };
          },
        });
      }`);
      await page.goto(`${ctx.platform.url}/watch/${ctx.stream.id}`);
      await installNameShim(page);
      const s = await waitForFrames(page, 0, 30, 25_000);
      assert.equal(s.tier, 'hls');
      assert.match(s.note, /WebRTC could not play here \(no video within 6 s\)/);
      // The abandoned WebRTC session was stopped, not left to its connect timeout.
      const deadline = Date.now() + 5000;
      while (ctx.platform.streams.get(ctx.stream.id)!.viewers > 0) {
        assert.ok(Date.now() < deadline, 'the WebRTC viewer session was not stopped within 5 s');
        await sleep(100);
      }
    } finally {
      await context.close();
    }
  });

  test('past WEBRTC_MAX_VIEWERS WHEP answers 503 webrtc_full and the watch page moves to HLS, saying why', async () => {
    const peer = await BrowserPeer.open(ctx.browser, ctx.platform.url);
    try {
      const whep = (sdp: string): Promise<Response> =>
        fetch(ctx.platform.url + ctx.stream.whep, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp });
      const seat = await whep(await peer.createOffer('first', 'viewer'));
      assert.equal(seat.status, 201, await seat.clone().text());
      await peer.applyAnswer('first', await seat.text());
      await peer.waitForState('first', ['connected']);
      const refused = await whep(await peer.createOffer('second', 'viewer'));
      assert.equal(refused.status, 503);
      const reason = await refused.text();
      assert.match(reason, /webrtc_full/);
      assert.ok(reason.includes(ctx.stream.hls!), `names the HLS playlist: ${reason}`);

      // The watch page asks over /ws, is refused with webrtc_full and plays HLS instead.
      const page = await (await ctx.browser.newContext()).newPage();
      await page.goto(`${ctx.platform.url}/watch/${ctx.stream.id}`);
      await installNameShim(page);
      const s = await waitForFrames(page, 0, 30, 20_000);
      assert.equal(s.tier, 'hls');
      assert.match(s.note, /full/);
      assert.equal(await page.isVisible('#tier-note'), true);
      await page.close();
    } finally {
      await peer.close();
    }
  });

  test('bad HLS requests: unknown stream 404, nonsense _HLS_msn 400, traversal never leaves the stream folder', async () => {
    assert.equal((await getText('/hls/noSuchStream/master.m3u8')).status, 404);
    assert.equal((await getText(`${hlsBase()}/480p/index.m3u8?_HLS_msn=banana`)).status, 400);
    assert.equal((await getText(`${hlsBase()}/480p/index.m3u8?_HLS_msn=99999999`)).status, 400);
    for (const raw of [`${hlsBase()}/480p/../../../etc/passwd`, `${hlsBase()}/480p/..%2F..%2Fchat.sqlite`, `${hlsBase()}/../${ctx.stream.id}/480p/index.m3u8`]) {
      const status = await rawGet(raw);
      assert.ok(status === 400 || status === 404, `${raw} → ${status}`);
    }
  });

  test('ending the stream ends every playlist (EXT-X-ENDLIST) and keeps the archive on disk', async () => {
    await ctx.publisher.stop();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { playlist } = await mediaPlaylist('480p');
      if (playlist.ended) break;
      assert.ok(Date.now() < deadline, 'EXT-X-ENDLIST within 10 s of the end');
      await sleep(200);
    }
    // The playlists end first; the bridge reports 'closed' once its archive is finished too.
    let details = StreamDetails.parse(JSON.parse((await getText(`/api/streams/${ctx.stream.id}`)).text));
    while (details.hls?.state !== 'closed') {
      assert.ok(Date.now() < deadline, `bridge state ${details.hls?.state}, not closed within 10 s of the end`);
      await sleep(100);
      details = StreamDetails.parse(JSON.parse((await getText(`/api/streams/${ctx.stream.id}`)).text));
    }
    assert.equal(details.state, 'ended');
    assert.ok(existsSync(path.join(ctx.dir, 'hls', ctx.stream.id, '480p')), 'archive kept under DATA_DIR/hls/<id>/');
  });

  test('a simulcast publisher (the /live page over /ws) feeds the bridge its top layer', async () => {
    const page = await (await ctx.browser.newContext()).newPage();
    await page.goto(`${ctx.platform.url}/live?source=clock&size=854x480`);
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement | null)?.srcObject != null, undefined, { timeout: 20_000 });
    await page.fill('#title', 'simulcast to HLS');
    await page.click('#start');
    const { streamId } = await waitForLive(page, 20_000);
    // 854x480 is sent as two layers (427x240 and 854x480): only the top one may reach the ladder.
    const deadline = Date.now() + 20_000;
    let renditions: { name: string; copy: boolean; width?: number; height?: number }[] = [];
    while (!renditions.some((r) => r.name === '480p' && r.copy && r.width === 854)) {
      assert.ok(Date.now() < deadline, `no 854x480 pass-through rendition within 20 s: ${JSON.stringify(renditions)}`);
      await sleep(250);
      renditions = ctx.platform.hls!.status(streamId)?.renditions ?? [];
    }
    assert.ok(renditions.some((r) => r.name === '360p' && !r.copy), JSON.stringify(renditions));
    await page.close();
  });
});
