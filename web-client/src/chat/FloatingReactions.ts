/**
 * Floating emojis over the video: each aggregated `reactions` message is held until this
 * viewer's playhead reaches its stream time, then drawn as a few emojis rising from the
 * bottom corner, their number growing with the count but capped, so a burst of thousands
 * of taps stays a handful of DOM nodes.
 */
import type { ReactionEmoji, ServerMessageOf } from '../../../signaling/protocol/messages.ts';
import { h } from '../ui/element.ts';
import type { ChatClient } from './ChatClient.ts';
import type { ChatHook } from './chat-hook.ts';
import { HoldBackQueue } from './HoldBackQueue.ts';
import type { Playhead } from './playhead.ts';

const MAX_PER_EMOJI_PER_WINDOW = 6;
const MAX_ON_SCREEN = 60;

export class FloatingReactions {
  readonly element: HTMLElement;
  readonly #queue = new HoldBackQueue<ServerMessageOf<'reactions'>>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #off: () => void;

  constructor(client: ChatClient, playhead: Playhead, hook: ChatHook) {
    this.element = h('div', { className: 'floating-reactions', attrs: { 'aria-hidden': 'true' } });
    this.#off = client.on('reactions', (m) => this.#queue.push(m, Date.now()));
    this.#timer = setInterval(() => {
      for (const m of this.#queue.release(playhead.current(), Date.now())) {
        for (const [emoji, count] of Object.entries(m.counts) as [ReactionEmoji, number][]) {
          hook.reactionsShown += count;
          this.#float(emoji, Math.min(MAX_PER_EMOJI_PER_WINDOW, Math.ceil(Math.log2(count + 1))), m.windowMs);
        }
      }
    }, 50);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#off();
    this.element.remove();
  }

  #float(emoji: ReactionEmoji, n: number, spreadMs: number): void {
    for (let i = 0; i < n && this.element.childElementCount < MAX_ON_SCREEN; i++) {
      const el = h('span', { className: 'floating-emoji', text: emoji });
      el.style.left = `${Math.round(Math.random() * 70)}%`;
      el.style.animationDelay = `${Math.round((i / n) * spreadMs)}ms`;
      el.addEventListener('animationend', () => el.remove());
      this.element.append(el);
    }
  }
}
