/**
 * Every message on the /ws socket, both directions, as zod schemas.
 * The server and the web client import this one module; nothing else
 * defines wire shapes. Frames are msgpack (see codec.ts).
 */
import { z } from 'zod';

export const StreamId = z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'stream id: 4-64 letters, digits, _ or -');
export const SessionId = z.string().min(1).max(128);
/** Client-chosen correlation id so a reply can be matched to its request. */
export const RequestId = z.number().int().nonnegative().max(2 ** 31);
/** An SDP body; generous bound, real offers are a few KB. */
export const Sdp = z.string().min(10).max(64 * 1024);

/** Simulcast layer a viewer asks for: `auto` follows its bandwidth estimate. */
export const LayerPreference = z.enum(['auto', 'high', 'mid', 'low']);
export type LayerPreference = z.infer<typeof LayerPreference>;

export const StreamState = z.enum(['idle', 'live', 'ended']);
export type StreamState = z.infer<typeof StreamState>;

// ---- client → server -------------------------------------------------------

export const PublishRequest = z.object({
  type: z.literal('publish'),
  reqId: RequestId,
  streamId: StreamId,
  streamKey: z.string().min(1).max(256),
  sdp: Sdp,
});

export const WatchRequest = z.object({
  type: z.literal('watch'),
  reqId: RequestId,
  streamId: StreamId,
  sdp: Sdp,
  layer: LayerPreference.default('auto'),
});

export const SetLayerRequest = z.object({
  type: z.literal('setLayer'),
  reqId: RequestId,
  sessionId: SessionId,
  layer: LayerPreference,
});

export const StopRequest = z.object({
  type: z.literal('stop'),
  reqId: RequestId,
  sessionId: SessionId,
});

/** Follow a stream's state (live/ended, viewer count) without taking media. */
export const FollowRequest = z.object({
  type: z.literal('follow'),
  reqId: RequestId,
  streamId: StreamId,
});

export const PingRequest = z.object({
  type: z.literal('ping'),
  reqId: RequestId,
  /** Client clock in ms; echoed back so the client can measure round trips. */
  t: z.number(),
});

export const ClientMessage = z.discriminatedUnion('type', [
  PublishRequest,
  WatchRequest,
  SetLayerRequest,
  StopRequest,
  FollowRequest,
  PingRequest,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;

// ---- server → client -------------------------------------------------------

export const AnswerMessage = z.object({
  type: z.literal('answer'),
  reqId: RequestId,
  sessionId: SessionId,
  sdp: Sdp,
});

export const OkMessage = z.object({
  type: z.literal('ok'),
  reqId: RequestId,
});

export const ErrorMessage = z.object({
  type: z.literal('error'),
  /** Absent when the frame could not be parsed far enough to know the request. */
  reqId: RequestId.optional(),
  /** HTTP-like status (400, 401, 404, 409, 429, 500). */
  status: z.number().int(),
  code: z.string(),
  message: z.string(),
});

export const StreamInfo = z.object({
  id: StreamId,
  title: z.string(),
  state: StreamState,
  viewers: z.number().int().nonnegative(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
export type StreamInfo = z.infer<typeof StreamInfo>;

export const StreamUpdateMessage = z.object({
  type: z.literal('stream'),
  stream: StreamInfo,
});

export const LayerMessage = z.object({
  type: z.literal('layer'),
  sessionId: SessionId,
  /** rid of the layer now forwarded, or null when the publisher sends no simulcast. */
  active: z.string().nullable(),
  preference: LayerPreference,
});

export const PongMessage = z.object({
  type: z.literal('pong'),
  reqId: RequestId,
  t: z.number(),
  serverTime: z.number(),
});

export const ServerMessage = z.discriminatedUnion('type', [
  AnswerMessage,
  OkMessage,
  ErrorMessage,
  StreamUpdateMessage,
  LayerMessage,
  PongMessage,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

// ---- HTTP API bodies (same module so clients and tests share them) ---------

export const CreateStreamBody = z.object({
  title: z.string().trim().min(1, 'title must not be empty').max(140, 'title: at most 140 characters'),
});
export type CreateStreamBody = z.infer<typeof CreateStreamBody>;

export const CreatedStream = z.object({
  id: StreamId,
  streamKey: z.string(),
  whip: z.string(),
  whep: z.string(),
  watch: z.string(),
});
export type CreatedStream = z.infer<typeof CreatedStream>;

/** `GET /api/streams` answer: live streams (or those named by `?state=`), newest first. */
export const StreamList = z.array(StreamInfo);
export type StreamList = z.infer<typeof StreamList>;
