/**
 * Gets a page ready to run harness code against the server: on the server's origin (so fetch()
 * to WHIP/WHEP is same-origin, no CORS needed, and 127.0.0.1 counts as a secure context for
 * getUserMedia), with the `__name` helper defined. tsx (esbuild keepNames) wraps named functions
 * inside page.evaluate callbacks in `__name(...)`, which does not exist in the browser.
 */
import type { Page } from 'playwright-core';

/** A light same-origin document: the JSON stream list (any 200 response works; an error page would not). */
const ORIGIN_PATH = '/api/streams';
const NAME_SHIM = 'globalThis.__name ??= (target) => target;';
const shimmed = new WeakSet<Page>();

export async function preparePage(page: Page, serverUrl: string): Promise<void> {
  const origin = new URL(serverUrl).origin;
  if (safeOrigin(page.url()) !== origin) {
    const res = await page.goto(origin + ORIGIN_PATH, { waitUntil: 'domcontentloaded', timeout: 15_000 });
    if (!res || !res.ok()) throw new Error(`could not open ${origin}${ORIGIN_PATH} (status ${res?.status()}); is the server running?`);
  }
  await installNameShim(page);
}

/** Defines `__name` in a page that is already where it should be (e.g. a web-client page). */
export async function installNameShim(page: Page): Promise<void> {
  if (!shimmed.has(page)) {
    shimmed.add(page);
    await page.addInitScript(NAME_SHIM);
  }
  await page.evaluate(NAME_SHIM);
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
