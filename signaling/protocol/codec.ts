/**
 * The only place that turns socket frames into messages and back.
 * Inbound frames are msgpack-decoded and validated; anything else is a
 * typed failure the gateway answers with an error frame.
 */
import { decode, encode } from '@msgpack/msgpack';
import { ClientMessage, ServerMessage } from './messages.ts';
import type { ZodType, ZodTypeDef } from 'zod';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reqId: number | undefined; reason: string };

// Input is unknown: schemas with defaults (watch.layer) have an input type wider than their output.
function decodeWith<T>(schema: ZodType<T, ZodTypeDef, unknown>, frame: ArrayBuffer | Uint8Array): DecodeResult<T> {
  let raw: unknown;
  try {
    raw = decode(frame instanceof Uint8Array ? frame : new Uint8Array(frame));
  } catch (err) {
    return { ok: false, reqId: undefined, reason: `frame is not valid msgpack (${(err as Error).message})` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const reqId = typeof raw === 'object' && raw !== null && typeof (raw as { reqId?: unknown }).reqId === 'number' ? (raw as { reqId: number }).reqId : undefined;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reqId, reason: `invalid message: ${where}${issue?.message ?? 'does not match any message type'}` };
}

export function decodeClientMessage(frame: ArrayBuffer | Uint8Array): DecodeResult<ClientMessage> {
  return decodeWith(ClientMessage, frame);
}

export function decodeServerMessage(frame: ArrayBuffer | Uint8Array): DecodeResult<ServerMessage> {
  return decodeWith(ServerMessage, frame);
}

export function encodeMessage(message: ServerMessage | ClientMessage): Uint8Array {
  // Optional fields left undefined must be absent on the wire: msgpack would turn them into nil, which the schemas reject.
  return encode(message, { ignoreUndefined: true });
}
