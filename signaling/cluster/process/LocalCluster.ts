/**
 * A whole cluster on this machine: Redis (started here unless a URL is given)
 * plus one process per node, each with its own HTTP port, UDP range and data
 * directory. Used by `npm run start:cluster`, the cluster tests and
 * bench:cascade. stop() ends every process it started.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { NodeProcess } from './NodeProcess.ts';
import { RedisServer } from './RedisServer.ts';

export interface NodeSpec {
  readonly id: string;
  readonly role: 'origin' | 'edge';
  /** The node an edge pulls from (a tier-2 edge); default the stream's origin. */
  readonly parent?: string;
  readonly capacity?: number;
  /** Extra environment for this node. */
  readonly env?: Record<string, string>;
}

export interface LocalClusterOptions {
  readonly nodes: readonly NodeSpec[];
  /** Use this Redis instead of starting one. */
  readonly redisUrl?: string;
  /** Port for a Redis started here (default: a free one). */
  readonly redisPort?: number;
  /** HTTP port of the first node; the next nodes take the following ports. Default: free ports. */
  readonly basePort?: number;
  /** First UDP port; each node takes `rtcPortsPerNode` from there. */
  readonly rtcBasePort: number;
  readonly rtcPortsPerNode: number;
  /** Parent folder of each node's DATA_DIR. */
  readonly dataDir: string;
  readonly secret?: string;
  /** Environment for every node (e.g. LOG_LEVEL, HLS, CLUSTER_HEARTBEAT_MS). */
  readonly env?: Record<string, string>;
  /** Bound on every process's life (tests, benchmarks). */
  readonly maxLifetimeSeconds?: number;
  readonly echo?: boolean;
  readonly readyTimeoutMs?: number;
}

export interface RunningNode {
  readonly spec: NodeSpec;
  readonly process: NodeProcess;
  readonly url: string;
  readonly rtcPorts: readonly [number, number];
}

export class LocalCluster {
  readonly redisUrl: string;
  readonly secret: string;
  #redis: RedisServer | undefined;
  readonly #options: LocalClusterOptions;
  readonly #nodes = new Map<string, RunningNode>();
  #nextIndex = 0;

  private constructor(options: LocalClusterOptions, redisUrl: string, redis: RedisServer | undefined, secret: string) {
    this.#options = options;
    this.redisUrl = redisUrl;
    this.#redis = redis;
    this.secret = secret;
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const redis = options.redisUrl
      ? undefined
      : await RedisServer.start({ port: options.redisPort ?? (await freePort()), maxLifetimeSeconds: options.maxLifetimeSeconds });
    const secret = options.secret ?? randomBytes(24).toString('base64url');
    const cluster = new LocalCluster(options, options.redisUrl ?? redis!.url, redis, secret);
    try {
      await Promise.all(options.nodes.map((spec) => cluster.addNode(spec)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get nodes(): RunningNode[] {
    return [...this.#nodes.values()];
  }

  get redis(): RedisServer | undefined {
    return this.#redis;
  }

  node(id: string): RunningNode {
    const node = this.#nodes.get(id);
    if (!node) throw new Error(`no node "${id}" in this cluster (have ${[...this.#nodes.keys()].join(', ')})`);
    return node;
  }

  /** Starts one more node and waits until it is in the registry. */
  async addNode(spec: NodeSpec): Promise<RunningNode> {
    const o = this.#options;
    const index = this.#nextIndex++;
    const port = o.basePort !== undefined ? o.basePort + index : await freePort();
    const rtcMin = o.rtcBasePort + index * o.rtcPortsPerNode;
    const rtcPorts: [number, number] = [rtcMin, rtcMin + o.rtcPortsPerNode - 1];
    const dataDir = join(o.dataDir, spec.id);
    mkdirSync(dataDir, { recursive: true });
    const process = new NodeProcess({
      name: spec.id,
      port,
      maxLifetimeSeconds: o.maxLifetimeSeconds,
      echo: o.echo,
      env: {
        HOST: '127.0.0.1',
        ...o.env,
        DATA_DIR: dataDir,
        RTC_MIN_PORT: String(rtcPorts[0]),
        RTC_MAX_PORT: String(rtcPorts[1]),
        CLUSTER_ROLE: spec.role,
        CLUSTER_NODE_ID: spec.id,
        CLUSTER_SECRET: this.secret,
        REDIS_URL: this.redisUrl,
        ...(spec.parent ? { CLUSTER_PARENT: spec.parent } : {}),
        ...(spec.capacity !== undefined ? { CLUSTER_CAPACITY: String(spec.capacity) } : {}),
        ...spec.env,
      },
    });
    const running: RunningNode = { spec, process, url: process.url, rtcPorts };
    this.#nodes.set(spec.id, running);
    await process.waitReady(spec.id, o.readyTimeoutMs ?? 30_000);
    return running;
  }

  /** Stops the Redis started here (outage tests); startRedis() brings it back on the same port, empty. */
  async stopRedis(): Promise<void> {
    await this.#redis?.stop();
  }

  async startRedis(): Promise<void> {
    if (!this.#redis) throw new Error('this cluster uses an outside Redis');
    this.#redis = await RedisServer.start({ port: this.#redis.port, maxLifetimeSeconds: this.#options.maxLifetimeSeconds });
  }

  /** Which node a UDP port (from an SDP candidate) belongs to. */
  nodeForRtcPort(port: number): string | undefined {
    for (const n of this.#nodes.values()) if (port >= n.rtcPorts[0] && port <= n.rtcPorts[1]) return n.spec.id;
    return undefined;
  }

  /** Stops every node (SIGTERM, bounded) and the Redis started here. */
  async stop(): Promise<void> {
    await Promise.all([...this.#nodes.values()].map((n) => n.process.stop('SIGTERM').catch(() => undefined)));
    await this.#redis?.stop();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
