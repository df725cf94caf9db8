/**
 * The dashboard's history: one point per poll of `GET /api/cluster`, summed
 * over the nodes (viewers, egress) or combined (delay: p50 weighted by each
 * node's samples, p95 as the worst node's), kept for a fixed window.
 */
export interface NodeSnapshot {
  readonly id: string;
  readonly role: string;
  readonly parent: string | null;
  readonly capacity: number;
  readonly load: { viewers: number; cpu: number; egressBps: number; pipesOut: number; pipesIn: number };
  readonly streams: Record<string, { viewers: number; origin: boolean }>;
  readonly delay: { p50: number | null; p95: number | null; samples: number };
}

export interface ClusterSnapshot {
  readonly self: string;
  readonly healthy: boolean;
  readonly at: number;
  readonly nodes: readonly NodeSnapshot[];
}

export interface ClusterPoint {
  readonly at: number;
  readonly viewers: number;
  readonly egressMbps: number;
  readonly delayP50: number | null;
  readonly delayP95: number | null;
  readonly cpu: Record<string, number>;
}

export class ClusterSeries {
  readonly #windowMs: number;
  readonly points: ClusterPoint[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  add(snapshot: ClusterSnapshot): ClusterPoint {
    const nodes = snapshot.nodes;
    const sampled = nodes.filter((n) => n.delay.samples > 0 && n.delay.p50 !== null);
    const samples = sampled.reduce((s, n) => s + n.delay.samples, 0);
    const point: ClusterPoint = {
      at: snapshot.at,
      viewers: nodes.reduce((s, n) => s + n.load.viewers, 0),
      egressMbps: nodes.reduce((s, n) => s + n.load.egressBps, 0) / 1e6,
      delayP50: samples > 0 ? sampled.reduce((s, n) => s + n.delay.p50! * n.delay.samples, 0) / samples : null,
      delayP95: sampled.length > 0 ? Math.max(...sampled.map((n) => n.delay.p95 ?? 0)) : null,
      cpu: Object.fromEntries(nodes.map((n) => [n.id, n.load.cpu])),
    };
    this.points.push(point);
    while (this.points.length > 0 && this.points[0]!.at < snapshot.at - this.#windowMs) this.points.shift();
    return point;
  }
}
