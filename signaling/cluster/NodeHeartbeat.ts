/**
 * Publishes this node's record every interval with a TTL of a few intervals,
 * and reads everyone's back into the ClusterView. A node that stops (crash,
 * SIGKILL, partition) stops refreshing, and its record expires: that is the
 * whole membership protocol. While the registry is unreachable the failure is
 * logged once per LOG_EVERY_MS, the view goes stale (placement refuses), and
 * the first successful beat after recovery says so.
 */
import { createLogger } from '../logger.ts';
import type { ClusterStore } from './cluster-store.ts';
import type { ClusterView } from './ClusterView.ts';
import type { NodeRecord } from './node-record.ts';

const logger = createLogger('signaling:cluster:NodeHeartbeat');
const LOG_EVERY_MS = 10_000;

export interface NodeHeartbeatOptions {
  readonly store: ClusterStore;
  readonly view: ClusterView;
  readonly intervalMs: number;
  readonly ttlMs: number;
  /** Builds the current record (load sampled now). */
  readonly record: () => NodeRecord;
  /** Called with every successful read of the registry. */
  readonly onRefresh?: (nodes: readonly NodeRecord[]) => void;
}

export class NodeHeartbeat {
  readonly #options: NodeHeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #failingSince = 0;
  #lastLogMs = 0;
  #stopped = false;

  constructor(options: NodeHeartbeatOptions) {
    this.#options = options;
  }

  /** Beats once (so the node is placeable when this resolves, if the registry is up), then every interval. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Asks for a beat within 50 ms (a stream went live or ended: others should know before the next tick). */
  beatSoon(): void {
    if (this.#soon || this.#stopped) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.beat();
    }, 50);
    this.#soon.unref();
  }

  /** One put + list; concurrent calls share the beat in flight. */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  /** Stops beating and removes the record, so placement forgets this node now rather than at expiry. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    await this.#beating;
    const id = this.#options.record().id;
    await this.#options.store.removeNode(id).catch(() => undefined);
  }

  async #beat(): Promise<void> {
    if (this.#stopped) return;
    const { store, view, ttlMs } = this.#options;
    try {
      await store.putNode(this.#options.record(), ttlMs);
      const nodes = await store.listNodes();
      view.update(nodes);
      this.#options.onRefresh?.(nodes);
      if (this.#failingSince) {
        logger.info(`registry reachable again after ${Math.round((Date.now() - this.#failingSince) / 1000)} s`);
        this.#failingSince = 0;
      }
    } catch (err) {
      const now = Date.now();
      this.#failingSince ||= now;
      if (now - this.#lastLogMs >= LOG_EVERY_MS) {
        this.#lastLogMs = now;
        logger.warn(`registry (${store.kind}) unreachable for ${Math.round((now - this.#failingSince) / 1000)} s: ${err instanceof Error ? err.message : String(err)}; serving current sessions, refusing new placements`);
      }
    }
  }
}
