/** Bodies of the node-to-node pipe API (`POST /cluster/v1/pipes`), shared by caller and callee. */
import { z } from 'zod';
import { PipeDescriptionSchema, PipeTupleSchema } from '../../sfu/pipe/pipe-description.ts';

/** A pipe chain longer than this is a configuration loop (edges naming each other as parents). */
export const MAX_PIPE_HOPS = 4;

export const PipeOpenRequest = z.object({
  streamId: z.string().min(1).max(64),
  /** Where the caller receives: its pipe socket. */
  tuple: PipeTupleSchema,
  /** Node ids the request already passed through, nearest viewer first (loop guard). */
  via: z.array(z.string().max(64)).max(MAX_PIPE_HOPS),
});
export type PipeOpenRequest = z.infer<typeof PipeOpenRequest>;

export const PipeOpenAnswer = z.object({
  pipeId: z.string(),
  tuple: PipeTupleSchema,
  description: PipeDescriptionSchema,
});
export type PipeOpenAnswer = z.infer<typeof PipeOpenAnswer>;
