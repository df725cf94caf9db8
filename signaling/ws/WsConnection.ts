/**
 * One /ws client: sends server messages with a bound on buffered bytes, keeps
 * the flood-control buckets, and tracks which streams it follows. It is the
 * owner of the media sessions it creates, so closing the socket closes them.
 */
import type { WebSocket } from 'uWebSockets.js';
import type { AppError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { encodeMessage } from '../protocol/codec.ts';
import type { ServerMessage } from '../protocol/messages.ts';
import type { SessionOwner } from '../streams/MediaSession.ts';
import { TokenBucket } from './TokenBucket.ts';

const logger = createLogger('signaling:WsConnection');

/** Close codes used by the gateway (RFC 6455 §7.4.1). */
export const CloseCode = {
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
} as const;

export interface WsUserData {
  conn: WsConnection | undefined;
  readonly remote: string;
}

export interface WsConnectionLimits {
  /** Sustained inbound messages per second. */
  readonly messagesPerSecond: number;
  /** Inbound messages allowed in one burst. */
  readonly messageBurst: number;
  /** Over-limit messages tolerated (refilled at a tenth of the message rate) before the socket is closed. */
  readonly floodTolerance: number;
  /** Bytes queued towards a client that does not read before it is disconnected. */
  readonly maxBufferedBytes: number;
  /** Streams one socket may follow. */
  readonly maxFollows: number;
}

export type Admission = 'accept' | 'reject' | 'disconnect';

let nextConnectionId = 1;

export class WsConnection implements SessionOwner {
  readonly id = nextConnectionId++;
  readonly log: Logger;
  readonly #ws: WebSocket<WsUserData>;
  readonly #limits: WsConnectionLimits;
  readonly #messages: TokenBucket;
  readonly #strikes: TokenBucket;
  readonly #follows = new Set<string>();
  #closed = false;

  constructor(ws: WebSocket<WsUserData>, limits: WsConnectionLimits) {
    this.#ws = ws;
    this.#limits = limits;
    this.#messages = new TokenBucket({ ratePerSecond: limits.messagesPerSecond, burst: limits.messageBurst });
    this.#strikes = new TokenBucket({ ratePerSecond: limits.messagesPerSecond / 10, burst: limits.floodTolerance });
    this.log = logger.child(`ws:${this.id} ${ws.getUserData().remote}`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get follows(): ReadonlySet<string> {
    return this.#follows;
  }

  /**
   * Flood control for one inbound frame: 'accept' within the rate, 'reject' (answer 429)
   * over it, 'disconnect' once over-limit frames keep coming past the tolerance.
   */
  admit(): Admission {
    if (this.#messages.take()) return 'accept';
    return this.#strikes.take() ? 'reject' : 'disconnect';
  }

  /** Sends one message; false when the socket is gone or was closed for not reading. */
  send(message: ServerMessage): boolean {
    if (this.#closed) return false;
    if (this.#ws.getBufferedAmount() > this.#limits.maxBufferedBytes) {
      this.end(CloseCode.POLICY_VIOLATION, 'client too slow: it is not reading its messages');
      return false;
    }
    const frame = encodeMessage(message);
    this.#ws.cork(() => this.#ws.send(frame, true, false));
    return true;
  }

  sendError(reqId: number | undefined, error: AppError): boolean {
    return this.send({ type: 'error', reqId, status: error.status, code: error.code, message: error.message });
  }

  /** Subscribes to a stream's updates; false when it already follows it. */
  follow(streamId: string, topic: string): boolean {
    if (this.#closed || this.#follows.has(streamId)) return false;
    this.#follows.add(streamId);
    this.#ws.subscribe(topic);
    return true;
  }

  /** Subscribes to a uWS topic (chat rooms); false when the socket is closed or already subscribed. */
  subscribe(topic: string): boolean {
    if (this.#closed) return false;
    return this.#ws.subscribe(topic);
  }

  unsubscribe(topic: string): boolean {
    if (this.#closed) return false;
    return this.#ws.unsubscribe(topic);
  }

  get canFollowMore(): boolean {
    return this.#follows.size < this.#limits.maxFollows;
  }

  /** Closes with a code and a reason the client can show (truncated to the 123 bytes a close frame allows). */
  end(code: number, reason: string): void {
    if (this.#closed) return;
    this.log.info(`closing [code:${code}] [reason:${reason}]`);
    this.#closed = true;
    this.#ws.end(code, Buffer.from(reason, 'utf8').subarray(0, 123));
  }

  /** Called from uWS's close handler; the socket must not be touched afterwards. */
  markClosed(): void {
    this.#closed = true;
  }
}
