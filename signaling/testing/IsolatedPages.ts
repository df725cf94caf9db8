/**
 * Pages that each get their own browser context: Chromium presents video in a
 * background tab of a shared context only about once a second, which would
 * read as freezes in tests that count frames. closeAll() ends every context.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export class IsolatedPages {
  readonly #browser: Browser;
  readonly #contexts: BrowserContext[] = [];

  constructor(browser: Browser) {
    this.#browser = browser;
  }

  async newPage(): Promise<Page> {
    const context = await this.#browser.newContext();
    this.#contexts.push(context);
    return context.newPage();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  }
}
