/**
 * The streamer's "chapter here" control on the go-live page: while live, an optional title
 * and a button that marks the current moment (POST /api/streams/:id/chapters with the
 * stream key, at the publisher's capture clock). Marks made are kept in window.__chapters
 * for tests.
 */
import { setText } from '../ui/element.ts';

export interface ChapterMarkerElements {
  readonly row: HTMLElement;
  readonly input: HTMLInputElement;
  readonly button: HTMLButtonElement;
  /** The live stream (id and key), or null when not live. */
  readonly stream: () => { readonly id: string; readonly streamKey: string } | null;
}

export interface MarkedChapter {
  readonly streamTime: number;
  readonly title: string | null;
}

export class ChapterMarker {
  readonly #el: ChapterMarkerElements;
  readonly marks: MarkedChapter[] = [];
  #busy = false;

  constructor(elements: ChapterMarkerElements) {
    this.#el = elements;
    (window as unknown as Record<string, unknown>)['__chapters'] = this.marks;
    elements.button.addEventListener('click', () => void this.mark());
    elements.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void this.mark();
    });
  }

  /** Shows the control only while live. */
  refresh(): void {
    this.#el.row.hidden = this.#el.stream() === null;
  }

  async mark(): Promise<void> {
    const stream = this.#el.stream();
    if (!stream || this.#busy) return;
    this.#busy = true;
    this.#el.button.disabled = true;
    const title = this.#el.input.value.trim();
    // The moment of the press, on the clock the published video is stamped with.
    const streamTime = Date.now();
    try {
      const res = await fetch(`/api/streams/${encodeURIComponent(stream.id)}/chapters`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stream.streamKey}` },
        body: JSON.stringify({ streamTime, ...(title ? { title } : {}) }),
      });
      if (!res.ok) throw new Error(`${res.status}: ${(await res.text()).slice(0, 200)}`);
      const saved = (await res.json()) as MarkedChapter;
      this.marks.push(saved);
      this.#el.input.value = '';
      this.#flash('Marked ✓');
    } catch (err) {
      this.#flash('Not marked');
      console.warn(`chapter mark failed: ${(err as Error).message}`);
    } finally {
      this.#busy = false;
      this.#el.button.disabled = false;
    }
  }

  #flash(text: string): void {
    const label = 'Mark chapter';
    setText(this.#el.button, text);
    setTimeout(() => setText(this.#el.button, label), 1500);
  }
}
