/** The watch page's ?debug=1 panel: aligned key/value lines in a <pre>. */
import { setText } from './element.ts';

export class DebugOverlay {
  readonly #el: HTMLElement;

  constructor(el: HTMLElement, visible: boolean) {
    this.#el = el;
    el.hidden = !visible;
  }

  get visible(): boolean {
    return !this.#el.hidden;
  }

  show(rows: ReadonlyArray<readonly [string, string | number | null]>): void {
    if (!this.visible) return;
    const width = Math.max(...rows.map(([k]) => k.length));
    setText(this.#el, rows.map(([k, v]) => `${k.padEnd(width)}  ${v ?? '–'}`).join('\n'));
  }
}
