/**
 * Fan-out cost benchmark (`npm run bench:fanout`).
 *
 * The platform runs in this process; headless Chromium publishes its fake camera through WHIP;
 * light werift viewers in child processes watch through WHEP, N = 10, 50, 100, 200 by default.
 * Per step: ramp up, settle, then measure this process's CPU time over a window against the RTP
 * packets the viewers received in it → server CPU µs per forwarded packet. Beside each step, the
 * floor: a child process that only SRTP-protects (the SFU's own protector, AEAD_AES_128_GCM as the
 * viewers negotiate) and sends the same number of packets, of the step's measured average size,
 * to UDP sinks at the same pace. Prints figures against the targets (≥ 1,000
 * viewer streams per core at 1 Mbps, within 3× the floor); writes JSON to loadtest/reports/.
 *
 * Flags: --steps 10,50,100,200  --seconds 15 (window per step)  --settle 3  --warmup 4
 *        --floor-seconds 8  --floor-bytes auto (the step's average RTP packet size) or a size in bytes
 *        --baseline-seconds 5
 *        --processes <viewer processes per step; default 1 per 100 viewers>  --codec H264|VP8
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from './browser/launch-chromium.ts';
import { publishFakeCamera, type WhipPublisherStats } from './browser/whip-publisher.ts';
import { createStream } from './http/create-stream.ts';
import { ViewerFleet } from './light-viewer/ViewerFleet.ts';
import type { FleetTotals } from './light-viewer/fleet-messages.ts';
import { runSrtpFloor, type SrtpFloorResult } from './floor/run-srtp-floor.ts';
import { startLocalPlatform } from './platform/start-local-platform.ts';
import { CpuMeter, type CpuWindow } from './process/CpuMeter.ts';
import { Teardown } from './process/Teardown.ts';
import { linearFit, type LinearFit } from './stats/linear-fit.ts';
import { summarize, type Summary } from './stats/percentiles.ts';
import { fmt, formatTable } from './report/format-table.ts';
import { writeReport } from './report/write-report.ts';

/** 1 Mbps of video in ~1,100-byte packets (~115/s) plus Opus audio (50/s). */
const PACKETS_PER_SECOND_AT_1MBPS = 165;
const TARGET_VIEWERS_PER_CORE = 1_000;
const TARGET_FLOOR_RATIO = 3;

interface Flags {
  readonly steps: number[];
  readonly seconds: number;
  readonly settle: number;
  readonly warmup: number;
  readonly floorSeconds: number;
  /** Floor packet size; undefined: each step's measured average. */
  readonly floorBytes: number | undefined;
  readonly baselineSeconds: number;
  readonly processes: number | undefined;
  readonly codec: 'H264' | 'VP8' | undefined;
}

