/**
 * Tiny DOM builders. Text always goes in through textContent, so titles and
 * other user-provided strings can never inject markup.
 */

type Props = { className?: string; text?: string; attrs?: Record<string, string>; hidden?: boolean };

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.hidden) el.hidden = true;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** The element with `id`, or a clear error naming the page template that lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from ${location.pathname}'s HTML: rebuild web-client (npm run build:web)`);
  return el as T;
}

/** Sets text only when it changed (avoids layout work on frequent updates). */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
