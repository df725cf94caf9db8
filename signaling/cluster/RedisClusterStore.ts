/**
 * The node registry in Redis: one key per node holding its JSON record with a
 * PX expiry (the heartbeat refreshes it), plus a set indexing the node ids so
 * a reader needs two round trips, not a SCAN. A member whose key expired is
 * pruned from the set by whoever lists next.
 *
 * Commands fail fast while Redis is unreachable (no offline queue, one retry),
 * so callers learn at once and can refuse new placements instead of hanging;
 * ioredis keeps reconnecting in the background and the store recovers by itself.
 */
import { Redis } from 'ioredis';
import type { ClusterStore } from './cluster-store.ts';
import { parseNodeRecord, type NodeRecord } from './node-record.ts';

export interface RedisClusterStoreOptions {
  readonly url: string;
  /** Key prefix, so several clusters can share one Redis. */
  readonly prefix: string;
}

export class RedisClusterStore implements ClusterStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisClusterStoreOptions) {
    this.#prefix = options.prefix;
    this.#redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Reconnect quickly at first, then every 2 s: recovery when Redis returns is within one interval.
      retryStrategy: (times) => Math.min(100 * times, 2000),
      lazyConnect: false,
    });
    // Connection errors surface on each command; without a listener ioredis prints every retry.
    this.#redis.on('error', () => undefined);
  }

  /** Resolves once connected; rejects after timeoutMs (e.g. a wrong REDIS_URL at boot). */
  async ready(timeoutMs: number): Promise<void> {
    if (this.#redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#redis.off('ready', onReady);
        reject(new Error(`Redis did not answer within ${timeoutMs} ms; check REDIS_URL and that redis-server runs`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#redis.once('ready', onReady);
    });
  }

  async putNode(record: NodeRecord, ttlMs: number): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#nodeKey(record.id), JSON.stringify(record), 'PX', ttlMs)
      .sadd(this.#indexKey(), record.id)
      .exec();
  }

  async removeNode(id: string): Promise<void> {
    await this.#redis.multi().del(this.#nodeKey(id)).srem(this.#indexKey(), id).exec();
  }

  async listNodes(): Promise<NodeRecord[]> {
    const ids = await this.#redis.smembers(this.#indexKey());
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(...ids.map((id) => this.#nodeKey(id)));
    const out: NodeRecord[] = [];
    const expired: string[] = [];
    values.forEach((value, i) => {
      const record = parseNodeRecord(value);
      if (record) out.push(record);
      else if (value === null) expired.push(ids[i]!);
    });
    if (expired.length > 0) await this.#redis.srem(this.#indexKey(), ...expired);
    return out;
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  #nodeKey(id: string): string {
    return `${this.#prefix}:node:${id}`;
  }

  #indexKey(): string {
    return `${this.#prefix}:nodes`;
  }
}