interface StepResult {
  readonly viewers: number;
  readonly connected: number;
  /** Viewers still connected at the end of the window. */
  readonly connectedAtEnd: number;
  readonly failed: number;
  readonly connectErrors: readonly string[];
  readonly server: CpuWindow;
  readonly forwardedPackets: number;
  readonly forwardedBytes: number;
  readonly lostPackets: number;
  readonly lossPct: number;
  readonly perViewerPacketsPerSecond: number;
  readonly perViewerKbps: number;
  readonly avgPacketBytes: number;
  readonly meanVideoJitterMs: number;
  readonly usPerPacket: number;
  readonly usPerPacketNetOfIngest: number;
  readonly viewersPerCoreAt1Mbps: number;
  readonly publisher: { readonly kbps: number; readonly packetsPerSecond: number; readonly frameWidth: number; readonly videoCodec: string };
  readonly viewerConnectMs: Summary;
  readonly viewerFirstPacketMs: Summary;
  readonly floor: SrtpFloorResult;
  readonly ratioToFloor: number;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '10,50,100,200' },
      seconds: { type: 'string', default: '15' },
      settle: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '4' },
      'floor-seconds': { type: 'string', default: '8' },
      'floor-bytes': { type: 'string', default: 'auto' },
      'baseline-seconds': { type: 'string', default: '5' },
      processes: { type: 'string' },
      codec: { type: 'string' },
    },
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}, got "${v}"`);
    return n;
  };
  const steps = (values.steps ?? '').split(',').map((s) => num('steps', s.trim(), 1, 1000));
  const codec = values.codec?.toUpperCase();
  if (codec !== undefined && codec !== 'H264' && codec !== 'VP8') throw new Error(`--codec must be H264 or VP8, got "${values.codec}"`);
  return {
    steps,
    seconds: num('seconds', values.seconds, 2, 300),
    settle: num('settle', values.settle, 0, 60),
    warmup: num('warmup', values.warmup, 0, 120),
    floorSeconds: num('floor-seconds', values['floor-seconds'], 1, 120),
    floorBytes: values['floor-bytes'] === 'auto' ? undefined : num('floor-bytes', values['floor-bytes'], 100, 1400),
    baselineSeconds: num('baseline-seconds', values['baseline-seconds'], 1, 60),
    processes: values.processes === undefined ? undefined : num('processes', values.processes, 1, 16),
    codec,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const teardown = new Teardown();
  // Ramp (≤ 60 s per 100 viewers) + settle + window + floor per step, plus start-up: a generous hard bound.
  const boundMs = 90_000 + flags.warmup * 1000 + flags.steps.reduce((s, n) => s + (Math.ceil(n / 100) * 60 + flags.settle + flags.seconds + flags.floorSeconds + 35) * 1000, 0);
  teardown.boundTotalTime(boundMs, 'bench:fanout');
  try {
    console.log(`bench:fanout: steps ${flags.steps.join(', ')} viewers, ${flags.seconds} s window each (bounded to ${Math.round(boundMs / 1000)} s total)`);
    const platform = await startLocalPlatform();
    teardown.add('platform', () => platform.close());
    const stream = await createStream(platform.url, 'bench-fanout');

    const browser = await launchChromium();
    teardown.add('chromium', () => browser.close());
    const page = await browser.newPage();
    const publication = await publishFakeCamera(page, { whipUrl: stream.whipUrl, streamKey: stream.streamKey, ...(flags.codec ? { videoCodec: flags.codec } : {}) });
    teardown.add('publisher', () => publication.stop());
    console.log(`publisher connected (${publication.sessionUrl}); warming up ${flags.warmup} s so the encoder's bitrate settles`);
    await sleep(flags.warmup * 1000);

    // The ingest cost alone: what the server spends with no viewers, subtracted per step below.
    const baseStart = CpuMeter.mark();
    const basePub0 = await publication.stats();
    await sleep(flags.baselineSeconds * 1000);
    const baseline = CpuMeter.since(baseStart);
    const basePub = publisherRate(basePub0, await publication.stats(), baseline.wallMs);
    const ingestUsPerSecond = (baseline.processCpuUs / baseline.wallMs) * 1000;
    console.log(`baseline (publisher only): server ${fmt(baseline.processCorePct)}% of a core, publisher ${fmt(basePub.kbps, 0)} kbps, ${fmt(basePub.packetsPerSecond, 0)} pkt/s, ${basePub.frameWidth}px ${basePub.videoCodec}`);

    const steps: StepResult[] = [];
    for (const n of flags.steps) {
      const step = await runStep(n, flags, stream.whepUrl, ingestUsPerSecond, () => publication.stats(), teardown);
      steps.push(step);
      console.log(
        `  ${n} viewers: ${step.connected} connected, ${fmt(step.usPerPacket, 1)} µs/pkt (net ${fmt(step.usPerPacketNetOfIngest, 1)}), ` +
          `floor ${fmt(step.floor.usPerPacket, 1)} µs/pkt, loss ${fmt(step.lossPct, 2)}%, machine ${fmt(step.server.machineBusyPct, 0)}% busy`,
      );
    }

    const usable = steps.filter((s) => s.forwardedPackets > 0);
    const sfuFit = fitCost(usable.map((s) => ({ pps: (s.forwardedPackets / s.server.wallMs) * 1000, cpuPerSec: (s.server.processCpuUs / s.server.wallMs) * 1000 })), { pps: 0, cpuPerSec: ingestUsPerSecond });
    const floorFit = fitCost(usable.map((s) => ({ pps: (s.floor.packetsSent / s.floor.wallMs) * 1000, cpuPerSec: (s.floor.cpuUs / s.floor.wallMs) * 1000 })));
    printResults(baseline, basePub, steps, sfuFit, floorFit);

    const path = await writeReport('fanout', {
      flags,
      targets: { viewersPerCoreAt1Mbps: TARGET_VIEWERS_PER_CORE, maxRatioToFloor: TARGET_FLOOR_RATIO, packetsPerSecondAt1Mbps: PACKETS_PER_SECOND_AT_1MBPS },
      baseline: { server: baseline, ingestUsPerSecond, publisher: basePub },
      steps,
      fit: { sfu: sfuFit, floor: floorFit, ratio: sfuFit && floorFit ? sfuFit.slope / floorFit.slope : null },
    });
    console.log(`\nreport: ${path}`);
  } finally {
    await teardown.run();
  }
}

