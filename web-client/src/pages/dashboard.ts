/**
 * Cluster dashboard (/dashboard): polls `GET /api/cluster` every 2 s and plots,
 * for the whole cluster, viewers, media egress and the glass-to-glass delay
 * that watch pages report, plus per-node CPU and a table of the nodes. The
 * history lives in the page (10 minutes), so it starts when the page opens.
 */
import { ClusterSeries, type ClusterSnapshot, type NodeSnapshot } from '../dashboard/ClusterSeries.ts';
import { drawLineChart, type Series } from '../dashboard/line-chart.ts';
import { byId, h, setText } from '../ui/element.ts';

const POLL_MS = 2000;
const WINDOW_MS = 10 * 60_000;
const PALETTE = ['#9147ff', '#00c853', '#ffb300', '#29b6f6', '#ef5350', '#ab47bc', '#26a69a', '#d4e157'];

const series = new ClusterSeries(WINDOW_MS);
const ui = {
  status: byId('dash-status'),
  viewers: byId<HTMLCanvasElement>('chart-viewers'),
  egress: byId<HTMLCanvasElement>('chart-egress'),
  delay: byId<HTMLCanvasElement>('chart-delay'),
  cpu: byId<HTMLCanvasElement>('chart-cpu'),
  nodes: byId<HTMLTableSectionElement>('dash-nodes'),
};
// Read by tests: the last snapshot and how many polls succeeded.
const hook = { polls: 0, last: null as ClusterSnapshot | null };
(window as unknown as Record<string, unknown>)['__dashboard'] = hook;

async function poll(): Promise<void> {
  try {
    const res = await fetch('/api/cluster', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const snapshot = (await res.json()) as ClusterSnapshot;
    hook.polls++;
    hook.last = snapshot;
    const point = series.add(snapshot);
    setText(
      ui.status,
      `${snapshot.nodes.length} node${snapshot.nodes.length === 1 ? '' : 's'} · ${point.viewers} viewers · ${point.egressMbps.toFixed(1)} Mbps out` +
        (snapshot.healthy ? '' : ' · registry unreachable: placement paused'),
    );
    render(snapshot.nodes);
  } catch (err) {
    setText(ui.status, `cannot read /api/cluster (${(err as Error).message}); retrying`);
  }
}

function render(nodes: readonly NodeSnapshot[]): void {
  const pts = series.points;
  const line = (label: string, color: string, read: (p: (typeof pts)[number]) => number | null): Series => ({
    label,
    color,
    points: pts.map((p) => ({ t: p.at, v: read(p) })),
  });
  drawLineChart(ui.viewers, [line('viewers', PALETTE[0]!, (p) => p.viewers)], 'viewers');
  drawLineChart(ui.egress, [line('egress', PALETTE[1]!, (p) => p.egressMbps)], 'Mbps');
  drawLineChart(ui.delay, [line('p50', PALETTE[3]!, (p) => p.delayP50), line('p95 (worst node)', PALETTE[4]!, (p) => p.delayP95)], 'ms');
  const ids = [...new Set(pts.flatMap((p) => Object.keys(p.cpu)))].sort();
  drawLineChart(
    ui.cpu,
    ids.map((id, i) => line(id, PALETTE[i % PALETTE.length]!, (p) => (p.cpu[id] === undefined ? null : p.cpu[id]! * 100))),
    '% of a core',
  );
  ui.nodes.replaceChildren(
    ...[...nodes]
      .sort((a, b) => (a.role === b.role ? a.id.localeCompare(b.id) : a.role === 'origin' ? -1 : 1))
      .map((n) =>
        h(
          'tr',
          {},
          h('td', { text: n.id }),
          h('td', { text: n.role + (n.parent ? ` ← ${n.parent}` : '') }),
          h('td', { text: `${n.load.viewers} / ${n.capacity}` }),
          h('td', { text: `${Math.round(n.load.cpu * 100)}%` }),
          h('td', { text: `${(n.load.egressBps / 1e6).toFixed(1)}` }),
          h('td', { text: `${n.load.pipesIn} / ${n.load.pipesOut}` }),
          h('td', { text: n.delay.p50 === null ? '–' : `${Math.round(n.delay.p50)} / ${Math.round(n.delay.p95 ?? 0)}` }),
          h('td', { text: Object.keys(n.streams).length ? Object.entries(n.streams).map(([id, s]) => `${id}${s.origin ? '*' : ''}:${s.viewers}`).join(' ') : '–' }),
        ),
      ),
  );
}

void poll();
setInterval(() => void poll(), POLL_MS);
window.addEventListener('resize', () => hook.last && render(hook.last.nodes));
