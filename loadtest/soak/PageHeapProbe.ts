/**
 * A page's JavaScript heap through the DevTools protocol: a full GC first
 * (HeapProfiler.collectGarbage), then Runtime.getHeapUsage, so the figure is what is still
 * reachable, not where the sawtooth of short-lived garbage happens to be. That is the leak signal.
 */
import type { CDPSession, Page } from 'playwright-core';

export class PageHeapProbe {
  readonly #session: CDPSession;

  private constructor(session: CDPSession) {
    this.#session = session;
  }

  static async attach(page: Page): Promise<PageHeapProbe> {
    return new PageHeapProbe(await page.context().newCDPSession(page));
  }

  /** Used JS heap after a full GC, bytes. */
  async usedAfterGc(): Promise<number> {
    await this.#session.send('HeapProfiler.collectGarbage');
    const { usedSize } = await this.#session.send('Runtime.getHeapUsage');
    return usedSize;
  }

  async detach(): Promise<void> {
    await this.#session.detach().catch(() => undefined);
  }
}
