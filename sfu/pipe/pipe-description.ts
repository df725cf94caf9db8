/**
 * What travels with a pipe's control request: the tracks the upstream node
 * sends and, per simulcast layer, the SSRC it uses on the pipe. The downstream
 * node rebuilds its Producers from this, so its viewers negotiate the same
 * codec the publisher sends. It crosses the network, so it is a zod schema.
 */
import { z } from 'zod';
import type { Producer } from '../Producer.ts';

export const PipeTupleSchema = z.object({
  ip: z.string().ip({ version: 'v4' }),
  port: z.number().int().min(1).max(65535),
});

export const PipeLayerSchema = z.object({
  rid: z.string().max(32).nullable(),
  ssrc: z.number().int().min(1).max(0xffffffff),
});

export const PipeProducerSchema = z.object({
  kind: z.enum(['audio', 'video']),
  codec: z.object({
    mimeType: z.string().min(3).max(64),
    clockRate: z.number().int().positive(),
    channels: z.number().int().positive().optional(),
    payloadType: z.number().int().min(0).max(127),
    fmtp: z.string().max(1024),
  }),
  /** Header extensions as the upstream node receives them: [uri, id]. */
  extensionIds: z.array(z.tuple([z.string().max(256), z.number().int().min(1).max(255)])).max(16),
  /** Lowest quality first; one entry with rid null without simulcast. */
  layers: z.array(PipeLayerSchema).min(1).max(3),
});

export const PipeDescriptionSchema = z.object({
  streamId: z.string().min(1).max(64),
  producers: z.array(PipeProducerSchema).min(1).max(2),
});

export type PipeProducerDescription = z.infer<typeof PipeProducerSchema>;
export type PipeDescription = z.infer<typeof PipeDescriptionSchema>;

/** Describes a producer for the pipe, with the SSRC chosen for each of its layers. */
export function describeProducer(producer: Producer, ssrcForLayer: (index: number) => number): PipeProducerDescription {
  const rids: ReadonlyArray<string | null> = producer.rids.length > 0 ? producer.rids : [null];
  return {
    kind: producer.kind,
    codec: {
      mimeType: producer.codec.mimeType,
      clockRate: producer.codec.clockRate,
      ...(producer.codec.channels ? { channels: producer.codec.channels } : {}),
      payloadType: producer.codec.payloadType,
      fmtp: producer.codec.fmtp,
    },
    extensionIds: [...producer.extensionIds],
    layers: rids.map((rid, index) => ({ rid, ssrc: ssrcForLayer(index) })),
  };
}
