/**
 * The `/ws` endpoint: binary msgpack frames in, decoded only through
 * protocol/codec.ts, dispatched through the handler table. Every failure is an
 * error frame (with the reqId when it could be read) and the socket survives,
 * except for these closes:
 *  - a frame larger than maxFrameBytes: uWS closes the socket itself (maxPayloadLength),
 *    without a close frame (the client sees 1006); no error frame is possible;
 *  - sustained flooding past the token bucket: close 1008 with a reason;
 *  - a client that stops reading (queued bytes past the limit): close 1008 with a reason;
 *  - server shutdown: close 1001.
 */
import uWS, { type TemplatedApp, type WebSocket } from 'uWebSockets.js';
import type { ChatService } from '../chat/ChatService.ts';
import type { DonationService } from '../chat/DonationService.ts';
import { BadRequestError, TooManyRequestsError, toAppError } from '../errors.ts';
import { decodeClientMessage } from '../protocol/codec.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import { toStreamInfo, type StreamRegistry } from '../streams/StreamRegistry.ts';
import { dispatch, type HandlerContext } from './message-handlers.ts';
import { StreamUpdateFanout, streamTopic } from './StreamUpdateFanout.ts';
import { CloseCode, WsConnection, type WsConnectionLimits, type WsUserData } from './WsConnection.ts';

export interface WsGatewayOptions extends Partial<WsConnectionLimits> {
  /** Largest inbound frame; bigger ones make uWS close the socket. */
  readonly maxFrameBytes: number;
  /** Coalescing window for viewer-count updates. */
  readonly viewerUpdateCoalesceMs?: number;
}

export const DEFAULT_WS_LIMITS: WsConnectionLimits = Object.freeze({
  messagesPerSecond: 50,
  messageBurst: 100,
  floodTolerance: 100,
  maxBufferedBytes: 512 * 1024,
  maxFollows: 32,
});

export class WsGateway {
  readonly #connections = new Set<WsConnection>();
  readonly #sessions: SessionManager;
  readonly #streams: StreamRegistry;
  readonly #fanout: StreamUpdateFanout;
  readonly #limits: WsConnectionLimits;
  readonly #chat: ChatService;
  readonly #donations: DonationService;

  constructor(
    app: TemplatedApp,
    deps: { sessions: SessionManager; streams: StreamRegistry; chat: ChatService; donations: DonationService },
    options: WsGatewayOptions,
  ) {
    this.#sessions = deps.sessions;
    this.#streams = deps.streams;
    this.#chat = deps.chat;
    this.#donations = deps.donations;
    this.#limits = limitsFrom(options);
    this.#fanout = new StreamUpdateFanout(app, deps.streams, { coalesceMs: options.viewerUpdateCoalesceMs });

    app.ws<WsUserData>('/ws', {
      compression: uWS.DISABLED,
      maxPayloadLength: options.maxFrameBytes,
      // uWS skips (and with this flag closes) sockets whose queue passes maxBackpressure on publish.
      maxBackpressure: this.#limits.maxBufferedBytes * 2,
      closeOnBackpressureLimit: 1,
      idleTimeout: 60,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const userData: WsUserData = { conn: undefined, remote: Buffer.from(res.getRemoteAddressAsText()).toString() };
        res.upgrade(
          userData,
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => this.#onOpen(ws),
      message: (ws, data, isBinary) => {
        const conn = ws.getUserData().conn;
        if (conn) this.#onMessage(conn, data, isBinary);
      },
      close: (ws, code) => {
        const conn = ws.getUserData().conn;
        if (conn) this.#onClose(conn, code);
      },
    });
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Closes every socket with 1001 and stops pushing updates. */
  close(): void {
    this.#fanout.close();
    for (const conn of [...this.#connections]) conn.end(CloseCode.GOING_AWAY, 'server shutting down');
  }

  #onOpen(ws: WebSocket<WsUserData>): void {
    const conn = new WsConnection(ws, this.#limits);
    ws.getUserData().conn = conn;
    this.#connections.add(conn);
    conn.log.debug('open');
  }

  #onClose(conn: WsConnection, code: number): void {
    conn.markClosed();
    this.#connections.delete(conn);
    this.#sessions.closeOwnedBy(conn, 'socket closed');
    this.#chat.disconnect(conn);
    conn.log.debug(`closed [code:${code}]`);
  }

  #onMessage(conn: WsConnection, data: ArrayBuffer, isBinary: boolean): void {
    const admission = conn.admit();
    if (admission === 'disconnect') {
      conn.end(
        CloseCode.POLICY_VIOLATION,
        `flooding: over ${this.#limits.messagesPerSecond} messages/s for too long; reconnect and slow down`,
      );
      return;
    }
    if (admission === 'reject') {
      conn.sendError(undefined, new TooManyRequestsError(`rate limit: at most ${this.#limits.messagesPerSecond} messages/s; message dropped`));
      return;
    }
    if (!isBinary) {
      conn.sendError(undefined, new BadRequestError('text frames are not accepted: send binary msgpack frames (signaling/protocol)', 'text_frame'));
      return;
    }
    // Decode now: uWS neuters `data` when this callback returns.
    const decoded = decodeClientMessage(data);
    if (!decoded.ok) {
      conn.sendError(decoded.reqId, new BadRequestError(decoded.reason, 'invalid_message'));
      return;
    }
    const message = decoded.value;
    const fail = (err: unknown): void => {
      const appError = toAppError(err);
      if (appError.status >= 500 && appError.status !== 503) conn.log.error(`${message.type} [reqId:${message.reqId}] failed`, err);
      conn.sendError(message.reqId, appError);
    };
    try {
      const result = dispatch(message, this.#context(conn));
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  #context(conn: WsConnection): HandlerContext {
    return {
      conn,
      sessions: this.#sessions,
      streams: this.#streams,
      chat: this.#chat,
      donations: this.#donations,
      follow: (target, streamId) => {
        target.follow(streamId, streamTopic(streamId));
        const record = this.#streams.get(streamId);
        if (record) target.send({ type: 'stream', stream: toStreamInfo(record) });
      },
    };
  }
}

function limitsFrom(options: WsGatewayOptions): WsConnectionLimits {
  return {
    messagesPerSecond: options.messagesPerSecond ?? DEFAULT_WS_LIMITS.messagesPerSecond,
    messageBurst: options.messageBurst ?? DEFAULT_WS_LIMITS.messageBurst,
    floodTolerance: options.floodTolerance ?? DEFAULT_WS_LIMITS.floodTolerance,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_WS_LIMITS.maxBufferedBytes,
    maxFollows: options.maxFollows ?? DEFAULT_WS_LIMITS.maxFollows,
  };
}
