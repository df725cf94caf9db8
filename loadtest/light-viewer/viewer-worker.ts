/**
 * Child-process entry that runs a batch of LightViewers for ViewerFleet. Protocol: "start" →
 * connects the viewers (bounded concurrency) → "ready"; "snapshot" → summed counters; "stop" →
 * closes every viewer, sends per-viewer reports and exits. Bounded by the start message's lifetime.
 */
import { LightViewer } from './LightViewer.ts';
import { EMPTY_TOTALS, type FleetCommand, type FleetEvent, type FleetStart, type FleetTotals } from './fleet-messages.ts';
import { boundLifetime, onParentMessage, sendToParent } from '../process/parent-channel.ts';

const viewers: LightViewer[] = [];
let started = false;

async function closeAll(): Promise<void> {
  await runBounded(viewers, 16, (v) => v.close());
}

async function start(cmd: FleetStart): Promise<void> {
  boundLifetime(cmd.lifetimeMs, closeAll);
  for (let i = 0; i < cmd.viewers; i++) viewers.push(new LightViewer({ whepUrl: cmd.whepUrl, connectTimeoutMs: cmd.connectTimeoutMs }));
  const errors = new Set<string>();
  let failed = 0;
  await runBounded(viewers, cmd.connectConcurrency, async (v) => {
    try {
      await v.connect();
    } catch (err) {
      failed++;
      if (errors.size < 5) errors.add(err instanceof Error ? err.message : String(err));
    }
  });
  await sendToParent<FleetEvent>({ type: 'ready', connected: viewers.length - failed, failed, errors: [...errors] });
}

function totals(): FleetTotals {
  let t: FleetTotals = { ...EMPTY_TOTALS, viewers: viewers.length };
  for (const v of viewers) {
    const c = v.counters();
    t = {
      ...t,
      connected: t.connected + (c.state === 'connected' ? 1 : 0),
      videoPackets: t.videoPackets + c.video.packets,
      videoBytes: t.videoBytes + c.video.bytes,
      videoLost: t.videoLost + c.video.lost,
      audioPackets: t.audioPackets + c.audio.packets,
      audioBytes: t.audioBytes + c.audio.bytes,
      audioLost: t.audioLost + c.audio.lost,
      videoJitterMsSum: t.videoJitterMsSum + c.video.jitterMs,
    };
  }
  return t;
}

async function stop(): Promise<void> {
  // Reports are taken before closing so the counters describe the live session.
  const reports = viewers.map((v) => v.report());
  await closeAll();
  await sendToParent<FleetEvent>({ type: 'report', viewers: reports });
  process.exit(0);
}

/** Runs fn over items with at most `limit` in flight. */
async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

onParentMessage<FleetCommand>((cmd) => {
  if (cmd.type === 'start') {
    if (started) return;
    started = true;
    void start(cmd);
  } else if (cmd.type === 'snapshot') {
    void sendToParent<FleetEvent>({ type: 'snapshot', totals: totals() });
  } else {
    void stop();
  }
});
