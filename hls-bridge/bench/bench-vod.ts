/**
 * VOD benchmark (`npm run bench:vod`):
 *
 * 1. Disk: a real RTP publisher (ffmpeg, 720p30 H.264 at 2.5 Mbit/s + Opus) feeds HlsBridge with
 *    the default ladder for --live seconds; the archive's bytes per rendition are scaled to one
 *    hour of stream.
 * 2. Stitch: a --minutes long 720p archive (2.5 Mbit/s video, AAC audio; one encode stream-copied
 *    end to end) is stitched into the MP4 (stream copy, faststart, chapters). Speed as multiples of
 *    real time (target ≥ 100×), and MB/s.
 * 3. Captions: a --speech seconds archive whose audio is espeak-ng speech goes through the caption
 *    job (ffmpeg decode → PocketSphinx). Speed as multiples of real time.
 *
 * Flags: --live 20  --minutes 10  --speech 60  --only disk|stitch|captions
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { writeReport } from '../../loadtest/report/write-report.ts';
import { setLogLevel } from '../../signaling/logger.ts';
import { HlsBridge } from '../HlsBridge.ts';
import { FfmpegRtpSource } from '../testing/FfmpegRtpSource.ts';
import { resolveFfmpegPath } from '../transcode/ffmpeg-path.ts';
import { audioRendition, readArchiveIndex, topVideoRendition } from '../vod/archive-index.ts';
import { runCaptionJob } from '../vod/caption-job.ts';
import { planChapters } from '../vod/chapters.ts';
import { IoRateLimiter } from '../vod/IoRateLimiter.ts';
import { PocketsphinxRecognizer } from '../vod/PocketsphinxRecognizer.ts';
import { runStitchJob } from '../vod/stitch-job.ts';
import { makeTestArchive } from '../vod/testing/make-test-archive.ts';
import { planTimeline } from '../vod/vod-timeline.ts';

const { values: flags } = parseArgs({
  options: {
    live: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '10' },
    speech: { type: 'string', default: '60' },
    only: { type: 'string' },
  },
});
const only = flags.only;
if (only !== undefined && !['disk', 'stitch', 'captions'].includes(only)) throw new Error('--only takes disk, stitch or captions');

interface DiskResult {
  readonly rendition: string;
  readonly seconds: number;
  readonly bytes: number;
  readonly bytesPerHour: number;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

async function disk(ffmpeg: string, root: string, seconds: number): Promise<DiskResult[]> {
  const source = new FfmpegRtpSource({ ffmpegPath: ffmpeg, width: 1280, height: 720, fps: 30, gop: 60, videoBitrate: '2500k', durationSec: seconds + 10 });
  const bridge = new HlsBridge({ streamId: 'bench-disk', sources: { video: source.video!, audio: source.audio! }, archiveDir: root, ffmpegPath: ffmpeg });
  await source.start();
  await bridge.start();
  await sleep(seconds * 1000);
  await bridge.close('benchmark over');
  await source.close();
  const index = await readArchiveIndex(path.join(root, 'bench-disk'));
  const out: DiskResult[] = [];
  for (const r of index.renditions) {
    const bytes = await dirBytes(path.join(root, 'bench-disk', r.name));
    out.push({ rendition: r.name, seconds: r.presentDurationSec, bytes, bytesPerHour: Math.round((bytes / r.presentDurationSec) * 3600) });
  }
  return out;
}

async function stitch(ffmpeg: string, root: string, minutes: number): Promise<{ mediaSec: number; wallSec: number; speed: number; inputMB: number; mbPerSec: number; outputMB: number }> {
  const dir = path.join(root, 'hls', 'bench-stitch');
  const loops = Math.max(1, Math.round((minutes * 60) / 10));
  process.stdout.write(`  making a ${loops * 10} s archive (10 s encode, stream-copied ${loops}×)…\n`);
  await makeTestArchive({ dir, durationSec: 10, startMs: Date.now(), video: { width: 1280, height: 720, bitrateKbps: 2500 }, audio: 'tone', loops });
  const index = await readArchiveIndex(dir);
  const timeline = await planTimeline(index, { video: topVideoRendition(index)!, audio: audioRendition(index)! });
  const chapters = planChapters([], { originMs: timeline.originMs, durationSec: timeline.durationSec, initialTitle: 'Benchmark' });
  const started = performance.now();
  const result = await runStitchJob({
    ffmpegPath: ffmpeg,
    archiveDir: dir,
    timeline,
    chapters,
    title: 'Benchmark',
    outputFile: path.join(root, 'bench.mp4'),
    limiter: new IoRateLimiter(0),
    signal: new AbortController().signal,
  });
  const wallSec = (performance.now() - started) / 1000;
  return {
    mediaSec: timeline.durationSec,
    wallSec,
    speed: timeline.durationSec / wallSec,
    inputMB: result.inputBytes / 1e6,
    mbPerSec: result.inputBytes / 1e6 / wallSec,
    outputMB: result.bytes / 1e6,
  };
}

async function captions(ffmpeg: string, root: string, seconds: number): Promise<{ mediaSec: number; wallSec: number; speed: number; words: number; cues: number }> {
  const recognizer = new PocketsphinxRecognizer();
  const missing = await recognizer.unavailableReason();
  if (missing) throw new Error(missing);
  const lines = ['hello world welcome to the stream', 'today we talk about music', 'the weather is nice and sunny', 'thank you for watching'];
  const speech = Array.from({ length: Math.floor(seconds / 6) }, (_, i) => ({ atSec: i * 6 + 1, text: lines[i % lines.length]! }));
  const dir = path.join(root, 'hls', 'bench-captions');
  await makeTestArchive({ dir, durationSec: seconds, startMs: Date.now(), video: { width: 160, height: 90 }, audio: { speech } });
  const index = await readArchiveIndex(dir);
  const timeline = await planTimeline(index, { audio: audioRendition(index)! });
  const started = performance.now();
  const result = await runCaptionJob({
    ffmpegPath: ffmpeg,
    archiveDir: dir,
    timeline,
    recognizer,
    outputFile: path.join(root, 'captions.vtt'),
    limiter: new IoRateLimiter(0),
    signal: new AbortController().signal,
  });
  const wallSec = (performance.now() - started) / 1000;
  return { mediaSec: timeline.durationSec, wallSec, speed: timeline.durationSec / wallSec, words: result.words, cues: result.cues.length };
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const ffmpeg = await resolveFfmpegPath();
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-vod-'));
  const report: Record<string, unknown> = {};
  try {
    if (!only || only === 'disk') {
      console.log(`disk: ${flags.live} s of 720p30 through the live bridge (default ladder)…`);
      const rows = await disk(ffmpeg, path.join(root, 'live'), Number(flags.live));
      for (const r of rows) console.log(`  ${r.rendition.padEnd(6)} ${(r.bytesPerHour / 1e9).toFixed(2)} GB per hour  (${(r.bytes / 1e6).toFixed(1)} MB for ${r.seconds.toFixed(1)} s)`);
      console.log(`  total  ${(rows.reduce((s, r) => s + r.bytesPerHour, 0) / 1e9).toFixed(2)} GB per hour of stream`);
      report.disk = rows;
    }
    if (!only || only === 'stitch') {
      console.log(`stitch: ${flags.minutes} min of 720p (2.5 Mbit/s) + AAC into one MP4 (stream copy, faststart, chapters)…`);
      const r = await stitch(ffmpeg, root, Number(flags.minutes));
      console.log(`  ${r.mediaSec.toFixed(0)} s of media in ${r.wallSec.toFixed(2)} s: ${r.speed.toFixed(0)}× real time (target ≥ 100×), ${r.mbPerSec.toFixed(0)} MB/s, ${r.inputMB.toFixed(0)} MB in → ${r.outputMB.toFixed(0)} MB MP4`);
      report.stitch = r;
    }
    if (!only || only === 'captions') {
      console.log(`captions: ${flags.speech} s of espeak-ng speech through ffmpeg + PocketSphinx…`);
      const r = await captions(ffmpeg, root, Number(flags.speech));
      console.log(`  ${r.mediaSec.toFixed(0)} s of audio in ${r.wallSec.toFixed(2)} s: ${r.speed.toFixed(1)}× real time (one core), ${r.words} words, ${r.cues} cues`);
      report.captions = r;
    }
    console.log(`report: ${await writeReport('vod', report)}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:vod failed: ${(err as Error).message}`);
  process.exit(1);
});
