/** Donation and sub alerts on the streamer's page: one card at a time, each shown for a few seconds. */
import type { ChatEvent } from '../../../signaling/protocol/messages.ts';
import { h } from '../ui/element.ts';
import type { ChatHook } from './chat-hook.ts';

const SHOW_MS = 6000;

export class StreamerAlerts {
  readonly element: HTMLElement;
  readonly #hook: ChatHook;
  readonly #waiting: HTMLElement[] = [];
  #showing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(hook: ChatHook) {
    this.#hook = hook;
    this.element = h('div', { className: 'streamer-alerts', attrs: { role: 'status', 'aria-live': 'assertive' } });
  }

  show(event: Extract<ChatEvent, { kind: 'donation' | 'sub' }>): void {
    const { entry } = event;
    this.#hook.alerts.push({ kind: event.kind, name: entry.name, amount: entry.amount, currency: entry.currency });
    const headline = event.kind === 'donation' ? `${entry.name} donated ${entry.amount} ${entry.currency}` : `${entry.name} subscribed! Tier ${entry.tier ?? 1}, ${entry.months ?? 1} mo`;
    const card = h('div', { className: `alert-card alert-card-${event.kind}` }, h('strong', { className: 'alert-headline', text: headline }));
    if (entry.message) card.append(h('p', { className: 'alert-message', text: entry.message }));
    this.#waiting.push(card);
    this.#next();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.element.remove();
  }

  #next(): void {
    if (this.#showing) return;
    const card = this.#waiting.shift();
    if (!card) return;
    this.#showing = true;
    this.element.replaceChildren(card);
    this.#timer = setTimeout(() => {
      card.remove();
      this.#showing = false;
      this.#next();
    }, SHOW_MS);
  }
}
