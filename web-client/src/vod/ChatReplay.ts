/**
 * Chat replay on the VOD: the stored messages appear when the player reaches the moment
 * they were written (their stream time on the VOD timeline). Playing forward appends;
 * a seek rebuilds the list up to the new position (the newest MAX_SHOWN).
 */
import type { VodChatReplay } from '../../../signaling/protocol/messages.ts';
import { h } from '../ui/element.ts';
import { formatClock } from './format-clock.ts';

type ReplayMessage = VodChatReplay['messages'][number];

const MAX_SHOWN = 200;

export interface ShownMessage {
  readonly seq: number;
  readonly vodSec: number;
  /** Player time when it appeared. */
  readonly shownAtSec: number;
}

export class ChatReplay {
  readonly #list: HTMLOListElement;
  #messages: readonly ReplayMessage[] = [];
  /** Index of the next message to show. */
  #next = 0;
  #lastSec = 0;
  /** Every message shown since the last rebuild (tests read it through the page hook). */
  readonly shown: ShownMessage[] = [];

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  setMessages(messages: readonly ReplayMessage[]): void {
    this.#messages = [...messages].sort((a, b) => a.vodSec - b.vodSec || a.seq - b.seq);
    this.#rebuild(this.#lastSec);
  }

  get count(): number {
    return this.#messages.length;
  }

  /** Call on every time update. */
  update(sec: number): void {
    if (sec < this.#lastSec - 0.5 || sec > this.#lastSec + 30) {
      this.#rebuild(sec);
      return;
    }
    this.#lastSec = sec;
    const added: HTMLLIElement[] = [];
    while (this.#next < this.#messages.length && this.#messages[this.#next]!.vodSec <= sec) {
      const m = this.#messages[this.#next++]!;
      added.push(this.#line(m));
      this.shown.push({ seq: m.seq, vodSec: m.vodSec, shownAtSec: sec });
    }
    if (added.length === 0) return;
    this.#list.append(...added);
    while (this.#list.childElementCount > MAX_SHOWN) this.#list.firstElementChild?.remove();
    this.#list.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }

  #rebuild(sec: number): void {
    this.#lastSec = sec;
    let end = 0;
    while (end < this.#messages.length && this.#messages[end]!.vodSec <= sec) end++;
    this.#next = end;
    const lines = this.#messages.slice(Math.max(0, end - MAX_SHOWN), end).map((m) => this.#line(m));
    this.#list.replaceChildren(...lines);
  }

  #line(m: ReplayMessage): HTMLLIElement {
    const children: Node[] = [h('span', { className: 'vod-chat-time', text: formatClock(m.vodSec) })];
    if (m.role !== 'viewer') children.push(h('span', { className: `chat-badge chat-badge-${m.role}`, text: m.role === 'streamer' ? 'HOST' : 'MOD' }));
    children.push(h('span', { className: 'chat-name', text: m.name }), h('span', { className: 'chat-text', text: m.text }));
    return h('li', { className: `chat-line chat-line-${m.kind}`, attrs: { 'data-seq': String(m.seq) } }, ...children);
  }
}
