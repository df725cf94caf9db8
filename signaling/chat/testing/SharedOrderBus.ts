/**
 * Several ChatServices in one process sharing one order per room, like nodes on RedisChatBus,
 * with delivery under the test's control: submit() orders at once (the room's next seq, never at
 * or below the submitter's floor; once-keys honoured), deliver() hands what was ordered to one
 * node or all, so a test can make a node trail the order. Reactions are not shared (ReactionTally has its own tests).
 */
import type { ChatEvent } from '../../protocol/messages.ts';
import type { ChatBus, ChatBusSink, SubmitOptions, UnsequencedEvent } from '../ChatBus.ts';

interface Entry {
  readonly streamId: string;
  readonly event: ChatEvent;
  readonly node: SharedOrderNode;
  readonly ticket: number;
}

export class SharedOrder {
  readonly entries: Entry[] = [];
  readonly #seqs = new Map<string, number>();
  readonly #once = new Set<string>();
  readonly nodes: SharedOrderNode[] = [];

  node(): SharedOrderNode {
    const node = new SharedOrderNode(this);
    this.nodes.push(node);
    return node;
  }

  order(streamId: string, event: UnsequencedEvent, options: SubmitOptions, node: SharedOrderNode): boolean {
    if (options.onceKey !== undefined) {
      const key = `${streamId}\n${options.onceKey}`;
      if (this.#once.has(key)) return false;
      this.#once.add(key);
    }
    const seq = Math.max(this.#seqs.get(streamId) ?? 0, options.floorSeq) + 1;
    this.#seqs.set(streamId, seq);
    this.entries.push({ streamId, event: { ...event, seq } as ChatEvent, node, ticket: options.ticket });
    return true;
  }

  /** Delivers everything ordered so far to every node. */
  deliverAll(): void {
    for (const node of this.nodes) node.deliver();
  }
}

export class SharedOrderNode implements ChatBus {
  readonly distributed = true;
  readonly identityKey = Buffer.alloc(32, 7);
  readonly #order: SharedOrder;
  #sink: ChatBusSink | undefined;
  /** Entries delivered to this node so far. */
  #position = 0;

  constructor(order: SharedOrder) {
    this.#order = order;
  }

  attach(sink: ChatBusSink): void {
    this.#sink = sink;
  }

  submit(streamId: string, event: UnsequencedEvent, options: SubmitOptions): Promise<boolean> {
    return Promise.resolve(this.#order.order(streamId, event, options, this));
  }

  /** Hands this node every entry ordered since its last delivery, each room's in order. */
  deliver(): void {
    const entries = this.#order.entries.slice(this.#position);
    this.#position = this.#order.entries.length;
    for (const e of entries) this.#sink?.deliver(e.streamId, [{ event: e.event, ticket: e.node === this ? e.ticket : undefined }]);
  }

  shareReactions(): void {}

  close(): void {}
}
