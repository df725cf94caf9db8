/**
 * VOD end to end on a real server process (signaling/main.ts, HLS on): a 60 s frame-clock
 * stream from the go-live page, with two chapters marked from that page and a chat message at
 * 30 s; the stream ends, the server is killed with SIGKILL in the middle of stitching, a new
 * process on the same DATA_DIR finishes the job. Then: the MP4 lasts as long as the stream was
 * live (ffprobe) and has the chapters at the marked times, its bytes equal a clean run's, the VOD
 * page plays the HLS VOD and the MP4 in Chromium, a chapter click shows the picture captured at
 * the mark (frame clock), and the chat message appears when the player reaches 30 s.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { VodLibrary } from '../../hls-bridge/vod/VodLibrary.ts';
import { goLiveWithClock } from '../../loadtest/browser/clock-pages.ts';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { buildWebClient } from '../../web-client/build.ts';
import { setLogLevel } from '../logger.ts';
import type { VodStatus } from '../protocol/messages.ts';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';

const run = promisify(execFile);
const LIVE_SEC = 60;
const CHAT_AT_SEC = 30;

interface Mark {
  readonly streamTime: number;
  readonly title: string;
}

let dataDir: string;
let browser: Browser;

function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerProcess({ DATA_DIR: dataDir, HLS: '1', ...env });
}

async function vodStatus(url: string, id: string): Promise<VodStatus | null> {
  const res = await fetch(`${url}/api/vod/${id}`);
  return res.status === 200 ? ((await res.json()) as VodStatus) : null;
}

async function waitForVod(url: string, id: string, done: (s: VodStatus | null) => boolean, timeoutMs: number): Promise<VodStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: VodStatus | null = null;
  while (Date.now() < deadline) {
    last = await vodStatus(url, id).catch(() => null);
    if (done(last)) return last!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the VOD of ${id} did not get there within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

async function markChapter(page: Page, title: string): Promise<Mark> {
  const before = await page.evaluate(() => ((window as unknown as { __chapters: unknown[] }).__chapters ?? []).length);
  await page.fill('#chapter-title', title);
  await page.click('#chapter');
  await page.waitForFunction((n) => ((window as unknown as { __chapters: unknown[] }).__chapters ?? []).length > n, before, { timeout: 5000 });
  return page.evaluate(() => {
    const marks = (window as unknown as { __chapters: Mark[] }).__chapters;
    return marks[marks.length - 1]!;
  });
}

interface VodHookView {
  source: string | null;
  currentTime: number;
  clock: { senderTime: number; mediaTime: number } | null;
  chatShown: { seq: number; vodSec: number; shownAtSec: number }[];
}

function vodHook(page: Page): Promise<VodHookView> {
  return page.evaluate(() => {
    const v = (window as unknown as { __vod: VodHookView }).__vod;
    return { source: v.source, currentTime: v.currentTime, clock: v.clock, chatShown: [...v.chatShown] };
  });
}

/** Clicks a chapter and returns the first frame-clock reading decoded after the seek (frames from before it are ignored). */
async function seekToChapter(page: Page, title: string, startSec: number): Promise<{ senderTime: number; mediaTime: number }> {
  await page.evaluate(() => ((window as unknown as { __vod: VodHookView }).__vod.clock = null));
  await page.evaluate((t) => {
    const button = [...document.querySelectorAll<HTMLButtonElement>('.vod-chapter')].find((b) => b.textContent?.includes(t));
    if (!button) throw new Error(`no chapter "${t}" on the page`);
    button.click();
  }, title);
  await page.waitForFunction(
    (t) => {
      const clock = (window as unknown as { __vod: VodHookView }).__vod.clock;
      return clock !== null && clock.mediaTime >= t - 0.05;
    },
    startSec,
    { timeout: 10_000 },
  );
  return (await vodHook(page)).clock!;
}

