/**
 * The node registry the cluster coordinates through: each node puts its own
 * record with a time to live and reads everyone's. Redis in a cluster
 * (RedisClusterStore); an in-process map for the one-box default and unit
 * tests (MemoryClusterStore). No membership protocol of our own: a node is a
 * member exactly while its record has not expired.
 */
import type { NodeRecord } from './node-record.ts';

export interface ClusterStore {
  readonly kind: 'redis' | 'memory';
  /** Writes (or refreshes) a node's record; it disappears after ttlMs without a refresh. */
  putNode(record: NodeRecord, ttlMs: number): Promise<void>;
  /** Removes a node's record at once (it shut down, or another node saw it die). */
  removeNode(id: string): Promise<void>;
  /** Every record that has not expired. */
  listNodes(): Promise<NodeRecord[]>;
  close(): Promise<void>;
}
