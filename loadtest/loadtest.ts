/**
 * Load test against a running platform or cluster (`npm run loadtest`):
 *
 *   npm run loadtest -- --target http://127.0.0.1:8080 --viewers 100 --browsers 3 --duration 60
 *
 * M headless Chromium viewers (--browsers) watch /watch/:id, decode, and read the frame clock
 * (glass-to-glass delay, first frame, freezes); N − M light viewers (werift peers in worker
 * processes, WHEP) only count RTP packets, loss and jitter. Without --stream, a Chromium page goes
 * live on --target with the frame-clock pattern. Viewers join at --ramp per second; the steady
 * phase then lasts --duration seconds; everything stops by itself. Per-node CPU comes from each
 * node's /metrics (--nodes, default the target; in a cluster, also every node's heartbeat via
 * /api/cluster). Writes loadtest/reports/loadtest-<time>.json and .html (plots).
 *
 * Flags: --target URL (required)  --viewers 20  --browsers 2  --duration 60  --ramp 10
 *        --stream ID  --node ID (ask placement for one node)  --nodes URL,URL  --processes N
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClockWatcher } from './browser/ClockWatcher.ts';
import { goLiveWithClock } from './browser/clock-pages.ts';
import { launchChromium } from './browser/launch-chromium.ts';
import { ViewerFleet } from './light-viewer/ViewerFleet.ts';
import { addTotals, EMPTY_TOTALS, type FleetTotals } from './light-viewer/fleet-messages.ts';
import { MetricsProbe } from './metrics/MetricsProbe.ts';
import { Teardown } from './process/Teardown.ts';
import { fmt, formatTable } from './report/format-table.ts';
import { lineChartSvg } from './report/svg-chart.ts';
import { writeHtmlReport } from './report/write-html-report.ts';
import { writeReport } from './report/write-report.ts';
import { freezeGaps, freezeStats } from './stats/freezes.ts';
import { summarize } from './stats/percentiles.ts';

const TARGET_P95_MS = 250;

interface Flags {
  readonly target: string;
  readonly viewers: number;
  readonly browsers: number;
  readonly duration: number;
  readonly ramp: number;
  readonly stream: string | undefined;
  readonly node: string | undefined;
  readonly nodes: string[];
  readonly processes: number | undefined;
}

/** One second of the run. */
interface Point {
  readonly t: number;
  readonly browsers: number;
  readonly lightConnected: number;
  readonly delayP50: number | null;
  readonly delayP95: number | null;
  readonly packetsPerSecond: number;
  readonly lossPct: number | null;
  /** Per node: CPU in cores (from /metrics, else the node's heartbeat). */
  readonly cpu: Record<string, number>;
  /** Per node: viewer peer connections (cluster heartbeat). */
  readonly nodeViewers: Record<string, number>;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      viewers: { type: 'string', default: '20' },
      browsers: { type: 'string' },
      duration: { type: 'string', default: '60' },
      ramp: { type: 'string', default: '10' },
      stream: { type: 'string' },
      node: { type: 'string' },
      nodes: { type: 'string' },
      processes: { type: 'string' },
    },
  });
  if (!values.target) throw new Error('--target <url> is required, e.g. --target http://127.0.0.1:8080');
  const target = new URL(values.target).origin;
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}, got "${v}"`);
    return n;
  };
  const viewers = num('viewers', values.viewers, 1, 5000);
  const browsers = num('browsers', values.browsers ?? String(Math.min(2, viewers)), 0, Math.min(20, viewers));
  return {
    target,
    viewers,
    browsers,
    duration: num('duration', values.duration, 5, 3600),
    ramp: num('ramp', values.ramp, 0.1, 500),
    stream: values.stream,
    node: values.node,
    nodes: (values.nodes ?? target).split(',').map((u) => new URL(u.trim()).origin),
    processes: values.processes === undefined ? undefined : num('processes', values.processes, 1, 16),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const teardown = new Teardown();
  const light = flags.viewers - flags.browsers;
  const rampSeconds = flags.viewers / flags.ramp;
  const boundMs = (120 + rampSeconds * 2 + flags.duration + flags.browsers * 25) * 1000;
  teardown.boundTotalTime(boundMs, 'loadtest');
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  try {
    console.log(`loadtest: ${flags.browsers} browser + ${light} light viewers on ${flags.target}, ramp ${flags.ramp}/s, ${flags.duration} s steady (bounded to ${Math.round(boundMs / 1000)} s)`);
    const browser = await launchChromium();
    teardown.add('chromium', () => browser.close());

    let streamId = flags.stream;
    if (!streamId) {
      const publisher = await (await browser.newContext()).newPage();
      streamId = (await goLiveWithClock(publisher, flags.target, 30_000)).streamId;
      console.log(`publishing the frame clock as stream ${streamId}`);
    }

    const watchers: ClockWatcher[] = [];
    const fleets: ViewerFleet[] = [];
    teardown.add('browser viewers', () => Promise.all(watchers.map((w) => w.close())));
    teardown.add('light viewers', () => fleets.forEach((f) => f.kill()));
    const frames = new Map<ClockWatcher, number[]>();
    const delaysAll: Array<{ t: number; ms: number }> = [];
    const points: Point[] = [];
    const probes = flags.nodes.map((u) => new MetricsProbe(u));
    let lastTotals: FleetTotals = EMPTY_TOTALS;
    let steadyFrom = Infinity;

    // One sample per second, all through the run.
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const tickStart = performance.now();
        const t = elapsed();
        const delays: number[] = [];
        for (const w of [...watchers]) {
          const s = await w.poll().catch(() => ({ delays: [], frameTimes: [] }));
          delays.push(...s.delays);
          frames.get(w)!.push(...s.frameTimes);
        }
        for (const ms of delays) delaysAll.push({ t, ms });
        const totals = (await Promise.all(fleets.map((f) => f.snapshot().catch(() => EMPTY_TOTALS)))).reduce(addTotals, EMPTY_TOTALS);
        const packets = totals.videoPackets + totals.audioPackets - (lastTotals.videoPackets + lastTotals.audioPackets);
        const lost = totals.videoLost + totals.audioLost - (lastTotals.videoLost + lastTotals.audioLost);
        lastTotals = totals;
        const cpu: Record<string, number> = {};
        const nodeViewers: Record<string, number> = {};
        for (const probe of probes) {
          const s = await probe.sample();
          if (s?.cpuCores !== undefined) cpu[s.node ?? probe.url] = s.cpuCores;
        }
        const overview = await clusterOverview(flags.target);
        for (const n of overview) {
          if (cpu[n.id] === undefined) cpu[n.id] = n.load.cpu;
          nodeViewers[n.id] = n.load.viewers;
        }
        const d = summarize(delays);
        points.push({
          t,
          browsers: watchers.length,
          lightConnected: totals.connected,
          delayP50: d.count ? d.p50 : null,
          delayP95: d.count ? d.p95 : null,
          packetsPerSecond: packets,
          lossPct: packets + lost > 0 ? (lost / (packets + lost)) * 100 : null,
          cpu,
          nodeViewers,
        });
        await sleep(Math.max(0, 1000 - (performance.now() - tickStart)));
      }
    })();

    // Ramp: browsers first (they measure), then light viewers in batches at the ramp rate.
    const gapMs = 1000 / flags.ramp;
    for (let i = 0; i < flags.browsers; i++) {
      const w = await ClockWatcher.open(browser, { baseUrl: flags.target, streamId, ...(flags.node ? { node: flags.node } : {}) });
      frames.set(w, []);
      watchers.push(w);
      console.log(`  browser viewer ${i + 1}/${flags.browsers}: first frame ${fmt(w.firstFrameMs, 0)} ms`);
      await sleep(gapMs);
    }
    const whepUrl = `${flags.target}/whep/${encodeURIComponent(streamId)}${flags.node ? `?node=${encodeURIComponent(flags.node)}` : ''}`;
    const batch = Math.max(1, Math.ceil(Math.max(flags.ramp * 2, light / 4)));
    const connectErrors: string[] = [];
    for (let done = 0; done < light; ) {
      const n = Math.min(batch, light - done);
      const batchStart = performance.now();
      const { fleet, ready } = await ViewerFleet.start({
        whepUrl,
        viewers: n,
        processes: flags.processes ?? Math.max(1, Math.ceil(n / 150)),
        lifetimeMs: boundMs,
      });
      fleets.push(fleet);
      if (ready.failed) connectErrors.push(...ready.errors);
      done += n;
      console.log(`  light viewers: ${done}/${light} started (${ready.failed} failed)`);
      await sleep(Math.max(0, (n / flags.ramp) * 1000 - (performance.now() - batchStart)));
    }
    steadyFrom = elapsed();
    console.log(`steady phase: ${flags.duration} s`);
    await sleep(flags.duration * 1000);
    sampling = false;
    await sampler;

    const lightReports = (await Promise.all(fleets.map((f) => f.stop()))).flat();
    const states = await Promise.all(watchers.map((w) => w.state()));

    // Summaries over the steady phase.
    const steadyDelays = delaysAll.filter((d) => d.t >= steadyFrom).map((d) => d.ms);
    const delay = summarize(steadyDelays);
    const firstFrame = summarize(watchers.flatMap((w) => (w.firstFrameMs === undefined ? [] : [w.firstFrameMs])));
    const freezes = [...frames.values()].map((times) => freezeStats(times));
    const freezeMs = freezes.reduce((s, f) => s + f.freezeMs, 0);
    const watchedMs = freezes.reduce((s, f) => s + f.spanMs, 0);
    const steadyPoints = points.filter((p) => p.t >= steadyFrom);
    const lossPoints = steadyPoints.flatMap((p) => (p.lossPct === null ? [] : [p.lossPct]));
    const nodes = [...new Set(points.flatMap((p) => Object.keys(p.cpu)))].sort();
    const cpuMean = Object.fromEntries(nodes.map((id) => [id, summarize(steadyPoints.flatMap((p) => (p.cpu[id] === undefined ? [] : [p.cpu[id]!]))).mean]));
    const freezeSeries = freezeRatioSeries(frames, started, points.length);

    console.log('\nResults (steady phase)\n');
    console.log(
      formatTable(
        ['measure', 'value', 'target'],
        [
          ['browser viewers', `${states.filter((s) => s.framesPresented > 0).length}/${flags.browsers} playing`, ''],
          ['light viewers connected', `${lastTotals.connected}/${light}`, ''],
          ['glass-to-glass p50 / p95 / max', `${fmt(delay.p50, 0)} / ${fmt(delay.p95, 0)} / ${fmt(delay.max, 0)} ms (${delay.count} samples)`, `p95 ≤ ${TARGET_P95_MS} ms`],
          ['first frame p50 / max', `${fmt(firstFrame.p50, 0)} / ${fmt(firstFrame.max, 0)} ms`, ''],
          ['freeze ratio', `${fmt(watchedMs ? (freezeMs / watchedMs) * 100 : Number.NaN, 2)} % (${freezes.reduce((s, f) => s + f.freezes, 0)} freezes)`, ''],
          ['light viewer loss', `${fmt(lossPoints.length ? summarize(lossPoints).mean : Number.NaN, 3)} %`, ''],
          ...nodes.map((id) => [`CPU ${id}`, `${fmt((cpuMean[id] ?? Number.NaN) * 100, 0)} % of a core`, '']),
        ],
      ),
    );

    const jsonPath = await writeReport('loadtest', {
      flags,
      streamId,
      targets: { p95DelayMs: TARGET_P95_MS },
      summary: {
        delayMs: delay,
        firstFrameMs: firstFrame,
        freeze: { ratio: watchedMs ? freezeMs / watchedMs : null, freezes: freezes.reduce((s, f) => s + f.freezes, 0), freezeMs, watchedMs },
        light: { requested: light, connectedAtEnd: lastTotals.connected, meanLossPct: lossPoints.length ? summarize(lossPoints).mean : null, connectErrors: [...new Set(connectErrors)].slice(0, 5) },
        cpuCoresMean: cpuMean,
        steadyFromSeconds: steadyFrom,
      },
      series: points.map((p, i) => ({ ...p, freezeRatio: freezeSeries[i] ?? null })),
      lightViewers: lightReports.map((r) => ({ state: r.state, connectMs: r.connectMs, firstPacketMs: r.firstPacketMs, videoLost: r.video.lost, videoJitterMs: r.video.jitterMs, error: r.error })),
    });
    const xy = (read: (p: Point, i: number) => number | null) => points.map((p, i) => [Math.round(p.t), read(p, i)] as const);
    const htmlPath = await writeHtmlReport(jsonPath, {
      title: `Load test: ${flags.viewers} viewers (${flags.browsers} browsers) on ${flags.target}`,
      subtitle: `stream ${streamId}, ramp ${flags.ramp}/s, steady ${flags.duration} s from t=${Math.round(steadyFrom)} s`,
      figures: [
        ['glass-to-glass p50 / p95 / max (steady)', `${fmt(delay.p50, 0)} / ${fmt(delay.p95, 0)} / ${fmt(delay.max, 0)} ms`],
        ['first frame p50 / max', `${fmt(firstFrame.p50, 0)} / ${fmt(firstFrame.max, 0)} ms`],
        ['freeze ratio', `${fmt(watchedMs ? (freezeMs / watchedMs) * 100 : Number.NaN, 2)} %`],
        ['light viewers connected at the end', `${lastTotals.connected}/${light}`],
        ...nodes.map((id) => [`mean CPU ${id}`, `${fmt((cpuMean[id] ?? Number.NaN) * 100, 0)} % of a core`] as const),
      ],
      charts: [
        lineChartSvg(
          [
            { label: 'p50', points: xy((p) => p.delayP50) },
            { label: 'p95', points: xy((p) => p.delayP95) },
          ],
          { title: 'Glass-to-glass delay (browser viewers)', yLabel: 'ms', target: { value: TARGET_P95_MS, label: `p95 target ${TARGET_P95_MS} ms` } },
        ),
        lineChartSvg(
          [
            { label: 'light viewers', points: xy((p) => p.lightConnected) },
            { label: 'browser viewers', points: xy((p) => p.browsers) },
          ],
          { title: 'Viewers over time', yLabel: 'viewers' },
        ),
        lineChartSvg([{ label: 'freeze ratio', points: xy((_p, i) => (freezeSeries[i] === undefined ? null : freezeSeries[i]! * 100)) }], { title: 'Freeze ratio (browser viewers)', yLabel: '% of time frozen' }),
        lineChartSvg(
          nodes.map((id) => ({ label: id, points: xy((p) => (p.cpu[id] === undefined ? null : p.cpu[id]! * 100)) })),
          { title: 'CPU per node', yLabel: '% of a core' },
        ),
      ],
      notes: ['Delay: frame clock read by each browser viewer (publisher screen time vs viewer presentation time).', 'CPU: process_cpu_seconds_total from each node /metrics, else the node heartbeat (/api/cluster).'],
    });
    console.log(`\nreports: ${jsonPath}\n         ${htmlPath}`);
  } finally {
    await teardown.run();
  }
}

/** Nodes of the cluster behind the target (empty for a one-box platform or an older server). */
async function clusterOverview(target: string): Promise<Array<{ id: string; load: { cpu: number; viewers: number } }>> {
  try {
    const res = await fetch(`${target}/api/cluster`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return [];
    const body = (await res.json()) as { nodes?: Array<{ id: string; load: { cpu: number; viewers: number } }> };
    return body.nodes ?? [];
  } catch {
    return [];
  }
}

/** Per second of the run: share of browser-viewer time spent frozen (freezes attributed to the second they ended in). */
function freezeRatioSeries(frames: Map<unknown, number[]>, startedAt: number, seconds: number): Array<number | undefined> {
  const frozen = new Array<number>(seconds).fill(0);
  const watching = new Array<number>(seconds).fill(0);
  for (const times of frames.values()) {
    if (times.length < 2) continue;
    for (let s = Math.floor((times[0]! - startedAt) / 1000); s <= Math.floor((times[times.length - 1]! - startedAt) / 1000) && s < seconds; s++) {
      if (s >= 0) watching[s]! += 1000;
    }
    for (const { endAt, gapMs } of freezeGaps(times)) {
      const s = Math.floor((endAt - startedAt) / 1000);
      if (s >= 0 && s < seconds) frozen[s]! += gapMs;
    }
  }
  return watching.map((w, i) => (w > 0 ? Math.min(1, frozen[i]! / w) : undefined));
}

main().catch((err: unknown) => {
  console.error(`loadtest failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
