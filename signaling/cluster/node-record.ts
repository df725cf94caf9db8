/**
 * What each node publishes about itself in the registry (Redis) with every
 * heartbeat: role, where other nodes reach it, capacity and load, and the
 * streams it carries. It crosses processes, so it is a zod schema; a record
 * that does not parse is ignored rather than trusted.
 */
import { z } from 'zod';

export const NodeRole = z.enum(['origin', 'edge']);
export type NodeRole = z.infer<typeof NodeRole>;

export const NodeStreamLoad = z.object({
  /** Viewer transports on this node for the stream. */
  viewers: z.number().int().nonnegative(),
  /** True on the node holding the stream's publisher. */
  origin: z.boolean(),
  /** On the origin: its publisher dropped and the stream waits for it to come back. */
  reconnecting: z.boolean().optional(),
});

export const NodeRecord = z.object({
  id: z.string().min(1).max(64),
  role: NodeRole,
  /** Base URL other nodes use for the cluster API (a private address). */
  url: z.string().url(),
  /** The node this edge pulls its streams from (a tier-2 edge names a tier-1 edge); null: the stream's origin. */
  parent: z.string().nullable(),
  /** Viewers this node accepts. */
  capacity: z.number().int().nonnegative(),
  load: z.object({
    viewers: z.number().int().nonnegative(),
    /** Process CPU over the last interval, in cores (1 = one core busy). */
    cpu: z.number().nonnegative(),
    /** Media bytes sent per second to viewers and pipes, as bits/s. */
    egressBps: z.number().nonnegative(),
    pipesOut: z.number().int().nonnegative(),
    pipesIn: z.number().int().nonnegative(),
  }),
  streams: z.record(z.string(), NodeStreamLoad),
  /** Viewer sessions this node signals per stream (entered here, served anywhere): summed for cluster-wide counts. */
  entries: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /** Glass-to-glass delay reported by this node's watch pages over the last minute (ms). */
  delay: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), samples: z.number().int().nonnegative() }),
  startedAt: z.number(),
  heartbeatAt: z.number(),
});
export type NodeRecord = z.infer<typeof NodeRecord>;

/** Parses a stored record; undefined when it is not a valid record (another version, corruption). */
export function parseNodeRecord(text: string | null): NodeRecord | undefined {
  if (!text) return undefined;
  try {
    const parsed = NodeRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
