/**
 * The registry in this process's memory: what the one-box platform uses (one
 * node, no Redis), and what unit tests use to check placement and expiry
 * without a server. Nodes in other processes cannot see it.
 */
import type { ClusterStore } from './cluster-store.ts';
import type { NodeRecord } from './node-record.ts';

export class MemoryClusterStore implements ClusterStore {
  readonly kind = 'memory';
  readonly #records = new Map<string, { record: NodeRecord; expiresAt: number }>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async putNode(record: NodeRecord, ttlMs: number): Promise<void> {
    this.#records.set(record.id, { record, expiresAt: this.#now() + ttlMs });
  }

  async removeNode(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const now = this.#now();
    const out: NodeRecord[] = [];
    for (const [id, entry] of this.#records) {
      if (entry.expiresAt <= now) this.#records.delete(id);
      else out.push(entry.record);
    }
    return out;
  }

  async close(): Promise<void> {
    this.#records.clear();
  }
}
