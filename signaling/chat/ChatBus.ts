/**
 * The seam between a room and where its order is decided. A room hands each new event to the
 * bus; the bus gives it the room's next seq and hands it back, in seq order, to the room's copy
 * on every node (this one included), which stores it, fans it out to its own sockets through its
 * uWS topic and acks the sender. Reaction window totals take the same way out and back, so each
 * node can show the totals of every node.
 *
 * LocalChatBus: one process, today's behaviour (seq assigned at once, delivered in the same call).
 * RedisChatBus: a cluster; one Redis stream is the order, every node consumes it.
 */
import type { ChatEvent } from '../protocol/messages.ts';
import type { ReactionTotals } from './ReactionWindow.ts';

export type { ReactionTotals };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event before it has a place in the room's order. */
export type UnsequencedEvent = DistributiveOmit<ChatEvent, 'seq'>;

/** A sequenced event as delivered back; `ticket` is set only on the node that submitted it. */
export interface DeliveredEvent {
  readonly event: ChatEvent;
  readonly ticket: number | undefined;
}

export interface SubmitOptions {
  /** Identifies this submission on this node, so the room can ack its sender when the event comes back. */
  readonly ticket: number;
  /** Newest seq this node's copy of the room knows: the order never hands out a seq at or below it. */
  readonly floorSeq: number;
  /** Submit at most once per key in the whole cluster (a donation's idempotency key); undefined: no such guard. */
  readonly onceKey?: string;
}

/** Where a bus hands back what it ordered (ChatService). */
export interface ChatBusSink {
  /** Events of one room in seq order, each exactly once per node. */
  deliver(streamId: string, events: readonly DeliveredEvent[]): void;
  /** A room's reaction totals for one window (every node's taps, on a cluster bus). */
  reactions(streamId: string, totals: ReactionTotals): void;
}

export interface ChatBus {
  /** True when other processes also submit to the same rooms (a room copy here may trail the order by a moment). */
  readonly distributed: boolean;
  /** The HMAC key for chat identity tokens shared by every node, when the bus has one (else the local key is used). */
  readonly identityKey: Buffer | undefined;
  /** Called once, by ChatService, before the first submit. */
  attach(sink: ChatBusSink): void;
  /**
   * Puts an event in its room's order. Resolves once the order holds it (every node will get it);
   * rejects when it could not be ordered (nothing was delivered); resolves `false` when `onceKey` was
   * already used. LocalChatBus delivers before returning.
   */
  submit(streamId: string, event: UnsequencedEvent, options: SubmitOptions): Promise<boolean>;
  /** This node's reaction totals for one of its windows. */
  shareReactions(streamId: string, totals: ReactionTotals): void;
  /** Stops delivering. Idempotent. */
  close(): void;
}
