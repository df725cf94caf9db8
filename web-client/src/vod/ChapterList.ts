/** The chapter list: one button per chapter that seeks there; the playing one is marked. */
import type { VodChapter } from '../../../signaling/protocol/messages.ts';
import { h } from '../ui/element.ts';
import { formatClock } from './format-clock.ts';

export class ChapterList {
  readonly #list: HTMLOListElement;
  readonly #onSeek: (sec: number) => void;
  #chapters: readonly VodChapter[] = [];
  #items: HTMLLIElement[] = [];
  #current = -1;

  constructor(list: HTMLOListElement, onSeek: (sec: number) => void) {
    this.#list = list;
    this.#onSeek = onSeek;
  }

  render(chapters: readonly VodChapter[]): void {
    const same = chapters.length === this.#chapters.length && chapters.every((c, i) => c.startSec === this.#chapters[i]?.startSec && c.title === this.#chapters[i]?.title);
    if (same) return;
    this.#chapters = chapters;
    this.#current = -1;
    this.#items = chapters.map((c) => {
      const button = h('button', { className: 'vod-chapter', attrs: { type: 'button', 'data-start': String(c.startSec) } }, h('span', { className: 'vod-chapter-time', text: formatClock(c.startSec) }), h('span', { className: 'vod-chapter-title', text: c.title }));
      button.addEventListener('click', () => this.#onSeek(c.startSec));
      return h('li', {}, button);
    });
    this.#list.replaceChildren(...this.#items);
  }

  /** Marks the chapter playing at `sec`. */
  update(sec: number): void {
    let index = -1;
    for (let i = 0; i < this.#chapters.length; i++) if (this.#chapters[i]!.startSec <= sec + 0.05) index = i;
    if (index === this.#current) return;
    this.#items[this.#current]?.classList.remove('is-current');
    this.#items[index]?.classList.add('is-current');
    this.#current = index;
  }
}
