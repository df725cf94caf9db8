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

/** 'reconnecting': the publisher dropped and may come back within the grace period; viewers stay attached. */
export const StreamState = z.enum(['idle', 'live', 'reconnecting', 'ended']);
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
  /** Cluster node id to be served by (benchmarks, debugging); honoured only if that node can take the viewer. */
  node: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
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

/**
 * Ends a stream for good with its key, whichever connection published it: the
 * streamer pressing "End stream" while its publisher connection is gone
 * (the stream is 'reconnecting' and `stop` has no session left to name).
 */
export const EndStreamRequest = z.object({
  type: z.literal('endStream'),
  reqId: RequestId,
  streamId: StreamId,
  streamKey: z.string().min(1).max(256),
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

// ---- client → server: chat, reactions, donations and subs ------------------

/** Chat text limit, in characters (Unicode code points), after trimming. */
export const CHAT_MAX_CHARS = 500;
/** The reactions viewers can send; a fixed set so they aggregate into a few counters. */
export const REACTION_EMOJIS = ['❤️', '😂', '🔥', '👏', '😮', '🎉'] as const;
export const ReactionEmoji = z.enum(REACTION_EMOJIS);
export type ReactionEmoji = z.infer<typeof ReactionEmoji>;

/** Position in a room's ordered event stream; 1 is the first event, 0 means "nothing yet". */
export const ChatSeq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/**
 * The publisher's capture clock (ms since the Unix epoch) at the moment of the video the
 * sender was watching. Clients hold incoming events until their own playhead reaches it.
 */
export const StreamTime = z.number().finite().nonnegative();
export const ChatUserId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'user id: 1-64 letters, digits, _ or -');
export const ChatRole = z.enum(['viewer', 'moderator', 'streamer']);
export type ChatRole = z.infer<typeof ChatRole>;
/**
 * Chat text on the wire: a bounded string. Cleaning (control characters to spaces, trimming)
 * and the character count are checked by cleanChatText() on the server, not by a zod
 * transform, which would cost more than the rest of a message's handling.
 */
export const ChatText = z.string().max(CHAT_MAX_CHARS * 4, `text: at most ${CHAT_MAX_CHARS} characters`);

/** The text as shown: control characters made spaces, trimmed; or why it cannot be sent. */
export function cleanChatText(raw: string): { ok: true; text: string } | { ok: false; reason: string } {
  const text = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (text.length === 0) return { ok: false, reason: 'text must not be empty' };
  // Code points, not UTF-16 units: an emoji counts as one character.
  if (text.length > CHAT_MAX_CHARS && [...text].length > CHAT_MAX_CHARS) return { ok: false, reason: `text: at most ${CHAT_MAX_CHARS} characters` };
  return { ok: true, text };
}
/** Client-chosen key that makes a donation or sub exactly-once across retries (8-128 printable ASCII). */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{8,128}$/, 'idempotency key: 8-128 printable ASCII characters');
/** ISO 4217 codes the ledger accepts; minor-unit exponents live in signaling/chat/money.ts. */
export const Currency = z.enum(['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'BRL', 'INR', 'JPY', 'KRW']);
export type Currency = z.infer<typeof Currency>;
/** Amount in major units ("4.99" or 4.99); range and decimals are checked per currency by the ledger. */
export const MoneyAmount = z.union([z.number().finite(), z.string().trim().regex(/^\d{1,9}(\.\d{1,4})?$/, 'amount: a decimal like 4.99')]);
export const SubTier = z.union([z.literal(1), z.literal(2), z.literal(3)]);

export const ChatJoinRequest = z.object({
  type: z.literal('chatJoin'),
  reqId: RequestId,
  streamId: StreamId,
  /** Resume: the last seq this client has; the reply carries every later event still held, and says what is missing. */
  lastSeq: ChatSeq.optional(),
  /** Identity token from an earlier chatJoined: same user id and name (and the same bans) across reconnects. */
  token: z.string().min(1).max(200).optional(),
  /** The stream key: joins with the streamer role. */
  streamKey: z.string().min(1).max(256).optional(),
  /** Recent events sent on a fresh join (ignored when resuming). */
  historyLimit: z.number().int().min(0).max(500).default(50),
});

export const ChatLeaveRequest = z.object({
  type: z.literal('chatLeave'),
  reqId: RequestId,
  streamId: StreamId,
});

export const ChatSendRequest = z.object({
  type: z.literal('chatSend'),
  reqId: RequestId,
  streamId: StreamId,
  text: ChatText,
  streamTime: StreamTime,
});

/** Fire-and-forget: no reply unless it fails. Aggregated per room into `reactions`. */
export const ReactRequest = z.object({
  type: z.literal('react'),
  reqId: RequestId,
  streamId: StreamId,
  emoji: ReactionEmoji,
  streamTime: StreamTime,
});

export const ModerationAction = z.discriminatedUnion('op', [
  z.object({ op: z.literal('delete'), seq: ChatSeq }),
  z.object({ op: z.literal('timeout'), userId: ChatUserId, seconds: z.number().int().min(1).max(7 * 24 * 3600) }),
  z.object({ op: z.literal('ban'), userId: ChatUserId }),
  z.object({ op: z.literal('unban'), userId: ChatUserId }),
  /** 0 turns slow mode off. */
  z.object({ op: z.literal('slowMode'), seconds: z.number().int().min(0).max(3600) }),
  z.object({ op: z.literal('addModerator'), userId: ChatUserId }),
  z.object({ op: z.literal('removeModerator'), userId: ChatUserId }),
]);
export type ModerationAction = z.infer<typeof ModerationAction>;

export const ChatModerateRequest = z.object({
  type: z.literal('chatModerate'),
  reqId: RequestId,
  streamId: StreamId,
  action: ModerationAction,
});

/** Older events from the stored chat log (scroll-back, VOD replay). */
export const ChatHistoryRequest = z.object({
  type: z.literal('chatHistory'),
  reqId: RequestId,
  streamId: StreamId,
  /** Events before this seq; omitted = the newest. */
  beforeSeq: ChatSeq.optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

const SupportFields = {
  reqId: RequestId,
  streamId: StreamId,
  idempotencyKey: IdempotencyKey,
  amount: MoneyAmount,
  currency: Currency,
  /** Opaque token from the payment form, handed to the payment provider. */
  paymentToken: z.string().min(1).max(200).optional(),
  streamTime: StreamTime.optional(),
};

export const DonateRequest = z.object({
  type: z.literal('donate'),
  ...SupportFields,
  message: ChatText.optional(),
});

export const SubscribeRequest = z.object({
  type: z.literal('subscribe'),
  ...SupportFields,
  tier: SubTier.default(1),
  months: z.number().int().min(1).max(24).default(1),
});

export const ClientMessage = z.discriminatedUnion('type', [
  PublishRequest,
  WatchRequest,
  SetLayerRequest,
  StopRequest,
  EndStreamRequest,
  FollowRequest,
  PingRequest,
  ChatJoinRequest,
  ChatLeaveRequest,
  ChatSendRequest,
  ReactRequest,
  ChatModerateRequest,
  ChatHistoryRequest,
  DonateRequest,
  SubscribeRequest,
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

/**
 * The server closed a media session the client did not stop: the node serving
 * it died, its relay lost the stream, or the watchdog gave up. A viewer should
 * re-watch at once (placement picks a live node) rather than wait for ICE to fail.
 */
export const SessionClosedMessage = z.object({
  type: z.literal('sessionClosed'),
  sessionId: SessionId,
  reason: z.string(),
});

export const PongMessage = z.object({
  type: z.literal('pong'),
  reqId: RequestId,
  t: z.number(),
  serverTime: z.number(),
});

// ---- server → client: chat, reactions, donations and subs ------------------

export const ChatUser = z.object({ id: ChatUserId, name: z.string(), role: ChatRole });
export type ChatUser = z.infer<typeof ChatUser>;

/** A donation or sub as recorded in the ledger (public fields only). */
export const LedgerEntry = z.object({
  id: z.string(),
  kind: z.enum(['donation', 'sub']),
  streamId: StreamId,
  /** Major units as a decimal string in the currency's precision, e.g. "4.99". */
  amount: z.string(),
  amountMinor: z.number().int().positive(),
  currency: Currency,
  name: z.string(),
  message: z.string().nullable(),
  tier: SubTier.nullable(),
  months: z.number().int().nullable(),
  createdAt: z.string(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

const EventBase = {
  seq: ChatSeq,
  /** Server time the event was sequenced, ms since the epoch. */
  at: z.number(),
  streamTime: StreamTime,
};

export const ChatEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), ...EventBase, user: ChatUser, text: z.string(), deleted: z.boolean().optional() }),
  /** A moderator removed message `targetSeq`: every client drops it. */
  z.object({ kind: z.literal('delete'), ...EventBase, targetSeq: ChatSeq, by: ChatUser }),
  z.object({ kind: z.literal('donation'), ...EventBase, user: ChatUser, entry: LedgerEntry }),
  z.object({ kind: z.literal('sub'), ...EventBase, user: ChatUser, entry: LedgerEntry }),
  /** Room state changes (timeouts, bans, slow mode, moderators), applied at once, never held back. */
  z.object({
    kind: z.literal('moderation'),
    ...EventBase,
    action: ModerationAction,
    /** Display name of the user the action targets, when it targets one. */
    targetName: z.string().nullable(),
    by: ChatUser,
  }),
]);
export type ChatEvent = z.infer<typeof ChatEvent>;

/** Reply to chatJoin. */
export const ChatJoinedMessage = z.object({
  type: z.literal('chatJoined'),
  reqId: RequestId,
  streamId: StreamId,
  you: ChatUser,
  /** Present to keep this identity on later joins (store it; it is the user's only credential). */
  token: z.string(),
  slowModeSeconds: z.number().int().nonnegative(),
  /** The room's newest seq when the events below were taken. */
  lastSeq: ChatSeq,
  /** In seq order: recent history on a fresh join, every event after lastSeq on a resume. */
  events: z.array(ChatEvent),
  /** Set when a resume reached past the kept history: these seqs are not in `events` (chatHistory reads the log). */
  missed: z.object({ fromSeq: ChatSeq, toSeq: ChatSeq }).nullable(),
});

/** Events of one room, contiguous and in seq order (batched: one frame per publish). */
export const ChatBatchMessage = z.object({
  type: z.literal('chat'),
  streamId: StreamId,
  events: z.array(ChatEvent).min(1),
});

export const ChatAckMessage = z.object({
  type: z.literal('chatAck'),
  reqId: RequestId,
  seq: ChatSeq,
});

/** Reactions of one room over one aggregation window. */
export const ReactionsMessage = z.object({
  type: z.literal('reactions'),
  streamId: StreamId,
  windowMs: z.number().int().positive(),
  /** Mean stream time of the reactions in the window. */
  streamTime: StreamTime,
  counts: z.record(ReactionEmoji, z.number().int().positive()),
});

export const ChatHistoryPageMessage = z.object({
  type: z.literal('chatHistoryPage'),
  reqId: RequestId,
  streamId: StreamId,
  events: z.array(ChatEvent),
  /** More events exist before the first one here. */
  hasMore: z.boolean(),
});

/** Reply to donate/subscribe: the ledger row; `replayed` when the idempotency key was already recorded. */
export const LedgerEntryMessage = z.object({
  type: z.literal('ledgerEntry'),
  reqId: RequestId,
  entry: LedgerEntry,
  replayed: z.boolean(),
});

export const ServerMessage = z.discriminatedUnion('type', [
  AnswerMessage,
  OkMessage,
  ErrorMessage,
  StreamUpdateMessage,
  LayerMessage,
  SessionClosedMessage,
  PongMessage,
  ChatJoinedMessage,
  ChatBatchMessage,
  ChatAckMessage,
  ReactionsMessage,
  ChatHistoryPageMessage,
  LedgerEntryMessage,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

// ---- HTTP API bodies (same module so clients and tests share them) ---------

export const CreateStreamBody = z.object({
  title: z.string().trim().min(1, 'title must not be empty').max(140, 'title: at most 140 characters'),
  /** Make automatic captions for the VOD when the stream ends. */
  captions: z.boolean().optional(),
});
export type CreateStreamBody = z.infer<typeof CreateStreamBody>;

export const CreatedStream = z.object({
  id: StreamId,
  streamKey: z.string(),
  whip: z.string(),
  whep: z.string(),
  watch: z.string(),
  /** LL-HLS multivariant playlist; present while the platform's HLS tier is on. */
  hls: z.string().optional(),
});
export type CreatedStream = z.infer<typeof CreatedStream>;

/** The HLS tier of one stream, as `GET /api/streams/:id` reports it in `hls`. */
export const HlsStatus = z.object({
  /** Bridge state: idle, waiting-keyframe, starting, running, restarting, closed. */
  state: z.string(),
  /** The master playlist can be served. */
  ready: z.boolean(),
  /** Multivariant playlist URL. */
  playlist: z.string(),
  renditions: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['audio', 'video']),
      /** Passed through from the publisher without re-encoding. */
      copy: z.boolean(),
      width: z.number().optional(),
      height: z.number().optional(),
      codec: z.string().optional(),
      bitrate: z.number().optional(),
    }),
  ),
  ffmpeg: z.object({
    /** Real-time factor from ffmpeg's progress line (≥ 1 keeps up); null before the first one. */
    speed: z.number().nullable(),
    fps: z.number().nullable(),
    restarts: z.number().int(),
    errors: z.number().int(),
    lastError: z.string().nullable(),
  }),
});
export type HlsStatus = z.infer<typeof HlsStatus>;

/** A VOD chapter on the VOD timeline (seconds from the start of the recording). */
export const VodChapter = z.object({ startSec: z.number(), endSec: z.number(), title: z.string() });
export type VodChapter = z.infer<typeof VodChapter>;

/** A stream's recording, as `GET /api/streams/:id` (field `vod`) and `GET /api/vod/:id` report it. */
export const VodStatus = z.object({
  streamId: StreamId,
  /** recording (live), finalizing (just ended), processing (HLS VOD plays, MP4 being made), ready, failed. */
  state: z.enum(['recording', 'finalizing', 'processing', 'ready', 'failed']),
  title: z.string(),
  /** The VOD page. */
  page: z.string(),
  /** HLS VOD multivariant playlist (plays as soon as the stream has ended). */
  playlist: z.string(),
  /** The stitched MP4, once made. */
  mp4: z.string().nullable(),
  mp4Bytes: z.number().nullable(),
  chaptersVtt: z.string(),
  /** The caption WebVTT, once made. */
  captionsVtt: z.string().nullable(),
  captions: z.enum(['off', 'pending', 'ready', 'failed']),
  /** Stream time (publisher capture clock, Unix ms) at VOD time 0: vodSec = (streamTime - originMs) / 1000. */
  originMs: z.number().nullable(),
  durationSec: z.number().nullable(),
  liveDurationSec: z.number().nullable(),
  chapters: z.array(VodChapter),
  /** Archived segments that are missing on disk (the VOD plays around them). */
  missingSegments: z.array(z.object({ rendition: z.string(), msn: z.number().int() })),
  job: z
    .object({
      state: z.enum(['queued', 'running', 'done', 'failed']),
      stage: z.enum(['stitch', 'captions']).nullable(),
      percent: z.number(),
      etaSec: z.number().nullable(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      stages: z.array(z.object({ name: z.enum(['stitch', 'captions']), state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']), percent: z.number(), error: z.string().nullable(), elapsedSec: z.number().nullable() })),
    })
    .nullable(),
});
export type VodStatus = z.infer<typeof VodStatus>;

/** `POST /api/streams/:id/chapters` (stream key as Bearer): a chapter starts now, or at `streamTime`. */
export const ChapterMarkBody = z.object({
  title: z.string().trim().max(140, 'title: at most 140 characters').optional(),
  /** Publisher capture clock, Unix ms; default: the server's clock on arrival. */
  streamTime: StreamTime.optional(),
});
export type ChapterMarkBody = z.infer<typeof ChapterMarkBody>;

/** `PATCH /api/streams/:id` (stream key as Bearer): a new title; while live it also starts a chapter. */
export const UpdateStreamBody = z.object({
  title: z.string().trim().min(1, 'title must not be empty').max(140, 'title: at most 140 characters'),
});
export type UpdateStreamBody = z.infer<typeof UpdateStreamBody>;

/** `GET /api/vod/:id/chat`: the stored chat placed on the VOD timeline, oldest first. */
export const VodChatReplay = z.object({
  streamId: StreamId,
  messages: z.array(
    z.object({
      seq: ChatSeq,
      kind: z.enum(['message', 'donation', 'sub']),
      streamTime: StreamTime,
      /** When the player shows it: (streamTime - originMs) / 1000. */
      vodSec: z.number(),
      name: z.string(),
      role: ChatRole,
      text: z.string(),
    }),
  ),
  /** More messages exist than were returned. */
  truncated: z.boolean(),
});
export type VodChatReplay = z.infer<typeof VodChatReplay>;

/** `GET /api/streams/:id` answer: the public state plus its HLS tier and its recording (null when it has none). */
export const StreamDetails = StreamInfo.extend({ hls: HlsStatus.nullable().optional(), vod: VodStatus.nullable().optional() });
export type StreamDetails = z.infer<typeof StreamDetails>;

/** `GET /api/streams` answer: live streams (or those named by `?state=`), newest first. */
export const StreamList = z.array(StreamInfo);
export type StreamList = z.infer<typeof StreamList>;

/** `POST /api/streams/:id/donations` body; the key comes in the `Idempotency-Key` header. */
export const DonationBody = z.object({
  amount: MoneyAmount,
  currency: Currency,
  name: z.string().trim().max(40).optional(),
  message: ChatText.optional(),
  paymentToken: z.string().min(1).max(200).optional(),
});
export type DonationBody = z.infer<typeof DonationBody>;

/** `POST /api/streams/:id/subs` body. */
export const SubBody = z.object({
  amount: MoneyAmount,
  currency: Currency,
  name: z.string().trim().max(40).optional(),
  tier: SubTier.default(1),
  months: z.number().int().min(1).max(24).default(1),
  paymentToken: z.string().min(1).max(200).optional(),
});
export type SubBody = z.infer<typeof SubBody>;
