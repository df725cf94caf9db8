/**
 * The browser end of the /ws socket: msgpack frames through the shared codec,
 * request/reply matching by reqId, automatic reconnect with backoff, and
 * re-following streams after a reconnect. Pages talk to the server only here.
 */
import { decodeServerMessage, encodeMessage } from '../../../signaling/protocol/codec.ts';
import type { ClientMessage, ClientMessageType, ServerMessage, ServerMessageOf, StreamInfo } from '../../../signaling/protocol/messages.ts';
import { backoffDelay } from './backoff.ts';
import { Emitter } from './Emitter.ts';

export type SignalingState = 'connecting' | 'open' | 'closed';

export interface SignalingEvents extends Record<string, unknown[]> {
  state: [SignalingState];
  /** The socket (re)opened; followed streams have been re-followed. */
  open: [{ reconnected: boolean }];
  stream: [StreamInfo];
  layer: [ServerMessageOf<'layer'>];
  /** The server closed one of this socket's media sessions (e.g. the node serving it died). */
  sessionClosed: [ServerMessageOf<'sessionClosed'>];
  /** Sequenced chat events of a joined room (see src/chat/ChatClient.ts). */
  chat: [ServerMessageOf<'chat'>];
  /** Aggregated reactions of a joined room. */
  reactions: [ServerMessageOf<'reactions'>];
  /** An error frame that answers no request (e.g. a frame the server could not parse). */
  error: [SignalingError];
}

/** An error frame from the server, or a failed request (status 0 = no reply / socket trouble). */
export class SignalingError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'SignalingError';
    this.status = status;
    this.code = code;
  }
}

type RequestOf<T extends ClientMessageType> = Omit<Extract<ClientMessage, { type: T }>, 'reqId'>;
export type ReplyOf<T extends ClientMessageType> = T extends 'publish' | 'watch'
  ? ServerMessageOf<'answer'>
  : T extends 'ping'
    ? ServerMessageOf<'pong'>
    : T extends keyof ChatReplies
      ? ServerMessageOf<ChatReplies[T]>
      : ServerMessageOf<'ok'>;

/** Replies of the chat requests that are not a plain `ok`. */
type ChatReplies = {
  chatJoin: 'chatJoined';
  chatSend: 'chatAck';
  chatHistory: 'chatHistoryPage';
  donate: 'ledgerEntry';
  subscribe: 'ledgerEntry';
};

interface Pending {
  type: ClientMessageType;
  resolve: (reply: ServerMessage) => void;
  reject: (err: SignalingError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface SignalingClientOptions {
  requestTimeoutMs?: number;
  /** Keep-alive ping period; a ping without a pong forces a reconnect (mobile sockets die silently). */
  pingIntervalMs?: number;
}

export class SignalingClient extends Emitter<SignalingEvents> {
  readonly url: string;
  readonly #requestTimeoutMs: number;
  readonly #pingIntervalMs: number;
  readonly #pending = new Map<number, Pending>();
  /** Streams to re-follow after a reconnect. */
  readonly #followed = new Set<string>();
  #socket: WebSocket | undefined;
  #state: SignalingState = 'closed';
  #nextReqId = 1;
  #attempt = 0;
  #everOpened = false;
  #closedByUser = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #openWaiters: Array<() => void> = [];
  rttMs: number | null = null;

  constructor(url: string, options: SignalingClientOptions = {}) {
    super();
    this.url = url;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#pingIntervalMs = options.pingIntervalMs ?? 20_000;
  }

  get state(): SignalingState {
    return this.#state;
  }

  connect(): void {
    this.#closedByUser = false;
    if (this.#socket) return;
    this.#setState('connecting');
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    socket.onopen = () => this.#onOpen();
    socket.onmessage = (e) => this.#onFrame(e.data);
    socket.onclose = () => this.#onClose(socket);
    // 'error' is always followed by 'close', which does the cleanup.
    socket.onerror = () => undefined;
  }

  /** Sends a request and resolves with its reply; rejects with SignalingError on an error frame or timeout. */
  async request<T extends ClientMessageType>(message: RequestOf<T> & { type: T }): Promise<ReplyOf<T>> {
    if (this.#state !== 'open') {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new SignalingError(0, 'timeout', `could not reach the server within ${this.#requestTimeoutMs} ms to send "${message.type}"; check the connection`)),
          this.#requestTimeoutMs,
        );
      });
      try {
        await Promise.race([this.#whenOpen(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    const reqId = this.#nextReqId++ % 2 ** 31;
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) throw new SignalingError(0, 'socket_closed', `the socket closed before "${message.type}" was sent; retry`);
    return new Promise<ReplyOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(reqId);
        reject(new SignalingError(0, 'timeout', `no reply to "${message.type}" within ${this.#requestTimeoutMs} ms: is the server reachable?`));
      }, this.#requestTimeoutMs);
      this.#pending.set(reqId, { type: message.type, resolve: resolve as (r: ServerMessage) => void, reject, timer });
      socket.send(encodeMessage({ ...message, reqId } as unknown as ClientMessage));
    });
  }

