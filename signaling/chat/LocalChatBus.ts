/**
 * The one-process ChatBus: the next seq is the room's newest plus one, and the event is delivered
 * back before submit() returns, so a room sequences, batches and acks exactly as it always did.
 * Reaction totals go straight back to the room that counted them.
 */
import type { ChatEvent } from '../protocol/messages.ts';
import type { ChatBus, ChatBusSink, ReactionTotals, SubmitOptions, UnsequencedEvent } from './ChatBus.ts';

export class LocalChatBus implements ChatBus {
  readonly distributed = false;
  readonly identityKey = undefined;
  #sink: ChatBusSink | undefined;
  #closed = false;

  attach(sink: ChatBusSink): void {
    if (this.#sink) throw new Error('LocalChatBus.attach: already attached; create one bus per ChatService');
    this.#sink = sink;
  }

  submit(streamId: string, event: UnsequencedEvent, options: SubmitOptions): Promise<boolean> {
    if (!this.#sink) return Promise.reject(new Error('LocalChatBus.submit before attach()'));
    const sequenced = { ...event, seq: options.floorSeq + 1 } as ChatEvent;
    this.#sink.deliver(streamId, [{ event: sequenced, ticket: options.ticket }]);
    return Promise.resolve(true);
  }

  shareReactions(streamId: string, totals: ReactionTotals): void {
    if (!this.#closed) this.#sink?.reactions(streamId, totals);
  }

  close(): void {
    this.#closed = true;
  }
}
