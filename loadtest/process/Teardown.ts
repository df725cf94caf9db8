/**
 * Cleanup stack for benchmarks: everything started (server, browser, worker processes) registers
 * how to stop it; run() stops them in reverse order, each step bounded in time, whether the run
 * ended normally, threw, hit its overall time bound, or got SIGINT/SIGTERM.
 */

type Step = { readonly label: string; readonly fn: () => Promise<unknown> | unknown };

export class Teardown {
  readonly #steps: Step[] = [];
  #running: Promise<void> | undefined;
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping everything started\n`);
    void this.run().finally(() => process.exit(130));
  };

  /** Also runs on SIGINT/SIGTERM, then exits. */
  constructor() {
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
  }

  add(label: string, fn: () => Promise<unknown> | unknown): void {
    this.#steps.push({ label, fn });
  }

  /**
   * Exits the process (after running the steps) if the work has not finished within ms. The timer
   * does not keep the process alive by itself.
   */
  boundTotalTime(ms: number, what: string): void {
    setTimeout(() => {
      process.stderr.write(`${what} exceeded its ${Math.round(ms / 1000)} s bound; stopping\n`);
      void this.run().finally(() => process.exit(1));
    }, ms).unref();
  }

  /** Runs every step once, newest first; each gets at most stepTimeoutMs. Idempotent. */
  run(stepTimeoutMs = 10_000): Promise<void> {
    this.#running ??= (async () => {
      process.off('SIGINT', this.#onSignal);
      process.off('SIGTERM', this.#onSignal);
      for (const step of this.#steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.fn),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${stepTimeoutMs} ms`)), stepTimeoutMs);
            }),
          ]);
        } catch (err) {
          process.stderr.write(`cleanup "${step.label}" failed: ${err instanceof Error ? err.message : String(err)}\n`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.#running;
  }
}
