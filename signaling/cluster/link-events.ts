/**
 * Events a serving node streams to an entry node over the link
 * (`GET /cluster/v1/link`, one JSON object per line) about the viewer
 * sessions the entry placed there. 'ping' every second proves liveness.
 */
import { z } from 'zod';

export const LinkEvent = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), node: z.string() }),
  z.object({ t: z.literal('ping') }),
  z.object({ t: z.literal('state'), session: z.string(), state: z.enum(['connecting', 'connected', 'disconnected', 'failed', 'closed']) }),
  z.object({ t: z.literal('layer'), session: z.string(), active: z.string().nullable() }),
  z.object({ t: z.literal('close'), session: z.string(), reason: z.string() }),
]);
export type LinkEvent = z.infer<typeof LinkEvent>;

export const LINK_PING_MS = 1000;
/** An entry node that hears nothing on a link for this long treats the serving node as gone. */
export const LINK_SILENCE_MS = 3500;