describe('VOD end to end (60 s stream, kill -9 while stitching)', () => {
  const ctx = {} as { id: string; marks: Mark[]; chatSeq: number; chatStreamTime: number; vod: VodStatus; url: string };

  before(async () => {
    setLogLevel('warn');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'vod-e2e-'));
    await buildWebClient({ quiet: true });
    browser = await launchChromium();
  });

  after(async () => {
    killServerProcesses();
    await browser?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a 60 s stream with two chapter marks and a chat message at 30 s; killed while stitching; a restart finishes the MP4', async () => {
    // Slow reads so that stitching lasts long enough to be interrupted.
    const first = await startServer({ VOD_IO_LIMIT_MBPS: '0.25' });
    const page = await browser.newPage();
    const live = await goLiveWithClock(page, first.url, 30_000);
    const id = live.streamId;
    const liveAt = Date.now();
    const viewer = await TestWsClient.connect(`${first.url.replace('http', 'ws')}/ws`);
    viewer.send({ type: 'chatJoin', reqId: 1, streamId: id, historyLimit: 0 });
    await viewer.nextWhere((m) => m.type === 'chatJoined', 5000);

    const sleepUntil = (sec: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, liveAt + sec * 1000 - Date.now())));
    const marks: Mark[] = [];
    await sleepUntil(20);
    marks.push(await markChapter(page, 'Second part'));
    await sleepUntil(CHAT_AT_SEC);
    const chatStreamTime = Date.now();
    viewer.send({ type: 'chatSend', reqId: 2, streamId: id, text: 'hello at thirty', streamTime: chatStreamTime });
    const ack = await viewer.nextWhere((m) => m.type === 'chatAck' || m.type === 'error', 5000);
    assert.equal(ack.type, 'chatAck', JSON.stringify(ack));
    await sleepUntil(40);
    marks.push(await markChapter(page, 'Third part'));
    await sleepUntil(LIVE_SEC);
    viewer.destroy();
    await page.click('#start'); // End stream
    await page.close();

    // The HLS VOD is there at once; the MP4 job starts and is killed with its server.
    const processing = await waitForVod(first.url, id, (s) => s?.job?.state === 'running' && s.job.stage === 'stitch' && s.job.percent >= 3, 30_000);
    assert.ok(processing.job!.percent < 100);
    assert.ok(processing.job!.etaSec !== null && processing.job!.etaSec > 0, `ETA ${processing.job!.etaSec}`);
    const details = await (await fetch(`${first.url}/api/streams/${id}`)).json();
    assert.equal(details.vod.state, 'processing', 'GET /api/streams/:id carries the job progress');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startServer();
    const vod = await waitForVod(second.url, id, (s) => s?.state === 'ready' || s?.state === 'failed', 60_000);
    assert.equal(vod.state, 'ready', JSON.stringify(vod.job));
    assert.equal(vod.job!.attempts, 2, 'the job ran again after the crash');
    Object.assign(ctx, { id, marks, chatSeq: ack.type === 'chatAck' ? ack.seq : 0, chatStreamTime, vod, url: second.url });
  });

  test('the MP4 lasts as long as the stream was live and has the chapters at the marked times', async () => {
    const { vod, marks } = ctx;
    const mp4 = path.join(dataDir, 'vod', ctx.id, 'vod.mp4');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_chapters', '-of', 'json', mp4]);
    const info = JSON.parse(stdout) as { format: { duration: string }; chapters: { start_time: string; tags: { title: string } }[] };
    const duration = Number(info.format.duration);
    assert.ok(vod.liveDurationSec! >= LIVE_SEC - 1, `live for ${vod.liveDurationSec} s`);
    assert.ok(Math.abs(duration - vod.liveDurationSec!) <= 1, `MP4 lasts ${duration} s, the stream was live ${vod.liveDurationSec} s`);
    const expected = marks.map((m) => [Math.round(m.streamTime - vod.originMs!) / 1000, m.title] as const);
    const got = info.chapters.map((c) => [Number(c.start_time), c.tags.title] as const);
    assert.equal(got.length, 3, JSON.stringify(got));
    assert.equal(got[0]![0], 0);
    for (const [i, [at, title]] of expected.entries()) {
      assert.equal(got[i + 1]![1], title);
      assert.ok(Math.abs(got[i + 1]![0] - at) < 0.01, `chapter "${title}" at ${got[i + 1]![0]} s, marked at ${at} s`);
    }
  });

  test('the resumed job made the same MP4 as an uninterrupted run', async () => {
    const reference = path.join(dataDir, 'reference');
    await cp(path.join(dataDir, 'hls', ctx.id), path.join(reference, 'hls', ctx.id), { recursive: true });
    for (const file of ['stream.json', 'chapters.ndjson']) await cp(path.join(dataDir, 'vod', ctx.id, file), path.join(reference, 'vod', ctx.id, file));
    const lib = new VodLibrary({ root: path.join(reference, 'vod'), archiveRoot: path.join(reference, 'hls'), recognizer: null });
    await lib.start();
    for (let i = 0; i < 300 && (await lib.summary(ctx.id))?.state !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    await lib.close();
    const hash = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');
    assert.equal(await hash(path.join(dataDir, 'vod', ctx.id, 'vod.mp4')), await hash(path.join(reference, 'vod', ctx.id, 'vod.mp4')));
  });

  for (const src of ['hls', 'mp4'] as const) {
    test(`the VOD page plays the ${src === 'hls' ? 'HLS VOD playlist' : 'MP4'}; a chapter click shows the picture captured at the mark`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${ctx.url}/vod/${ctx.id}?clock=1${src === 'mp4' ? '&src=mp4' : ''}`);
        await page.waitForFunction(() => (window as unknown as { __vod: VodHookView }).__vod.clock !== null, undefined, { timeout: 20_000 });
        const start = await vodHook(page);
        assert.equal(start.source, src);
        await page.waitForFunction((t) => (window as unknown as { __vod: VodHookView }).__vod.currentTime > t + 1, start.currentTime, { timeout: 10_000 });
        for (const mark of ctx.marks) {
          const chapter = ctx.vod.chapters.find((c) => c.title === mark.title)!;
          const clock = await seekToChapter(page, mark.title, chapter.startSec);
          assert.ok(clock.mediaTime >= chapter.startSec - 0.05 && clock.mediaTime < chapter.startSec + 1.5, `first frame after the seek at ${clock.mediaTime} s, chapter at ${chapter.startSec} s`);
          const expected = mark.streamTime + (clock.mediaTime - chapter.startSec) * 1000;
          assert.ok(Math.abs(clock.senderTime - expected) < 250, `the picture at "${mark.title}" was captured at ${clock.senderTime}, ${clock.senderTime - expected} ms from the mark`);
        }
      } finally {
        await page.close();
      }
    });
  }

  test('chat replay shows the message written at 30 s when the player reaches 30 s', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${ctx.url}/vod/${ctx.id}`);
      await page.waitForFunction(() => (window as unknown as { __vod: { chatCount: number; source: string | null } }).__vod.chatCount > 0, undefined, { timeout: 20_000 });
      const vodSec = (ctx.chatStreamTime - ctx.vod.originMs!) / 1000;
      assert.ok(Math.abs(vodSec - CHAT_AT_SEC) < 2, `message at ${vodSec} s of the VOD`);
      await page.evaluate((t) => {
        const v = document.querySelector('video')!;
        v.currentTime = t;
        void v.play();
      }, vodSec - 3);
      await page.waitForFunction((t) => document.querySelector('video')!.currentTime > t, vodSec - 1, { timeout: 10_000 });
      assert.equal(await page.locator(`#chat [data-seq="${ctx.chatSeq}"]`).count(), 0, 'shown before its time');
      await page.waitForFunction((t) => document.querySelector('video')!.currentTime > t, vodSec + 1, { timeout: 10_000 });
      const shown = (await vodHook(page)).chatShown.find((m) => m.seq === ctx.chatSeq);
      assert.ok(shown, 'the message was not shown');
      assert.ok(shown.shownAtSec >= vodSec && shown.shownAtSec < vodSec + 0.5, `shown at ${shown.shownAtSec} s, written at ${vodSec} s`);
      assert.match(await page.locator(`#chat [data-seq="${ctx.chatSeq}"]`).innerText(), /hello at thirty/);
    } finally {
      await page.close();
    }
  });
});
