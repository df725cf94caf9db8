/**
 * HLS transcode benchmark (`npm run bench:hls`), bridge side.
 *
 * 1. Offline ladder speed and CPU: a 720p30 H.264 + Opus file goes through the exact ffmpeg
 *    ladder command the bridge runs (input swapped for the file, no -re), once with the H.264
 *    top rung passed through and once re-encoded, then one rendition at a time. Prints the
 *    real-time factor (media seconds per wall second) and CPU cores used per rendition
 *    (CPU seconds per media second), so the pass-through saving is a measured figure.
 * 2. Live: a real RTP publisher (ffmpeg, 720p30) feeds HlsBridge; prints time to the master
 *    playlist and first part, the capture → part-available delay (p50/p95, from
 *    EXT-X-PROGRAM-DATE-TIME), ffmpeg's live speed and CPU, with and without pass-through.
 *
 * 3. Glass-to-glass through the platform (hls-glass-to-glass.ts): the /live frame-clock page
 *    publishes over WebRTC, /watch?tier=hls plays it with hls.js, LL-HLS and plain HLS; p50/p95
 *    of the frame-clock delay, hls.js's PDT delay, and time to first frame.
 *
 * Flags: --seconds 10 (offline media length)  --live 12 (live seconds per run)  --threads 0
 *        --glass 20 (glass-to-glass seconds per mode; 0 skips it)  --only glass|transcode
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { setLogLevel } from '../../signaling/logger.ts';
import { BridgeEvents } from '../BridgeEvents.ts';
import { HlsBridge } from '../HlsBridge.ts';
import { FfmpegRtpSource } from '../testing/FfmpegRtpSource.ts';
import { resolveFfmpegPath } from '../transcode/ffmpeg-path.ts';
import { FfmpegProcess } from '../transcode/FfmpegProcess.ts';
import { buildFfmpegArgs } from '../transcode/ladder-args.ts';
import { DEFAULT_LADDER, planLadder, type LadderRung } from '../transcode/ladder.ts';
import { runHlsGlassToGlass, type GlassResult } from './hls-glass-to-glass.ts';
import { CpuSampler } from './proc-cpu.ts';

const run = promisify(execFile);
const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    live: { type: 'string', default: '12' },
    threads: { type: 'string', default: '0' },
    glass: { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});
const GLASS_SECONDS = Number(flags.glass);
if (flags.only !== undefined && flags.only !== 'glass' && flags.only !== 'transcode') throw new Error('--only takes glass or transcode');
const MEDIA_SECONDS = Number(flags.seconds);
const LIVE_SECONDS = Number(flags.live);
const THREADS = Number(flags.threads);
const SOURCE = { codec: 'h264' as const, width: 1280, height: 720 };

interface OfflineResult {
  readonly label: string;
  readonly realtimeFactor: number;
  readonly cores: number;
}

async function makeSourceFile(ffmpeg: string, dir: string): Promise<string> {
  const file = path.join(dir, 'source-720p30.mkv');
  await run(ffmpeg, [
    '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${SOURCE.width}x${SOURCE.height}:rate=30`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(MEDIA_SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '60', '-b:v', '2500k', '-c:a', 'libopus', '-b:a', '64k', file,
  ]);
  return file;
}

async function offline(ffmpeg: string, file: string, label: string, opts: { ladder: readonly LadderRung[]; passthrough: boolean; audio: boolean; video: boolean }): Promise<OfflineResult> {
  const plan = planLadder({ ...(opts.video ? { video: SOURCE } : {}), audio: opts.audio, ladder: opts.ladder, passthrough: opts.passthrough });
  const args = buildFfmpegArgs({
    input: ['-i', file, ...(opts.video ? [] : ['-vn']), ...(opts.audio ? [] : ['-an'])],
    renditions: plan,
    videoEncoder: 'libx264',
    preset: 'veryfast',
    threads: THREADS,
    maxFps: 30,
    keyframes: plan.some((r) => r.kind === 'video' && r.copy) ? { mode: 'source' } : { mode: 'interval', seconds: 2 },
  });
  const started = Date.now();
  let sampler: CpuSampler | null = null;
  const closed = new Promise<void>((resolve) => {
    const proc = new FfmpegProcess({ path: ffmpeg, args, outputs: plan.length, onClose: () => resolve() });
    for (const out of proc.outputs) out.resume();
    sampler = new CpuSampler(proc.pid!);
  });
  await closed;
  const wall = (Date.now() - started) / 1000;
  const cpu = (sampler as CpuSampler | null)?.stop() ?? 0;
  return { label, realtimeFactor: MEDIA_SECONDS / wall, cores: cpu / MEDIA_SECONDS };
}

interface LiveResult {
  readonly label: string;
  readonly masterMs: number;
  readonly firstPartMs: number;
  readonly partDelayP50: number;
  readonly partDelayP95: number;
  readonly speed: number;
  readonly cores: number;
}

async function live(ffmpeg: string, dir: string, label: string, passthrough: boolean): Promise<LiveResult> {
  const source = new FfmpegRtpSource({ ffmpegPath: ffmpeg, width: SOURCE.width, height: SOURCE.height, fps: 30, gop: 60, videoBitrate: '2500k', durationSec: LIVE_SECONDS + 10 });
  const bridge = new HlsBridge({ streamId: `bench-${passthrough ? 'copy' : 'encode'}`, sources: { video: source.video!, audio: source.audio! }, archiveDir: dir, ffmpegPath: ffmpeg, threads: THREADS, passthrough });
  const delays: number[] = [];
  const speeds: number[] = [];
  let masterMs = NaN;
  let firstPartMs = NaN;
  const t0 = Date.now();
  bridge.on(BridgeEvents.READY, () => (masterMs = Date.now() - t0));
  bridge.on(BridgeEvents.FFMPEG_PROGRESS, (p) => p.speed !== undefined && speeds.push(p.speed));
  let recording = true;
  bridge.on(BridgeEvents.PART, (p) => {
    if (Number.isNaN(firstPartMs)) firstPartMs = Date.now() - t0;
    if (!recording || p.rendition !== bridge.status.renditions[0]?.name) return;
    // Capture time of the part's last frame end = segment PDT + parts so far.
    const segment = bridge.playlist(p.rendition)!.segment(p.msn)!;
    const end = segment.programDateTimeMs + segment.parts.slice(0, p.part + 1).reduce((s, x) => s + x.duration, 0) * 1000;
    delays.push(Date.now() - end);
  });
  await bridge.start();
  await source.start();
  await sleep(3000);
  const pid = bridge.status.transcoder?.pid;
  const sampler = pid ? new CpuSampler(pid) : null;
  const cpu0 = sampler?.sample() ?? 0;
  delays.length = 0;
  speeds.length = 0;
  await sleep(LIVE_SECONDS * 1000);
  const cpu = (sampler?.stop() ?? 0) - cpu0;
  recording = false;
  await bridge.close();
  await source.close();
  return { label, masterMs, firstPartMs, partDelayP50: pct(delays, 0.5), partDelayP95: pct(delays, 0.95), speed: pct(speeds, 0.5), cores: cpu / LIVE_SECONDS };
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const f1 = (n: number): string => n.toFixed(2);

async function main(): Promise<void> {
  setLogLevel('warn');
  const ffmpeg = await resolveFfmpegPath(process.env.FFMPEG_PATH);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-hls-'));
  const report: { bench: 'hls'; offline?: OfflineResult[]; live?: LiveResult[]; glass?: GlassResult[] } = { bench: 'hls' };
  try {
    console.log(`bench:hls — ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ffmpeg ${ffmpeg}, threads ${THREADS || 'auto'}`);
    if (flags.only !== 'glass') {
      const file = await makeSourceFile(ffmpeg, dir);
      const full = { ladder: DEFAULT_LADDER, audio: true, video: true };
      const results: OfflineResult[] = [];
      results.push(await offline(ffmpeg, file, 'ladder 720p(copy)+480p+360p+audio', { ...full, passthrough: true }));
      results.push(await offline(ffmpeg, file, 'ladder 720p+480p+360p+audio (no copy)', { ...full, passthrough: false }));
      const rung = (h: number): LadderRung[] => DEFAULT_LADDER.filter((r) => r.height === h);
      results.push(await offline(ffmpeg, file, '  720p copy only', { ladder: [], passthrough: true, audio: false, video: true }));
      results.push(await offline(ffmpeg, file, '  720p encode only', { ladder: rung(720), passthrough: false, audio: false, video: true }));
      results.push(await offline(ffmpeg, file, '  480p encode only', { ladder: rung(480), passthrough: false, audio: false, video: true }));
      results.push(await offline(ffmpeg, file, '  360p encode only', { ladder: rung(360), passthrough: false, audio: false, video: true }));
      results.push(await offline(ffmpeg, file, '  audio (Opus→AAC) only', { ladder: [], passthrough: false, audio: true, video: false }));
      console.log(`\nOffline, ${MEDIA_SECONDS} s of 720p30 (target: ladder ≥ 1.5× real time)`);
      console.log('  run                                       real-time×   CPU cores');
      for (const r of results) console.log(`  ${r.label.padEnd(42)}${f1(r.realtimeFactor).padStart(9)}   ${f1(r.cores).padStart(9)}`);
      const saved = results[1]!.cores - results[0]!.cores;
      console.log(`  pass-through saves ${f1(saved)} cores (${Math.round((saved / results[1]!.cores) * 100)}% of the ladder) on a 720p30 source`);
      report.offline = results;

      const liveResults = [await live(ffmpeg, dir, 'live, pass-through', true), await live(ffmpeg, dir, 'live, re-encode top rung', false)];
      console.log(`\nLive RTP 720p30 → LL-HLS, ${LIVE_SECONDS} s per run (capture → part available at the origin)`);
      console.log('  run                          master ms  first part ms  part delay p50/p95 ms  ffmpeg speed  CPU cores');
      for (const r of liveResults) {
        console.log(`  ${r.label.padEnd(28)}${String(r.masterMs).padStart(9)}${String(r.firstPartMs).padStart(15)}${`${Math.round(r.partDelayP50)}/${Math.round(r.partDelayP95)}`.padStart(23)}${f1(r.speed).padStart(14)}${f1(r.cores).padStart(11)}`);
      }
      report.live = liveResults;
    }
    if (flags.only !== 'transcode' && GLASS_SECONDS > 0) {
      const size = '854x480';
      console.log(`\nGlass-to-glass through the platform: /live frame clock ${size} (WebRTC simulcast) → HLS bridge → hls.js on /watch?tier=hls, ${GLASS_SECONDS} s per mode`);
      const glass = await runHlsGlassToGlass({ seconds: GLASS_SECONDS, warmup: 5, size, joins: 3 });
      console.log('  mode                                   frame clock p50/p95 ms  PDT delay p50/p95 ms  first frame p50/max ms  level  (targets: LL p95 ≤ 2000, plain ≤ 8000, first frame ≤ 1500)');
      for (const g of glass) {
        const pair = (s: { p50: number; p95: number }): string => `${Math.round(s.p50)}/${Math.round(s.p95)}`;
        console.log(`  ${g.label.padEnd(39)}${`${pair(g.delay)} (n=${g.delay.count})`.padStart(23)}${pair(g.pdtDelay).padStart(22)}${`${Math.round(g.firstFrame.p50)}/${Math.round(g.firstFrame.max)}`.padStart(24)}  ${g.level}`);
      }
      report.glass = glass;
    }
    console.log('\n' + JSON.stringify(report));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
