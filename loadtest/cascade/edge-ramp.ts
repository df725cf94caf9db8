/**
 * The largest audience one edge held on this machine: light viewers (ViewerFleet) join one
 * edge in steps while a few Chromium viewers on the same edge read the frame clock. Each step
 * settles, then is measured over a window; the ramp stops at the first step where the browsers'
 * glass-to-glass p95 passes the target, the light viewers lose more than the allowed share of
 * packets (counted within the window), or fewer than 98% of them connected. The figure is the
 * last step that passed. A step with no light viewers comes first, so a machine too busy to
 * meet the target at all says so instead of reporting nothing.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { ClockWatcher } from '../browser/ClockWatcher.ts';
import { ViewerFleet } from '../light-viewer/ViewerFleet.ts';
import { addTotals, EMPTY_TOTALS, type FleetTotals } from '../light-viewer/fleet-messages.ts';
import { MetricsProbe } from '../metrics/MetricsProbe.ts';
import { fmt } from '../report/format-table.ts';
import { summarize } from '../stats/percentiles.ts';

export interface EdgeRampOptions {
  readonly browser: Browser;
  /** The edge's base URL: viewers enter there and are served there (?node=). */
  readonly edgeUrl: string;
  readonly edgeId: string;
  readonly streamId: string;
  /** Light viewers on the edge at each step, ascending. */
  readonly steps: readonly number[];
  readonly browsers: number;
  readonly settleSec: number;
  readonly windowSec: number;
  readonly targetP95Ms: number;
  readonly maxLossPct: number;
  /** Bound on each light-viewer process's life, ms. */
  readonly lifetimeMs: number;
}

export interface EdgeRampStep {
  readonly lightViewers: number;
  readonly connected: number;
  /** Per browser viewer, ms (Infinity when it measured nothing). */
  readonly browserP95: number[];
  readonly worstP95: number;
  readonly lossPct: number;
  readonly edgeCpu: number | undefined;
  readonly loadAverage: number;
  /** Empty when the step held; else what broke. */
  readonly failed: string[];
}

export interface EdgeRampResult {
  readonly steps: EdgeRampStep[];
  /** Light viewers at the last step that held (undefined: not even the first). */
  readonly lightViewers: number | undefined;
  readonly browsers: number;
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export async function runEdgeRamp(o: EdgeRampOptions): Promise<EdgeRampResult> {
  const startLoad = loadavg()[0]!;
  const watchers = await Promise.all(Array.from({ length: o.browsers }, () => ClockWatcher.open(o.browser, { baseUrl: o.edgeUrl, streamId: o.streamId, node: o.edgeId })));
  const fleets: ViewerFleet[] = [];
  const probe = new MetricsProbe(o.edgeUrl);
  const steps: EdgeRampStep[] = [];
  try {
    let running = 0;
    for (const target of [0, ...o.steps.filter((s) => s > 0)]) {
      const add = target - running;
      if (add < 0) continue;
      console.log(`  ${o.edgeId}: ${target} light viewers (+${add}) + ${o.browsers} browsers`);
      let failedJoins = 0;
      if (add > 0) {
        const { fleet, ready } = await ViewerFleet.start({
          whepUrl: `${o.edgeUrl}/whep/${encodeURIComponent(o.streamId)}?node=${encodeURIComponent(o.edgeId)}`,
          viewers: add,
          processes: Math.max(1, Math.ceil(add / 150)),
          lifetimeMs: o.lifetimeMs,
        });
        fleets.push(fleet);
        failedJoins = ready.failed;
      }
      running = target;
      await sleep((target === 0 ? 4 : o.settleSec) * 1000);
      for (const w of watchers) await w.poll(); // the settle's samples are not the step's
      await probe.sample();
      const start = await totals(fleets);
      const delays = watchers.map(() => [] as number[]);
      const t0 = performance.now();
      while (performance.now() - t0 < o.windowSec * 1000) {
        await sleep(1000);
        (await Promise.all(watchers.map((w) => w.poll()))).forEach((s, i) => delays[i]!.push(...s.delays));
      }
      const end = await totals(fleets);
      const edgeCpu = (await probe.sample())?.cpuCores;
      const received = end.videoPackets + end.audioPackets - (start.videoPackets + start.audioPackets);
      const lost = end.videoLost + end.audioLost - (start.videoLost + start.audioLost);
      const lossPct = received + lost > 0 ? (lost / (received + lost)) * 100 : 0;
      const browserP95 = delays.map((d) => (d.length ? summarize(d).p95 : Number.POSITIVE_INFINITY));
      const worstP95 = Math.max(...browserP95);
      const failed = [
        ...(worstP95 > o.targetP95Ms ? [`browser p95 ${fmt(worstP95, 0)} ms > ${o.targetP95Ms} ms`] : []),
        ...(lossPct > o.maxLossPct ? [`light-viewer loss ${fmt(lossPct, 2)}% > ${o.maxLossPct}%`] : []),
        ...(end.connected < target * 0.98 ? [`only ${end.connected}/${target} light viewers connected (${failedJoins} failed to join)`] : []),
      ];
      const step: EdgeRampStep = { lightViewers: target, connected: end.connected, browserP95, worstP95, lossPct, edgeCpu, loadAverage: loadavg()[0]!, failed };
      steps.push(step);
      console.log(
        `    ${end.connected}/${target} connected, browser p95 ${browserP95.map((p) => fmt(p, 0)).join(' / ')} ms, loss ${fmt(lossPct, 2)}%, ` +
          `${o.edgeId} CPU ${edgeCpu === undefined ? '–' : `${fmt(edgeCpu * 100, 0)}%`}, load ${fmt(step.loadAverage, 1)}${failed.length ? `  → stop: ${failed.join('; ')}` : ''}`,
      );
      if (failed.length) break;
    }
  } finally {
    await Promise.all(fleets.map((f) => f.stop().catch(() => f.kill())));
    await Promise.all(watchers.map((w) => w.close()));
  }
  const held = steps.filter((s) => s.failed.length === 0).pop();
  return { steps, lightViewers: held?.lightViewers, browsers: o.browsers, loadAverage: { start: startLoad, end: loadavg()[0]! } };
}

async function totals(fleets: readonly ViewerFleet[]): Promise<FleetTotals> {
  return (await Promise.all(fleets.map((f) => f.snapshot()))).reduce(addTotals, EMPTY_TOTALS);
}
