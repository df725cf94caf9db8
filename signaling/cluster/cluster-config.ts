/** The cluster slice of the platform config (parsed from CLUSTER_* and REDIS_URL in signaling/config.ts). */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { MIN_CLUSTER_SECRET_LENGTH } from './cluster-secret.ts';

export type ClusterRole = 'standalone' | 'origin' | 'edge';

export interface ClusterConfig {
  /** 'standalone' (the one-box default): no cluster, no Redis. */
  readonly role: ClusterRole;
  /** Unique per node; shown on the dashboard and in metrics. */
  readonly nodeId: string;
  /** The registry; without it an origin/edge keeps the registry in its own memory (a one-node cluster). */
  readonly redisUrl: string | undefined;
  /** Key prefix in Redis, so several clusters can share one server. */
  readonly name: string;
  /** Shared by all nodes; required unless standalone. */
  readonly secret: string;
  /** Node id this edge pulls its streams from (a tier-2 edge); undefined: the stream's origin. */
  readonly parent: string | undefined;
  /** Viewers this node accepts before placement looks elsewhere. */
  readonly capacity: number;
  readonly heartbeatMs: number;
  /** A node that misses heartbeats for this long is out of placement. */
  readonly nodeTtlMs: number;
  /** Base URL other nodes use to reach this node's HTTP port; default http://<announced or host>:<port>. */
  readonly internalUrl: string | undefined;
  /** Address other nodes send pipe packets to; default ANNOUNCED_IP, else the SFU's candidate address. */
  readonly pipeIp: string | undefined;
  readonly pipePorts: readonly [number, number] | undefined;
  /** A relay without viewers or child pipes for this long is closed. */
  readonly relayIdleMs: number;
}


const port = z.coerce.number().int().min(1024).max(65535);

/** The cluster's environment variables; config.ts merges them into its schema (it alone reads process.env). */
export const CLUSTER_ENV_SHAPE = {
  CLUSTER_ROLE: z.enum(['standalone', 'origin', 'edge']).default('standalone'), // used by platform: which cluster role this process plays
  CLUSTER_NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'node id: 1-64 letters, digits, _ . -').optional(), // used by ClusterNode (default role-host-port)
  REDIS_URL: z.string().url().optional(), // used by RedisClusterStore: the node registry
  CLUSTER_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('live'), // used by RedisClusterStore: key prefix
  CLUSTER_SECRET: z.string().optional(), // used by cluster-routes: shared secret of node-to-node requests
  CLUSTER_PARENT: z.string().optional(), // used by RelayManager: node id a tier-2 edge pulls from
  CLUSTER_CAPACITY: z.coerce.number().int().min(0).default(500), // used by placement: viewers this node accepts
  CLUSTER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(1000), // used by NodeHeartbeat
  CLUSTER_NODE_TTL_MS: z.coerce.number().int().min(300).max(300_000).default(3000), // used by NodeHeartbeat: record expiry
  CLUSTER_INTERNAL_URL: z.string().url().optional(), // used by ClusterNode: how other nodes reach this one
  CLUSTER_PIPE_IP: z.string().ip({ version: 'v4' }).optional(), // used by PipeTransport: pipe address other nodes send to
  CLUSTER_PIPE_MIN_PORT: port.optional(), // used by PipeTransport (default: ephemeral ports)
  CLUSTER_PIPE_MAX_PORT: port.optional(),
  CLUSTER_RELAY_IDLE_MS: z.coerce.number().int().min(1000).default(30_000), // used by RelayManager
};

type ClusterEnv = z.output<z.ZodObject<typeof CLUSTER_ENV_SHAPE>>;

/** Builds the cluster config from parsed variables; throws on contradictions (fail fast at boot). */
export function toClusterConfig(e: ClusterEnv, httpPort: number): ClusterConfig {
  const pipePorts: readonly [number, number] | undefined =
    e.CLUSTER_PIPE_MIN_PORT !== undefined && e.CLUSTER_PIPE_MAX_PORT !== undefined ? [e.CLUSTER_PIPE_MIN_PORT, e.CLUSTER_PIPE_MAX_PORT] : undefined;
  const role = e.CLUSTER_ROLE;
  if (role !== 'standalone' && (e.CLUSTER_SECRET ?? '').length < MIN_CLUSTER_SECRET_LENGTH) {
    throw new Error(`invalid configuration: CLUSTER_ROLE=${role} needs CLUSTER_SECRET (at least ${MIN_CLUSTER_SECRET_LENGTH} characters, the same on every node)`);
  }
  if ((e.CLUSTER_PIPE_MIN_PORT === undefined) !== (e.CLUSTER_PIPE_MAX_PORT === undefined) || (e.CLUSTER_PIPE_MIN_PORT ?? 0) > (e.CLUSTER_PIPE_MAX_PORT ?? 0)) {
    throw new Error('invalid configuration: set both CLUSTER_PIPE_MIN_PORT and CLUSTER_PIPE_MAX_PORT, min ≤ max');
  }
  if (e.CLUSTER_NODE_TTL_MS <= e.CLUSTER_HEARTBEAT_MS) {
    throw new Error('invalid configuration: CLUSTER_NODE_TTL_MS must exceed CLUSTER_HEARTBEAT_MS (a few heartbeats)');
  }
  const suffix = httpPort > 0 ? String(httpPort) : randomBytes(3).toString('hex');
  return Object.freeze({
    role,
    nodeId: e.CLUSTER_NODE_ID ?? `${role}-${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40)}-${suffix}`,
    redisUrl: e.REDIS_URL,
    name: e.CLUSTER_NAME,
    secret: e.CLUSTER_SECRET ?? '',
    parent: e.CLUSTER_PARENT,
    capacity: e.CLUSTER_CAPACITY,
    heartbeatMs: e.CLUSTER_HEARTBEAT_MS,
    nodeTtlMs: e.CLUSTER_NODE_TTL_MS,
    internalUrl: e.CLUSTER_INTERNAL_URL,
    pipeIp: e.CLUSTER_PIPE_IP,
    pipePorts,
    relayIdleMs: e.CLUSTER_RELAY_IDLE_MS,
  });
}
