/**
 * Cascade benchmark (`npm run bench:cascade`).
 *
 * Starts Redis + an origin + edge-1 + edge-2 (edge-2 pulls through edge-1) as processes. Headless
 * Chromium goes live on the origin with the frame clock, and three Chromium viewers watch through
 * the origin's page, placed on the origin (0 hops), edge-1 (1 hop) and edge-2 (2 hops), all at
 * once, so the hops are compared on the same frames:
 *   1. glass-to-glass p50/p95 per hop count over --duration s, and the delay each hop adds
 *      (target ≤ 20 ms p95 per hop);
 *   2. the largest audience this machine held with browser p95 ≤ 250 ms: light viewers added in
 *      --steps through normal placement while the three browsers keep measuring;
 *   3. the largest audience one edge held: a fresh edge (edge-3, a child of the origin) joins, --edge-browsers
 *      Chromium viewers watch through it, and light viewers join it in --edge-steps; the ramp stops at the
 *      first step where the browsers' p95 passes 250 ms or the light viewers lose more than --edge-loss %
 *      of their packets, and reports the last step that held (loadtest/cascade/edge-ramp.ts);
 *   4. light viewers per core on an edge at 1 Mbps: --fanout light viewers on edge-1, edge-1's CPU
 *      (its /metrics) over the packets it forwarded, net of its load before them (target ≥ 1,000).
 * Writes loadtest/reports/cascade-<time>.json and .html.
 *
 * Flags: --duration 20  --fanout 100  --fanout-window 10  --steps 50,100,150,200  --step-window 10
 *        --settle 8 (s after each step's joins: their keyframes and ramp shake jitter buffers)  --edge-capacity 200  --warmup 4
 *        --edge-steps 10,25,50,100,150,200,300 (empty: skip)  --edge-browsers 2  --edge-loss 2
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LocalCluster } from '../signaling/cluster/process/LocalCluster.ts';
import { buildWebClient } from '../web-client/build.ts';
import { ClockWatcher } from './browser/ClockWatcher.ts';
import { goLiveWithClock } from './browser/clock-pages.ts';
import { launchChromium } from './browser/launch-chromium.ts';
import { runEdgeRamp, type EdgeRampResult } from './cascade/edge-ramp.ts';
import { ViewerFleet } from './light-viewer/ViewerFleet.ts';
import { MetricsProbe } from './metrics/MetricsProbe.ts';
import { Teardown } from './process/Teardown.ts';
import { fmt, formatTable } from './report/format-table.ts';
import { lineChartSvg } from './report/svg-chart.ts';
import { writeHtmlReport } from './report/write-html-report.ts';
import { writeReport } from './report/write-report.ts';
import { summarize, type Summary } from './stats/percentiles.ts';

const TARGET_HOP_P95_MS = 20;
const TARGET_VIEWERS_PER_CORE = 1000;
const TARGET_P95_MS = 250;
const RAMP_EDGE = 'edge-3';
/** 1 Mbps of video in ~1,100-byte packets (~115/s) plus Opus audio (50/s), as in bench:fanout. */
const PACKETS_PER_SECOND_AT_1MBPS = 165;
const HOPS = [
  { hops: 0, node: 'origin' },
  { hops: 1, node: 'edge-1' },
  { hops: 2, node: 'edge-2' },
] as const;