  /**
   * Sends a message that has no reply on success (reactions); false when the socket is not open.
   * A failure comes back as an 'error' event.
   */
  notify<T extends ClientMessageType>(message: RequestOf<T> & { type: T }): boolean {
    const socket = this.#socket;
    if (this.#state !== 'open' || !socket || socket.readyState !== WebSocket.OPEN) return false;
    const reqId = this.#nextReqId++ % 2 ** 31;
    socket.send(encodeMessage({ ...message, reqId } as unknown as ClientMessage));
    return true;
  }

  /** Follows a stream's updates ('stream' events); kept across reconnects until unfollow(). */
  async follow(streamId: string): Promise<void> {
    this.#followed.add(streamId);
    await this.request({ type: 'follow', streamId });
  }

  unfollow(streamId: string): void {
    this.#followed.delete(streamId);
  }

  close(): void {
    this.#closedByUser = true;
    clearTimeout(this.#reconnectTimer);
    this.#socket?.close(1000, 'client closed');
    this.#teardown(new SignalingError(0, 'closed', 'the signaling client was closed'));
    this.#setState('closed');
  }

  #whenOpen(): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#closedByUser) return Promise.reject(new SignalingError(0, 'closed', 'the signaling client was closed; create a new one'));
    if (!this.#socket && this.#reconnectTimer === undefined) this.connect();
    return new Promise((resolve) => this.#openWaiters.push(resolve));
  }

  #setState(state: SignalingState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  #onOpen(): void {
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#attempt = 0;
    this.#setState('open');
    this.#pingTimer = setInterval(() => this.#ping(), this.#pingIntervalMs);
    for (const streamId of this.#followed) {
      this.request({ type: 'follow', streamId }).catch((err: SignalingError) => this.emit('error', err));
    }
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    waiters.forEach((w) => w());
    this.emit('open', { reconnected });
  }

  #ping(): void {
    const t = Date.now();
    this.request({ type: 'ping', t })
      .then((pong) => (this.rttMs = Date.now() - pong.t))
      .catch(() => this.#socket?.close(4000, 'ping timeout'));
  }

  #onFrame(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return; // the protocol is binary only
    const decoded = decodeServerMessage(data);
    if (!decoded.ok) {
      console.warn(`ignored a server frame: ${decoded.reason}`);
      return;
    }
    const msg = decoded.value;
    switch (msg.type) {
      case 'stream':
        this.emit('stream', msg.stream);
        return;
      case 'layer':
        this.emit('layer', msg);
        return;
      case 'sessionClosed':
        this.emit('sessionClosed', msg);
        return;
      case 'chat':
        this.emit('chat', msg);
        return;
      case 'reactions':
        this.emit('reactions', msg);
        return;
      case 'error': {
        const err = new SignalingError(msg.status, msg.code, msg.message);
        const pending = msg.reqId === undefined ? undefined : this.#pending.get(msg.reqId);
        if (pending) {
          this.#settle(msg.reqId!);
          pending.reject(err);
        } else {
          this.emit('error', err);
        }
        return;
      }
      default: {
        const pending = this.#pending.get(msg.reqId);
        if (!pending) return; // a reply that arrived after its timeout
        this.#settle(msg.reqId);
        pending.resolve(msg);
      }
    }
  }

  #settle(reqId: number): void {
    const pending = this.#pending.get(reqId);
    if (pending) clearTimeout(pending.timer);
    this.#pending.delete(reqId);
  }

  #teardown(reason: SignalingError): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    for (const [reqId, pending] of this.#pending) {
      this.#settle(reqId);
      pending.reject(reason);
    }
  }

  #onClose(socket: WebSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#teardown(new SignalingError(0, 'socket_closed', 'the connection to the server dropped before a reply; retry'));
    if (this.#closedByUser) return;
    this.#setState('connecting');
    const delay = backoffDelay(this.#attempt++);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.connect();
    }, delay);
  }
}
