/**
 * This node's picture of the cluster: the registry as last read (refreshed by
 * each heartbeat), minus nodes seen dead since (a dropped link evicts a node
 * at once, well before its record expires), plus viewers placed since the last
 * read, so a burst of joins spreads instead of piling onto the node that
 * looked emptiest a second ago.
 */
import type { NodeRecord } from './node-record.ts';

/**
 * A node evicted locally stays out of placement until the registry has shown
 * it gone and then back (it beats again: frozen, partitioned, restarted), and
 * at most this long (a dead node's record has expired by then).
 */
const EVICTION_MS = 15_000;

export class ClusterView {
  #nodes: NodeRecord[] = [];
  #refreshedAt = 0;
  readonly #staleAfterMs: number;
  readonly #evicted = new Map<string, { at: number; startedAt: number; seenAbsent: boolean }>();
  readonly #placedSince = new Map<string, number>();

  /** @param staleAfterMs a view older than this is not trusted for placement (the registry is unreachable). */
  constructor(staleAfterMs: number) {
    this.#staleAfterMs = staleAfterMs;
  }

  /** True while the registry answered recently. */
  get healthy(): boolean {
    return Date.now() - this.#refreshedAt <= this.#staleAfterMs;
  }

  update(nodes: readonly NodeRecord[]): void {
    this.#nodes = [...nodes];
    this.#refreshedAt = Date.now();
    this.#placedSince.clear();
    const now = Date.now();
    for (const [id, e] of this.#evicted) {
      const present = nodes.some((n) => n.id === id);
      if (!present) e.seenAbsent = true;
      if (now - e.at > EVICTION_MS || (present && e.seenAbsent)) this.#evicted.delete(id);
    }
  }

  /** Live nodes, with viewers placed since the last refresh added to their load. */
  nodes(): NodeRecord[] {
    return this.#nodes
      .filter((n) => {
        const e = this.#evicted.get(n.id);
        // A restarted node (new startedAt) is welcome back at once.
        return !e || n.startedAt !== e.startedAt;
      })
      .map((n) => {
        const placed = this.#placedSince.get(n.id) ?? 0;
        return placed === 0 ? n : { ...n, load: { ...n.load, viewers: n.load.viewers + placed } };
      });
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes().find((n) => n.id === id);
  }

  notePlaced(id: string): void {
    this.#placedSince.set(id, (this.#placedSince.get(id) ?? 0) + 1);
  }

  /** Takes a node out of placement now (its link dropped: it crashed or is cut off). */
  evict(id: string): void {
    const node = this.#nodes.find((n) => n.id === id);
    this.#evicted.set(id, { at: Date.now(), startedAt: node?.startedAt ?? 0, seenAbsent: false });
  }
}
