/** Renders the home page's live streams as cards linking to /watch/:id. */
import type { StreamInfo } from '../../../signaling/protocol/messages.ts';
import { h } from './element.ts';
import { formatAgo, formatViewers } from './format-time.ts';

export class StreamList {
  readonly #root: HTMLUListElement;

  constructor(root: HTMLUListElement) {
    this.#root = root;
  }

  render(streams: readonly StreamInfo[], now = Date.now()): void {
    const live = streams.filter((s) => s.state === 'live').sort((a, b) => b.viewers - a.viewers);
    this.#root.replaceChildren(...live.map((s) => this.#card(s, now)));
  }

  #card(stream: StreamInfo, now: number): HTMLLIElement {
    const thumb = h('div', { className: 'stream-card-thumb', attrs: { 'aria-hidden': 'true' } }, h('span', { className: 'badge-live', text: 'LIVE' }), h('span', { className: 'pill', text: formatViewers(stream.viewers) }), document.createTextNode('▶'));
    const meta = stream.startedAt ? `started ${formatAgo(stream.startedAt, now)}` : 'live';
    const link = h(
      'a',
      { className: 'stream-card', attrs: { href: `/watch/${encodeURIComponent(stream.id)}`, 'data-stream-id': stream.id } },
      thumb,
      h('p', { className: 'stream-card-title', text: stream.title }),
      h('p', { className: 'stream-card-meta', text: `${formatViewers(stream.viewers)} · ${meta}` }),
    );
    return h('li', {}, link);
  }
}