interface Flags {
  readonly duration: number;
  readonly fanout: number;
  readonly fanoutWindow: number;
  readonly steps: number[];
  readonly stepWindow: number;
  readonly settle: number;
  readonly edgeCapacity: number;
  readonly warmup: number;
  readonly edgeSteps: number[];
  readonly edgeBrowsers: number;
  readonly edgeLoss: number;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '20' },
      fanout: { type: 'string', default: '100' },
      'fanout-window': { type: 'string', default: '10' },
      steps: { type: 'string', default: '50,100,150,200' },
      'step-window': { type: 'string', default: '10' },
      settle: { type: 'string', default: '8' },
      'edge-capacity': { type: 'string', default: '200' },
      warmup: { type: 'string', default: '4' },
      'edge-steps': { type: 'string', default: '10,25,50,100,150,200,300' },
      'edge-browsers': { type: 'string', default: '2' },
      'edge-loss': { type: 'string', default: '2' },
    },
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}, got "${v}"`);
    return n;
  };
  return {
    duration: num('duration', values.duration, 5, 600),
    fanout: num('fanout', values.fanout, 0, 1000),
    fanoutWindow: num('fanout-window', values['fanout-window'], 3, 120),
    steps: (values.steps ?? '').split(',').filter(Boolean).map((s) => num('steps', s.trim(), 1, 2000)),
    stepWindow: num('step-window', values['step-window'], 3, 120),
    settle: num('settle', values.settle, 0, 120),
    edgeCapacity: num('edge-capacity', values['edge-capacity'], 1, 5000),
    warmup: num('warmup', values.warmup, 0, 60),
    edgeSteps: (values['edge-steps'] ?? '').split(',').filter(Boolean).map((s) => num('edge-steps', s.trim(), 1, 2000)),
    edgeBrowsers: num('edge-browsers', values['edge-browsers'], 1, 5),
    edgeLoss: num('edge-loss', values['edge-loss'], 0, 100),
  };
}

interface HopResult {
  readonly hops: number;
  readonly node: string;
  readonly delay: Summary;
  readonly firstFrameMs: number | undefined;
}

interface StepResult {
  readonly lightViewers: number;
  readonly connected: number;
  readonly browserP95: Record<string, number>;
  readonly worstP95: number;
  readonly withinTarget: boolean;
  readonly nodeCpu: Record<string, number>;
  readonly lossPct: number;
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const teardown = new Teardown();
  const rampSec = flags.edgeSteps.length ? 90 + (flags.edgeSteps.length + 1) * (flags.stepWindow + flags.settle + 40) : 0;
  const boundMs = (180 + flags.warmup + flags.duration + flags.fanoutWindow + 40 + flags.steps.length * (flags.stepWindow + flags.settle + 40) + rampSec) * 1000;
  teardown.boundTotalTime(boundMs, 'bench:cascade');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-cascade-'));
  teardown.add('data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    console.log(`bench:cascade: origin → edge-1 → edge-2 as processes (bounded to ${Math.round(boundMs / 1000)} s)`);
    const rtcBase = 20_000 + Math.floor(Math.random() * 20) * 600;
    const [cluster] = await Promise.all([
      LocalCluster.start({
        nodes: [
          { id: 'origin', role: 'origin' },
          { id: 'edge-1', role: 'edge', capacity: flags.edgeCapacity },
          { id: 'edge-2', role: 'edge', parent: 'edge-1', capacity: flags.edgeCapacity },
        ],
        rtcBasePort: rtcBase,
        rtcPortsPerNode: 600,
        dataDir,
        maxLifetimeSeconds: Math.ceil(boundMs / 1000) + 30,
        env: { LOG_LEVEL: 'warn', HLS: '0' },
      }),
      buildWebClient({ quiet: true }),
    ]);
    teardown.add('cluster', () => cluster.stop());
    const origin = cluster.node('origin').url;
    const browser = await launchChromium();
    teardown.add('chromium', () => browser.close());

    const publisher = await (await browser.newContext()).newPage();
    const { streamId } = await goLiveWithClock(publisher, origin, 30_000);
    console.log(`live as ${streamId}; opening one viewer per hop count`);
    const watchers: ClockWatcher[] = [];
    teardown.add('viewers', () => Promise.all(watchers.map((w) => w.close())));
    // Opened together, so no hop count gets an earlier (or later) start of the publisher's ramp-up.
    watchers.push(...(await Promise.all(HOPS.map((hop) => ClockWatcher.open(browser, { baseUrl: origin, streamId, node: hop.node })))));
    await sleep(flags.warmup * 1000);
    for (const w of watchers) await w.poll(); // drop the warm-up samples

    // 1. Delay per hop count, all three at once.
    const delays = watchers.map(() => [] as number[]);
    const trend: Array<{ t: number; p50: Array<number | null> }> = [];
    const t0 = performance.now();
    while (performance.now() - t0 < flags.duration * 1000) {
      await sleep(1000);
      const samples = await Promise.all(watchers.map((w) => w.poll()));
      samples.forEach((s, i) => delays[i]!.push(...s.delays));
      trend.push({ t: (performance.now() - t0) / 1000, p50: samples.map((s) => (s.delays.length ? summarize(s.delays).p50 : null)) });
    }
    const hops: HopResult[] = HOPS.map((h, i) => ({ ...h, delay: summarize(delays[i]!), firstFrameMs: watchers[i]!.firstFrameMs }));
    const added = [1, 2].map((n) => ({
      hop: n,
      p50: hops[n]!.delay.p50 - hops[n - 1]!.delay.p50,
      p95: hops[n]!.delay.p95 - hops[n - 1]!.delay.p95,
    }));
    console.log(
      '\n' +
        formatTable(
          ['hops', 'served by', 'samples', 'p50 ms', 'p95 ms', 'max ms', 'first frame ms'],
          hops.map((h) => [String(h.hops), h.node, String(h.delay.count), fmt(h.delay.p50, 0), fmt(h.delay.p95, 0), fmt(h.delay.max, 0), fmt(h.firstFrameMs, 0)]),
        ),
    );
    for (const a of added) console.log(`  hop ${a.hop} adds p50 ${fmt(a.p50, 1)} ms, p95 ${fmt(a.p95, 1)} ms   [target ≤ ${TARGET_HOP_P95_MS} ms p95]`);

    // 2. Largest audience with browser p95 within the target (before the fan-out step: once stressed,
    //    the viewers' jitter buffers stay inflated for a long while, which would spoil these figures).
    const steps: StepResult[] = [];
    const fleets: ViewerFleet[] = [];
    teardown.add('audience fleets', () => fleets.forEach((f) => f.kill()));
    const probes = cluster.nodes.map((n) => ({ id: n.spec.id, probe: new MetricsProbe(n.url) }));
    let running = 0;
    for (const target of flags.steps) {
      const add = target - running;
      if (add <= 0) continue;
      console.log(`\naudience step: ${target} light viewers (+${add}) + 3 browsers`);
      const { fleet, ready } = await ViewerFleet.start({
        whepUrl: `${origin}/whep/${encodeURIComponent(streamId)}`,
        viewers: add,
        processes: Math.max(1, Math.ceil(add / 150)),
        lifetimeMs: boundMs,
      });
      fleets.push(fleet);
      running = target;
      await sleep(flags.settle * 1000);
      for (const w of watchers) await w.poll();
      for (const p of probes) await p.probe.sample();
      const stepDelays = watchers.map(() => [] as number[]);
      const stepStart = performance.now();
      while (performance.now() - stepStart < flags.stepWindow * 1000) {
        await sleep(1000);
        (await Promise.all(watchers.map((w) => w.poll()))).forEach((s, i) => stepDelays[i]!.push(...s.delays));
      }
      const nodeCpu: Record<string, number> = {};
      for (const p of probes) {
        const s = await p.probe.sample();
        if (s?.cpuCores !== undefined) nodeCpu[p.id] = s.cpuCores;
      }
      const totals = (await Promise.all(fleets.map((f) => f.snapshot()))).reduce(
        (a, t) => ({ connected: a.connected + t.connected, packets: a.packets + t.videoPackets + t.audioPackets, lost: a.lost + t.videoLost + t.audioLost }),
        { connected: 0, packets: 0, lost: 0 },
      );
      const browserP95 = Object.fromEntries(HOPS.map((h, i) => [h.node, stepDelays[i]!.length ? summarize(stepDelays[i]!).p95 : Number.POSITIVE_INFINITY]));
      const worstP95 = Math.max(...Object.values(browserP95));
      const step: StepResult = {
        lightViewers: target,
        connected: totals.connected,
        browserP95,
        worstP95,
        withinTarget: worstP95 <= TARGET_P95_MS && totals.connected >= target * 0.98,
        nodeCpu,
        lossPct: totals.packets + totals.lost > 0 ? (totals.lost / (totals.packets + totals.lost)) * 100 : 0,
      };
      steps.push(step);
      console.log(
        `  ${totals.connected}/${target} connected (${ready.failed} failed), browser p95 ${HOPS.map((h) => `${h.node} ${fmt(browserP95[h.node], 0)}`).join(', ')} ms, ` +
          `CPU ${Object.entries(nodeCpu).map(([id, c]) => `${id} ${fmt(c * 100, 0)}%`).join(', ')}, loss ${fmt(step.lossPct, 2)}%`,
      );
      if (!step.withinTarget) break;
    }
    await Promise.all(fleets.splice(0).map((f) => f.stop()));
    // The hop viewers are done: their decoders would only eat the CPU the next steps measure.
    await Promise.all(watchers.splice(0).map((w) => w.close()));

    // 3. Largest audience on one edge, with fresh browser viewers (the last step may have inflated the others' jitter buffers).
    let edgeRamp: EdgeRampResult | undefined;
    if (flags.edgeSteps.length) {
      const maxStep = Math.max(...flags.edgeSteps);
      console.log(`\naudience on one edge: ${RAMP_EDGE} joins; light viewers ${flags.edgeSteps.join(', ')} + ${flags.edgeBrowsers} browsers, all entering and served there`);
      const rampNode = await cluster.addNode({ id: RAMP_EDGE, role: 'edge', capacity: maxStep + flags.edgeBrowsers + 10 });
      edgeRamp = await runEdgeRamp({
        browser,
        edgeUrl: rampNode.url,
        edgeId: RAMP_EDGE,
        streamId,
        steps: flags.edgeSteps,
        browsers: flags.edgeBrowsers,
        settleSec: flags.settle,
        windowSec: flags.stepWindow,
        targetP95Ms: TARGET_P95_MS,
        maxLossPct: flags.edgeLoss,
        lifetimeMs: boundMs,
      });
      await rampNode.process.stop();
    }

    // 4. Light viewers per core on edge-1.
    const edgeProbe = new MetricsProbe(cluster.node('edge-1').url);
    const counters = ['media_forwarded_packets_total'];
    let fanout: { viewers: number; connected: number; usPerPacket: number; netUsPerPacket: number; viewersPerCore: number; baseCpu: number; cpu: number; pps: number } | undefined;
    if (flags.fanout > 0) {
      console.log(`\nfan-out on edge-1: ${flags.fanout} light viewers`);
      await edgeProbe.sample(counters);
      await sleep(5000);
      const base = await edgeProbe.sample(counters);
      const { fleet, ready } = await ViewerFleet.start({
        whepUrl: `${origin}/whep/${encodeURIComponent(streamId)}?node=edge-1`,
        viewers: flags.fanout,
        processes: Math.max(1, Math.ceil(flags.fanout / 150)),
        lifetimeMs: boundMs,
      });
      teardown.add('fan-out fleet', () => fleet.kill());
      await sleep(3000);
      await edgeProbe.sample(counters);
      await sleep(flags.fanoutWindow * 1000);
      const loaded = await edgeProbe.sample(counters);
      const snapshot = await fleet.snapshot();
      await fleet.stop();
      if (base?.cpuCores !== undefined && loaded?.cpuCores !== undefined) {
        const pps = loaded.rates['media_forwarded_packets_total']!;
        const basePps = base.rates['media_forwarded_packets_total']!;
        const usPerPacket = (loaded.cpuCores * 1e6) / pps;
        const netUsPerPacket = ((loaded.cpuCores - base.cpuCores) * 1e6) / Math.max(1, pps - basePps);
        fanout = {
          viewers: flags.fanout,
          connected: snapshot.connected,
          usPerPacket,
          netUsPerPacket,
          viewersPerCore: 1e6 / (netUsPerPacket * PACKETS_PER_SECOND_AT_1MBPS),
          baseCpu: base.cpuCores,
          cpu: loaded.cpuCores,
          pps,
        };
        console.log(
          `  ${snapshot.connected}/${flags.fanout} connected (${ready.failed} failed); edge-1 ${fmt(loaded.cpuCores * 100, 0)}% of a core (before: ${fmt(base.cpuCores * 100, 0)}%), ` +
            `${fmt(pps, 0)} pkt/s → ${fmt(usPerPacket, 1)} µs/pkt, net ${fmt(netUsPerPacket, 1)} µs/pkt → ${fmt(fanout.viewersPerCore, 0)} viewers/core at 1 Mbps [target ≥ ${TARGET_VIEWERS_PER_CORE}]`,
        );
      }
    }

    const held = steps.filter((s) => s.withinTarget).pop();
    const largestAudience = held ? held.lightViewers + watchers.length : undefined;

    console.log('\nSummary');
    console.log(`  glass-to-glass p50/p95: ${hops.map((h) => `${h.hops} hop${h.hops === 1 ? '' : 's'} ${fmt(h.delay.p50, 0)}/${fmt(h.delay.p95, 0)} ms`).join(', ')}`);
    console.log(`  added per hop (p95): ${added.map((a) => `${fmt(a.p95, 1)} ms`).join(', ')}   [target ≤ ${TARGET_HOP_P95_MS} ms]`);
    if (fanout) console.log(`  light viewers per core on an edge at 1 Mbps: ${fmt(fanout.viewersPerCore, 0)}   [target ≥ ${TARGET_VIEWERS_PER_CORE}]`);
    console.log(`  largest audience spread by placement with browser p95 ≤ ${TARGET_P95_MS} ms: ${largestAudience ?? `none of the steps (first: ${flags.steps[0]})`}`);
    if (edgeRamp) console.log(`  largest audience on one edge with browser p95 ≤ ${TARGET_P95_MS} ms and loss ≤ ${flags.edgeLoss}%: ${edgeRampFigure(edgeRamp)}`);

    const jsonPath = await writeReport('cascade', {
      flags,
      targets: { hopP95Ms: TARGET_HOP_P95_MS, viewersPerCoreAt1Mbps: TARGET_VIEWERS_PER_CORE, browserP95Ms: TARGET_P95_MS },
      hops,
      addedPerHop: added,
      fanout,
      audience: { steps, largestAudience },
      edgeRamp,
      trend,
    });
    const htmlPath = await writeHtmlReport(jsonPath, {
      title: 'Cascade benchmark: origin → edge-1 → edge-2',
      subtitle: `stream ${streamId}; three Chromium viewers measured at once, one per hop count`,
      figures: [
        ...hops.map((h) => [`${h.hops} hop${h.hops === 1 ? '' : 's'} (${h.node}) p50 / p95`, `${fmt(h.delay.p50, 0)} / ${fmt(h.delay.p95, 0)} ms`] as const),
        ...added.map((a) => [`hop ${a.hop} adds (p50 / p95)`, `${fmt(a.p50, 1)} / ${fmt(a.p95, 1)} ms (target ≤ ${TARGET_HOP_P95_MS} ms p95)`] as const),
        ['light viewers per core on an edge at 1 Mbps', fanout ? `${fmt(fanout.viewersPerCore, 0)} (net ${fmt(fanout.netUsPerPacket, 1)} µs/pkt; target ≥ ${TARGET_VIEWERS_PER_CORE})` : 'not measured'],
        ['largest audience spread by placement with browser p95 ≤ 250 ms', largestAudience === undefined ? 'none of the steps' : String(largestAudience)],
        [`largest audience on one edge with browser p95 ≤ 250 ms and loss ≤ ${flags.edgeLoss}%`, edgeRamp ? edgeRampFigure(edgeRamp) : 'not measured'],
      ],
      charts: [
        lineChartSvg(
          HOPS.map((h, i) => ({ label: `${h.hops} hops`, points: trend.map((p) => [Math.round(p.t), p.p50[i] ?? null] as const) })),
          { title: 'Glass-to-glass p50 per second, by hop count', yLabel: 'ms' },
        ),
        lineChartSvg(
          HOPS.map((h) => ({ label: h.node, points: steps.map((s) => [s.lightViewers, Number.isFinite(s.browserP95[h.node]!) ? s.browserP95[h.node]! : null] as const) })),
          { title: 'Browser p95 vs audience', yLabel: 'ms', xLabel: 'light viewers', target: { value: TARGET_P95_MS, label: `${TARGET_P95_MS} ms` } },
        ),
        lineChartSvg(
          cluster.nodes.map((n) => ({ label: n.spec.id, points: steps.map((s) => [s.lightViewers, s.nodeCpu[n.spec.id] === undefined ? null : s.nodeCpu[n.spec.id]! * 100] as const) })),
          { title: 'CPU per node vs audience', yLabel: '% of a core', xLabel: 'light viewers' },
        ),
        ...(edgeRamp
          ? [
              lineChartSvg(
                Array.from({ length: edgeRamp.browsers }, (_, i) => ({
                  label: `browser ${i + 1}`,
                  points: edgeRamp.steps.map((s) => [s.lightViewers, Number.isFinite(s.browserP95[i]!) ? s.browserP95[i]! : null] as const),
                })),
                { title: `Browser p95 vs light viewers on ${RAMP_EDGE}`, yLabel: 'ms', xLabel: 'light viewers', target: { value: TARGET_P95_MS, label: `${TARGET_P95_MS} ms` } },
              ),
            ]
          : []),
      ],
      notes: ['All processes (nodes, Redis, Chromium, light viewers) share this machine: the figures include their contention.'],
    });
    console.log(`\nreports: ${jsonPath}\n         ${htmlPath}`);
  } finally {
    await teardown.run();
  }
}

function edgeRampFigure(r: EdgeRampResult): string {
  const stop = r.steps.at(-1)?.failed.length ? `stopped at ${r.steps.at(-1)!.lightViewers}: ${r.steps.at(-1)!.failed.join('; ')}` : 'every step held';
  const load = `load average ${fmt(r.loadAverage.start, 1)} → ${fmt(r.loadAverage.end, 1)}`;
  return `${r.lightViewers === undefined ? 'none (not even with no light viewers)' : `${r.lightViewers} light viewers + ${r.browsers} browsers`} (${stop}; ${load})`;
}

main().catch((err: unknown) => {
  console.error(`bench:cascade failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