async function runStep(
  viewers: number,
  flags: Flags,
  whepUrl: string,
  ingestUsPerSecond: number,
  publisherStats: () => Promise<WhipPublisherStats>,
  teardown: Teardown,
): Promise<StepResult> {
  console.log(`\nstep ${viewers} viewers: ramping up`);
  const { fleet, ready } = await ViewerFleet.start({
    whepUrl,
    viewers,
    // The viewer processes end by themselves shortly after the step would have.
    lifetimeMs: (Math.ceil(viewers / 100) * 60 + flags.settle + flags.seconds + 60) * 1000,
    ...(flags.processes ? { processes: flags.processes } : {}),
  });
  teardown.add(`viewer fleet ${viewers}`, () => fleet.kill());
  if (ready.failed > 0) console.log(`  ${ready.failed} of ${viewers} viewers failed to connect: ${ready.errors.join(' | ')}`);
  await sleep(flags.settle * 1000);

  const a = await fleet.snapshot();
  const pubA = await publisherStats();
  const mark = CpuMeter.mark();
  await sleep(flags.seconds * 1000);
  const server = CpuMeter.since(mark);
  const b = await fleet.snapshot();
  const pubB = await publisherStats();
  const reports = await fleet.stop();

  const packets = b.videoPackets + b.audioPackets - (a.videoPackets + a.audioPackets);
  const bytes = b.videoBytes + b.audioBytes - (a.videoBytes + a.audioBytes);
  const lost = b.videoLost + b.audioLost - (a.videoLost + a.audioLost);
  const seconds = server.wallMs / 1000;
  const connected = Math.max(1, b.connected);
  const perViewerPps = packets / connected / seconds;
  const usPerPacket = server.processCpuUs / packets;
  const usNet = (server.processCpuUs - (ingestUsPerSecond * server.wallMs) / 1000) / packets;

  // Like with like: the floor protects packets of the size the viewers actually received (video and audio mixed).
  const floorBytes = flags.floorBytes ?? Math.min(1400, Math.max(100, Math.round(packets ? bytes / packets : 1_100)));
  console.log(`  measuring the floor: ${viewers} sinks at ${fmt(perViewerPps, 0)} pkt/s each, ${floorBytes}-byte packets`);
  const floor = await runSrtpFloor({
    sinks: viewers,
    incomingPacketsPerSecond: Math.max(1, perViewerPps),
    durationMs: flags.floorSeconds * 1000,
    packetBytes: floorBytes,
  });
  const num = (xs: (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined);
  return {
    viewers,
    connected: ready.connected,
    connectedAtEnd: b.connected,
    failed: ready.failed,
    connectErrors: ready.errors,
    server,
    forwardedPackets: packets,
    forwardedBytes: bytes,
    lostPackets: lost,
    lossPct: packets + lost > 0 ? (lost / (packets + lost)) * 100 : 0,
    perViewerPacketsPerSecond: perViewerPps,
    perViewerKbps: (bytes * 8) / connected / seconds / 1000,
    avgPacketBytes: packets ? bytes / packets : Number.NaN,
    meanVideoJitterMs: meanJitter(b),
    usPerPacket,
    usPerPacketNetOfIngest: usNet,
    viewersPerCoreAt1Mbps: 1e6 / (usPerPacket * PACKETS_PER_SECOND_AT_1MBPS),
    publisher: publisherRate(pubA, pubB, server.wallMs),
    viewerConnectMs: summarize(num(reports.map((r) => r.connectMs))),
    viewerFirstPacketMs: summarize(num(reports.map((r) => r.firstPacketMs))),
    floor,
    ratioToFloor: usPerPacket / floor.usPerPacket,
  };
}

function meanJitter(t: FleetTotals): number {
  return t.connected ? t.videoJitterMsSum / t.connected : Number.NaN;
}

function publisherRate(a: WhipPublisherStats, b: WhipPublisherStats, wallMs: number): StepResult['publisher'] {
  return {
    kbps: ((b.bytesSent - a.bytesSent) * 8) / wallMs,
    packetsPerSecond: ((b.packetsSent - a.packetsSent) * 1000) / wallMs,
    frameWidth: b.frameWidth,
    videoCodec: b.videoCodec,
  };
}

/** Marginal CPU cost per packet: slope of CPU µs/s against packets/s (needs two distinct points). */
function fitCost(points: { pps: number; cpuPerSec: number }[], origin?: { pps: number; cpuPerSec: number }): LinearFit | null {
  const all = origin ? [origin, ...points] : points;
  if (new Set(all.map((p) => Math.round(p.pps))).size < 2) return null;
  return linearFit(all.map((p) => p.pps), all.map((p) => p.cpuPerSec));
}

function printResults(baseline: CpuWindow, basePub: StepResult['publisher'], steps: StepResult[], sfuFit: LinearFit | null, floorFit: LinearFit | null): void {
  console.log(`\nFan-out cost: server CPU per forwarded packet (server in-process; viewers, floor and sinks in other processes)`);
  console.log(`publisher: ${fmt(basePub.kbps, 0)} kbps, ${fmt(basePub.packetsPerSecond, 0)} pkt/s, ${basePub.frameWidth}px ${basePub.videoCodec}; ingest alone ${fmt(baseline.processCorePct)}% of a core\n`);
  const rows = steps.map((s) => [
    String(s.viewers),
    String(s.connectedAtEnd),
    fmt(s.perViewerPacketsPerSecond, 0),
    fmt(s.perViewerKbps, 0),
    fmt(s.avgPacketBytes, 0),
    fmt(s.lossPct, 2),
    fmt(s.server.processCorePct, 0),
    fmt(s.server.machineBusyPct, 0),
    fmt(s.usPerPacket, 1),
    fmt(s.usPerPacketNetOfIngest, 1),
    fmt(s.floor.usPerPacket, 1),
    fmt(s.ratioToFloor, 2),
    fmt(s.viewersPerCoreAt1Mbps, 0),
  ]);
  console.log(
    formatTable(
      ['viewers', 'ok', 'pkt/s/v', 'kbps/v', 'B/pkt', 'loss%', 'srv%core', 'box%busy', 'µs/pkt', 'net µs/pkt', 'floor µs', 'SFU/floor', 'v/core@1M'],
      rows,
    ),
  );
  const floorSizes = [...new Set(steps.map((s) => s.floor.packetBytes))].join('/');
  console.log(`\n  ok = viewers connected at the end of the window; floor = SRTP-protect (AEAD_AES_128_GCM) + send of ${floorSizes || '?'}-byte packets.`);
  console.log(`  µs/pkt = server CPU in the window / packets the viewers received; net = minus the publisher-only (ingest) CPU rate.`);
  console.log(`  v/core@1M = 1e6 / (µs/pkt × ${PACKETS_PER_SECOND_AT_1MBPS} pkt/s): viewers one core could serve at 1 Mbps.`);
  if (steps.some((s) => s.lossPct > 1)) console.log(`  Loss above 1% means the viewers (or the box) could not keep up: µs/pkt of those steps is overstated.`);
  if (steps.some((s) => s.server.machineBusyPct > 90)) console.log(`  The machine was > 90% busy in some steps: figures there include contention.`);

  console.log('\nSummary (marginal cost = least-squares slope of CPU µs/s over packets/s across steps):');
  if (sfuFit && floorFit) {
    const perCore = 1e6 / (sfuFit.slope * PACKETS_PER_SECOND_AT_1MBPS);
    const floorPerCore = 1e6 / (floorFit.slope * PACKETS_PER_SECOND_AT_1MBPS);
    console.log(`  SFU   marginal ${fmt(sfuFit.slope, 2)} µs/pkt (r² ${fmt(sfuFit.r2, 3)}) → ${fmt(perCore, 0)} viewers per core at 1 Mbps   [target ≥ ${TARGET_VIEWERS_PER_CORE}]`);
    console.log(`  floor marginal ${fmt(floorFit.slope, 2)} µs/pkt (r² ${fmt(floorFit.r2, 3)}) → ${fmt(floorPerCore, 0)} viewers per core at 1 Mbps`);
    console.log(`  SFU / floor ${fmt(sfuFit.slope / floorFit.slope, 2)}×   [target ≤ ${TARGET_FLOOR_RATIO}×]`);
  } else {
    console.log('  (needs at least two steps with traffic to fit)');
  }
}

main().catch((err: unknown) => {
  console.error(`bench:fanout failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
