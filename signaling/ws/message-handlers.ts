/**
 * The /ws request handlers, one per client message type, in a table keyed by
 * type: adding a message to protocol/messages.ts without a handler here is a
 * compile error. Handlers throw AppErrors; the gateway turns them into error frames.
 */
import type { ChatService } from '../chat/ChatService.ts';
import type { DonationService, SupportRequest } from '../chat/DonationService.ts';
import { TooManyRequestsError } from '../errors.ts';
import type { ClientMessage, ClientMessageOf, ClientMessageType } from '../protocol/messages.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import type { WsConnection } from './WsConnection.ts';

export interface HandlerContext {
  readonly conn: WsConnection;
  readonly sessions: SessionManager;
  readonly streams: StreamRegistry;
  /** Subscribes the connection to a stream's updates and sends it the current state. */
  readonly follow: (conn: WsConnection, streamId: string) => void;
  readonly chat: ChatService;
  readonly donations: DonationService;
}

type Handler<T extends ClientMessageType> = (message: ClientMessageOf<T>, ctx: HandlerContext) => Promise<void> | void;

export const messageHandlers: { readonly [T in ClientMessageType]: Handler<T> } = {
  async publish(message, ctx) {
    const { session, answerSdp } = await ctx.sessions.publish({
      streamId: message.streamId,
      streamKey: message.streamKey,
      offerSdp: message.sdp,
      via: 'ws',
      owner: ctx.conn,
    });
    ctx.conn.send({ type: 'answer', reqId: message.reqId, sessionId: session.id, sdp: answerSdp });
    // The publisher page shows viewer counts and learns when its stream ends.
    ctx.follow(ctx.conn, message.streamId);
  },

  async watch(message, ctx) {
    const { session, answerSdp } = await ctx.sessions.watch({
      streamId: message.streamId,
      offerSdp: message.sdp,
      layer: message.layer,
      via: 'ws',
      owner: ctx.conn,
      node: message.node,
    });
    session.on('layerchange', (active) => {
      ctx.conn.send({ type: 'layer', sessionId: session.id, active, preference: session.layer });
    });
    // Tell the page when the server ends its session (e.g. the edge serving it died) so it re-watches at once.
    session.once('close', (reason) => {
      if (!ctx.conn.closed) ctx.conn.send({ type: 'sessionClosed', sessionId: session.id, reason });
    });
    ctx.conn.send({ type: 'answer', reqId: message.reqId, sessionId: session.id, sdp: answerSdp });
    // Viewers must see the stream end even if their transport closes without a clean signal.
    ctx.follow(ctx.conn, message.streamId);
  },

  setLayer(message, ctx) {
    const session = ctx.sessions.require(message.sessionId, { owner: ctx.conn, role: 'viewer' });
    session.setLayer(message.layer);
    ctx.conn.send({ type: 'ok', reqId: message.reqId });
  },

  stop(message, ctx) {
    ctx.sessions.stop(message.sessionId, 'stopped by client', { owner: ctx.conn });
    ctx.conn.send({ type: 'ok', reqId: message.reqId });
  },

  endStream(message, ctx) {
    ctx.sessions.endWithKey(message.streamId, message.streamKey, 'ended by the streamer');
    ctx.conn.send({ type: 'ok', reqId: message.reqId });
  },

  follow(message, ctx) {
    ctx.streams.require(message.streamId);
    if (!ctx.conn.follows.has(message.streamId) && !ctx.conn.canFollowMore) {
      throw new TooManyRequestsError('this connection follows too many streams; open another connection');
    }
    ctx.conn.send({ type: 'ok', reqId: message.reqId });
    ctx.follow(ctx.conn, message.streamId);
  },

  ping(message, ctx) {
    ctx.conn.send({ type: 'pong', reqId: message.reqId, t: message.t, serverTime: Date.now() });
  },

  chatJoin(message, ctx) {
    ctx.conn.send(ctx.chat.join(ctx.conn, message));
  },

  chatLeave(message, ctx) {
    ctx.chat.leave(ctx.conn, message.streamId);
    ctx.conn.send({ type: 'ok', reqId: message.reqId });
  },

  chatSend(message, ctx) {
    // Answered with chatAck once the message is stored and published (same event-loop turn).
    ctx.chat.say(ctx.conn, message);
  },

  react(message, ctx) {
    // No reply on success: reactions are high-rate and come back aggregated.
    ctx.chat.react(ctx.conn, message);
  },

  chatModerate(message, ctx) {
    ctx.chat.moderate(ctx.conn, message.streamId, message.action);
    ctx.conn.send({ type: 'ok', reqId: message.reqId });
  },

  chatHistory(message, ctx) {
    const page = ctx.chat.history(message.streamId, message.beforeSeq, message.limit);
    ctx.conn.send({ type: 'chatHistoryPage', reqId: message.reqId, streamId: message.streamId, events: page.events, hasMore: page.hasMore });
  },

  async donate(message, ctx) {
    await recordSupport(message, ctx, { kind: 'donation', message: message.message });
  },

  async subscribe(message, ctx) {
    await recordSupport(message, ctx, { kind: 'sub', tier: message.tier, months: message.months });
  },
};

/**
 * Donations and subs share one path: the payer is the sender's chat identity in that room
 * (or an anonymous one), the ledger records once per idempotency key, and the sender gets the entry.
 */
async function recordSupport(
  message: ClientMessageOf<'donate'> | ClientMessageOf<'subscribe'>,
  ctx: HandlerContext,
  specific: Pick<SupportRequest, 'kind' | 'message' | 'tier' | 'months'>,
): Promise<void> {
  const payer = ctx.chat.userIn(ctx.conn, message.streamId);
  const result = await ctx.donations.record({
    ...specific,
    streamId: message.streamId,
    idempotencyKey: message.idempotencyKey,
    amount: message.amount,
    currency: message.currency,
    userId: payer?.id ?? 'anonymous',
    name: payer?.name ?? 'Anonymous',
    paymentToken: message.paymentToken,
    streamTime: message.streamTime,
  });
  ctx.conn.send({ type: 'ledgerEntry', reqId: message.reqId, entry: result.entry, replayed: result.replayed });
}

/** Runs the handler for a validated message. */
export function dispatch(message: ClientMessage, ctx: HandlerContext): Promise<void> | void {
  const handler = messageHandlers[message.type] as Handler<ClientMessageType>;
  return handler(message as ClientMessageOf<ClientMessageType>, ctx);
}
