/**
 * The browser end of one stream's chat room, over the page's SignalingClient: joins (as the
 * streamer when given the key), keeps the last seq it has, and after any reconnect resumes from
 * it, so the page sees every event once, in order, with nothing lost within the server's
 * history (and a 'missed' event beyond it). A gap inside the live stream (a skipped frame)
 * triggers the same resume. Also sends chat, reactions, moderation and donations/subs (with an
 * idempotency key reused across retries, so a retry never pays twice).
 */
import type { ChatEvent, ChatUser, ClientMessageOf, LedgerEntry, ModerationAction, ReactionEmoji, ServerMessageOf } from '../../../signaling/protocol/messages.ts';
import { Emitter } from '../net/Emitter.ts';
import { SignalingError, type SignalingClient } from '../net/SignalingClient.ts';
import { loadChatToken, saveChatToken } from './chat-token-store.ts';

export interface ChatClientEvents extends Record<string, unknown[]> {
  joined: [{ you: ChatUser; slowModeSeconds: number }];
  /** Replaces everything shown: a fresh join's history. */
  reset: [ChatEvent[]];
  /** New events in seq order, each delivered once. */
  events: [ChatEvent[]];
  /** Seqs the server no longer holds (a reconnect after a long gap). */
  missed: [{ fromSeq: number; toSeq: number }];
  reactions: [ServerMessageOf<'reactions'>];
  /** A request failed or the server refused something this client sent. */
  error: [SignalingError];
}

export type SupportFields =
  | { kind: 'donation'; amount: string; currency: ClientMessageOf<'donate'>['currency']; message?: string | undefined }
  | { kind: 'sub'; amount: string; currency: ClientMessageOf<'subscribe'>['currency']; tier: 1 | 2 | 3; months: number };

const SUPPORT_ATTEMPTS = 4;

export class ChatClient extends Emitter<ChatClientEvents> {
  readonly streamId: string;
  readonly #signaling: SignalingClient;
  readonly #streamKey: string | undefined;
  readonly #unsubscribe: Array<() => void> = [];
  #you: ChatUser | null = null;
  #lastSeq = 0;
  #joined = false;
  #joining: Promise<void> | null = null;
  /** Batches that arrive while a (re)join is in flight, applied after its reply. */
  #early: ServerMessageOf<'chat'>[] = [];
  #closed = false;

  constructor(signaling: SignalingClient, streamId: string, options: { streamKey?: string } = {}) {
    super();
    this.#signaling = signaling;
    this.streamId = streamId;
    this.#streamKey = options.streamKey;
  }

  get you(): ChatUser | null {
    return this.#you;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get joined(): boolean {
    return this.#joined;
  }

  start(): void {
    this.#unsubscribe.push(
      this.#signaling.on('chat', (batch) => {
        if (batch.streamId === this.streamId) this.#onBatch(batch);
      }),
      this.#signaling.on('reactions', (m) => {
        if (m.streamId === this.streamId) this.emit('reactions', m);
      }),
      this.#signaling.on('open', ({ reconnected }) => {
        // The server forgot this socket's rooms with the old socket: resume on the new one.
        if (reconnected) {
          this.#joined = false;
          void this.#join();
        }
      }),
    );
    void this.#join();
  }

  /** Sends a message stamped with the viewer's stream time; resolves with its seq. */
  async send(text: string, streamTime: number): Promise<number> {
    const ack = await this.#signaling.request({ type: 'chatSend', streamId: this.streamId, text, streamTime });
    return ack.seq;
  }

  /** Fire-and-forget; false when the socket is down (the tap is dropped, as reactions are ephemeral). */
  react(emoji: ReactionEmoji, streamTime: number): boolean {
    return this.#signaling.notify({ type: 'react', streamId: this.streamId, emoji, streamTime });
  }

  async moderate(action: ModerationAction): Promise<void> {
    await this.#signaling.request({ type: 'chatModerate', streamId: this.streamId, action });
  }

  /**
   * Records a donation or sub exactly once: one idempotency key for this payment, reused by
   * every retry after a dropped connection or timeout, so the ledger has one row whatever happens.
   */
  async support(fields: SupportFields, streamTime: number | null): Promise<LedgerEntry> {
    const idempotencyKey = crypto.randomUUID();
    const base = { streamId: this.streamId, idempotencyKey, amount: fields.amount, currency: fields.currency, ...(streamTime === null ? {} : { streamTime }) };
    for (let attempt = 1; ; attempt++) {
      try {
        const reply =
          fields.kind === 'donation'
            ? await this.#signaling.request({ type: 'donate', ...base, ...(fields.message ? { message: fields.message } : {}) })
            : await this.#signaling.request({ type: 'subscribe', ...base, tier: fields.tier, months: fields.months });
        return reply.entry;
      } catch (err) {
        const transient = err instanceof SignalingError && (err.status === 0 || err.status >= 500);
        if (!transient || attempt >= SUPPORT_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  /** Leaves the room (best effort) and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe.splice(0).forEach((off) => off());
    if (this.#joined) this.#signaling.request({ type: 'chatLeave', streamId: this.streamId }).catch(() => undefined);
  }

  #join(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#joining ??= this.#doJoin().finally(() => (this.#joining = null));
    return this.#joining;
  }

  async #doJoin(): Promise<void> {
    const resume = this.#lastSeq > 0;
    const token = loadChatToken();
    try {
      const reply = await this.#signaling.request({
        type: 'chatJoin',
        streamId: this.streamId,
        historyLimit: 50,
        ...(resume ? { lastSeq: this.#lastSeq } : {}),
        ...(token ? { token } : {}),
        ...(this.#streamKey ? { streamKey: this.#streamKey } : {}),
      });
      if (this.#closed) return;
      saveChatToken(reply.token);
      this.#you = reply.you;
      this.#joined = true;
      this.emit('joined', { you: reply.you, slowModeSeconds: reply.slowModeSeconds });
      if (!resume || reply.lastSeq < this.#lastSeq) {
        // Fresh join, or the server cannot resume this seq (its history was reset): start over.
        this.#lastSeq = reply.lastSeq;
        this.emit('reset', reply.events);
      } else {
        if (reply.missed) this.emit('missed', reply.missed);
        this.#deliver(reply.events);
        this.#lastSeq = Math.max(this.#lastSeq, reply.lastSeq);
      }
      const early = this.#early.splice(0);
      for (const batch of early) this.#onBatch(batch);
    } catch (err) {
      this.#early = [];
      if (err instanceof SignalingError) {
        this.emit('error', err);
        // Socket trouble: the 'open' after the reconnect joins again.
        if (err.status !== 0) return;
      }
    }
  }

  #onBatch(batch: ServerMessageOf<'chat'>): void {
    if (!this.#joined || this.#joining) {
      this.#early.push(batch);
      return;
    }
    const first = batch.events[0]!;
    if (first.seq > this.#lastSeq + 1) {
      // A frame went missing (the server skipped this slow socket): fetch the gap by resuming.
      this.#joined = false;
      void this.#join();
      return;
    }
    this.#deliver(batch.events);
  }

  #deliver(events: readonly ChatEvent[]): void {
    const fresh = events.filter((e) => e.seq > this.#lastSeq);
    if (fresh.length === 0) return;
    this.#lastSeq = fresh.at(-1)!.seq;
    this.emit('events', fresh);
  }
}
