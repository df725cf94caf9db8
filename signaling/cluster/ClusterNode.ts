/**
 * One node of a cascaded SFU cluster, assembled: registry + heartbeat,
 * placement, the node-to-node API, pipes in both directions, links, and the
 * viewers it serves for other entry nodes. platform.ts creates it when
 * CLUSTER_ROLE is origin or edge; the one-box platform has none.
 *
 *   origin: takes publishers; pipes its streams to edges that ask.
 *   edge:   serves viewers; pulls each stream once (from its parent or the
 *           origin) and re-serves it to its viewers and to child edges.
 * Any node is an entry: it places the viewers whose WHEP or /ws request it gets.
 */
import { isIPv4 } from 'node:net';
import type { Router } from '../../sfu/Router.ts';
import type { Sfu } from '../../sfu/Sfu.ts';
import type { TemplatedApp } from 'uWebSockets.js';
import { InvalidStateError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { PlatformMetrics } from '../metrics/PlatformMetrics.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import type { ClusterConfig } from './cluster-config.ts';
import { registerClusterRoutes } from './cluster-routes.ts';
import type { ClusterStore } from './cluster-store.ts';
import { ClusterClient } from './ClusterClient.ts';
import { ClusterPlacement } from './ClusterPlacement.ts';
import { ClusterView } from './ClusterView.ts';
import { LinkHub } from './LinkHub.ts';
import { MemoryClusterStore } from './MemoryClusterStore.ts';
import { NodeHeartbeat } from './NodeHeartbeat.ts';
import { NodeLinks } from './NodeLinks.ts';
import type { NodeRecord, NodeRole } from './node-record.ts';
import { PipeHub } from './PipeHub.ts';
import type { PipeSettings } from './pipe-settings.ts';
import { RedisClusterStore } from './RedisClusterStore.ts';
import { RelayManager } from './RelayManager.ts';
import { ServedViewers } from './ServedViewers.ts';
import { StreamMirror } from './StreamMirror.ts';

const logger = createLogger('signaling:cluster:ClusterNode');
const REDIS_READY_TIMEOUT_MS = 5000;

export interface ClusterNodeDeps {
  readonly sfu: Sfu;
  readonly metrics: PlatformMetrics;
  /** Streams published on other nodes are mirrored here, so viewers can enter through this node. */
  readonly streams: StreamRegistry;
  readonly cluster: ClusterConfig;
  /** HTTP listen host (HOST) and announced address, to derive the node's URL and pipe address. */
  readonly host: string;
  readonly announcedIp: string | undefined;
  readonly keyframeThrottleMs: number;
  /** Where viewers go when no node has room (the HLS playlist), if anywhere. */
  readonly overflowUrl: ((streamId: string) => string | undefined) | undefined;
  /** Session watchdog settings for viewers served for other nodes. */
  readonly graceMs: number;
  readonly connectTimeoutMs: number;
  /** How long a stream waits for a dropped publisher; relays keep their viewers that long while the source is away. */
  readonly publisherGraceMs: number;
}

export class ClusterNode {
  readonly id: string;
  readonly role: NodeRole;
  readonly placement: ClusterPlacement;
  readonly view: ClusterView;
  readonly #deps: ClusterNodeDeps;
  readonly #store: ClusterStore;
  readonly #client: ClusterClient;
  readonly #relays: RelayManager | undefined;
  readonly #pipes: PipeHub;
  readonly #linkHub: LinkHub;
  readonly #served: ServedViewers;
  readonly #links: NodeLinks;
  readonly #mirror: StreamMirror;
  readonly #startedAt = Date.now();
  #heartbeat: NodeHeartbeat | undefined;
  #sessions: SessionManager | undefined;
  /** Viewer sessions other nodes signal, per stream. */
  #remoteEntries = new Map<string, number>();
  #url = '';
  #closed = false;

  constructor(deps: ClusterNodeDeps) {
    const { cluster, sfu } = deps;
    if (cluster.role === 'standalone') throw new TypeError('ClusterNode: a standalone platform has no cluster node');
    this.#deps = deps;
    this.id = cluster.nodeId;
    this.role = cluster.role;
    this.#store = cluster.redisUrl ? new RedisClusterStore({ url: cluster.redisUrl, prefix: `${cluster.name}:cluster` }) : new MemoryClusterStore();
    if (!cluster.redisUrl) logger.warn('no REDIS_URL: the node registry lives in this process only, so no other node can join');
    this.view = new ClusterView(cluster.nodeTtlMs + cluster.heartbeatMs);
    this.#client = new ClusterClient({ secret: cluster.secret, nodeId: this.id });
    const settings: PipeSettings = {
      listenIp: deps.host,
      announcedIp: cluster.pipeIp ?? deps.announcedIp ?? sfu.candidateAddress,
      portRange: cluster.pipePorts,
      keyframeThrottleMs: deps.keyframeThrottleMs,
    };
    this.#relays =
      cluster.role === 'edge'
        ? new RelayManager({
            sfu,
            view: this.view,
            client: this.#client,
            settings,
            self: { id: this.id, parent: cluster.parent ?? null },
            idleMs: cluster.relayIdleMs,
            childPipes: (streamId) => this.#pipes.countFor(streamId),
            onChange: () => this.#heartbeat?.beatSoon(),
            // A little over the grace: the origin's own timer decides, the edge only must not give up first.
            sourceWaitMs: deps.publisherGraceMs + 5000,
            streamEnded: (streamId) => deps.streams.get(streamId)?.state === 'ended',
          })
        : undefined;
    this.#pipes = new PipeHub({ sfu, settings, relays: this.#relays, selfId: this.id });
    this.#linkHub = new LinkHub(this.id);
    this.#served = new ServedViewers({
      links: this.#linkHub,
      routerFor: (streamId) => this.#routerFor(streamId),
      graceMs: deps.graceMs,
      connectTimeoutMs: deps.connectTimeoutMs,
      orphanGraceMs: 10_000,
    });
    this.#mirror = new StreamMirror({ streams: deps.streams, selfId: this.id });
    this.#links = new NodeLinks({
      client: this.#client,
      onDown: (nodeId) => {
        this.view.evict(nodeId);
        // Other entry nodes stop placing there too; a node that is in fact alive re-registers on its next beat.
        this.#store.removeNode(nodeId).catch(() => undefined);
      },
    });
    this.placement = new ClusterPlacement({
      selfId: this.id,
      view: this.view,
      client: this.#client,
      links: this.#links,
      relay: this.#relays ? (streamId) => this.#relays!.ensure(streamId) : undefined,
      overflowUrl: deps.overflowUrl,
      onPlaced: (_node, self) => deps.metrics.notePlacement(self),
    });
    deps.metrics.setPipes({
      out: () => this.#pipes.senders.map((s) => s.transport),
      in: () => (this.#relays?.relays ?? []).map((r) => r.receiver.transport),
    });
    // Streams going live or ending change what this node carries: tell the others now, not at the next tick.
    sfu.on('newrouter', (router) => {
      router.on('newproducer', () => this.#heartbeat?.beatSoon());
      router.once('close', () => this.#heartbeat?.beatSoon());
    });
  }

  /** Lets the heartbeat report this node's viewer sessions, and the sum of the others' reach its counts. */
  attachSessions(sessions: SessionManager): void {
    this.#sessions = sessions;
  }

  /** Viewers of a stream that entered through other nodes (for the cluster-wide count). */
  remoteViewers(streamId: string): number {
    return this.#remoteEntries.get(streamId) ?? 0;
  }

  /** Base URL other nodes use for this node's cluster API (known after start()). */
  get url(): string {
    return this.#url;
  }

  registerRoutes(app: TemplatedApp): void {
    registerClusterRoutes(app, {
      secret: this.#deps.cluster.secret,
      links: this.#linkHub,
      pipes: this.#pipes,
      served: this.#served,
      view: this.view,
      selfId: this.id,
    });
  }

  /** Joins the cluster once the HTTP port is known: waits for Redis, then heartbeats. */
  async start(port: number): Promise<void> {
    const { cluster, host, announcedIp } = this.#deps;
    this.#url = cluster.internalUrl ?? `http://${advertisedHost(host, announcedIp, this.#deps.sfu.candidateAddress)}:${port}`;
    if (this.#store instanceof RedisClusterStore) await this.#store.ready(REDIS_READY_TIMEOUT_MS);
    this.#heartbeat = new NodeHeartbeat({
      store: this.#store,
      view: this.view,
      intervalMs: cluster.heartbeatMs,
      ttlMs: cluster.nodeTtlMs,
      record: () => this.#record(),
      onRefresh: (nodes) => {
        this.#mirror.sync(nodes);
        this.#sumEntries(nodes);
      },
    });
    await this.#heartbeat.start();
    logger.info(`joined [node:${this.id}] [role:${this.role}] [url:${this.#url}] [registry:${this.#store.kind}] [parent:${cluster.parent ?? '-'}]`);
  }

  /** Leaves the registry and closes pipes, links and served viewers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#heartbeat?.stop();
    this.#links.closeAll();
    this.#served.closeAll('node shutting down');
    this.#linkHub.close();
    this.#pipes.closeAll('node shutting down');
    this.#relays?.closeAll('node shutting down');
    await this.#store.close();
  }

  #sumEntries(nodes: readonly NodeRecord[]): void {
    const sums = new Map<string, number>();
    for (const node of nodes) {
      if (node.id === this.id) continue;
      for (const [id, n] of Object.entries(node.entries)) sums.set(id, (sums.get(id) ?? 0) + n);
    }
    const changed = [...new Set([...sums.keys(), ...this.#remoteEntries.keys()])].filter((id) => sums.get(id) !== this.#remoteEntries.get(id));
    this.#remoteEntries = sums;
    for (const id of changed) this.#sessions?.refreshViewerCount(id);
  }

  #routerFor(streamId: string): Promise<Router> {
    const router = this.#deps.sfu.getRouter(streamId);
    if (router && !router.closed && (router.publisher || router.pipe)) return Promise.resolve(router);
    if (this.#relays) return this.#relays.ensure(streamId);
    return Promise.reject(new InvalidStateError(`stream "${streamId}" is not live on node ${this.id}`, 'not_live'));
  }

  #entries(): Record<string, number> {
    const sessions = this.#sessions;
    if (!sessions) return {};
    const out: Record<string, number> = {};
    for (const stream of this.#deps.streams.list(['live'])) {
      const n = sessions.viewerSessions(stream.id);
      if (n > 0) out[stream.id] = n;
    }
    return out;
  }

  #record(): NodeRecord {
    const { cluster, metrics } = this.#deps;
    const sampler = metrics.sampler;
    sampler.sample();
    const g = sampler.gauges;
    return {
      id: this.id,
      role: this.role,
      url: this.#url,
      parent: cluster.parent ?? null,
      capacity: cluster.capacity,
      load: { viewers: g.viewerTransports, cpu: g.cpuCores, egressBps: g.egressBps, pipesOut: g.pipesOut, pipesIn: g.pipesIn },
      streams: sampler.streams,
      entries: this.#entries(),
      delay: metrics.delays.summary(),
      startedAt: this.#startedAt,
      heartbeatAt: Date.now(),
    };
  }
}

function advertisedHost(host: string, announcedIp: string | undefined, candidate: string): string {
  if (announcedIp) return announcedIp;
  if (host && host !== '0.0.0.0' && host !== '::' && isIPv4(host)) return host;
  return candidate;
}
