/**
 * The platform in a child process (server-entry.ts), for runs that measure the server's own
 * memory: its RSS and heap are not mixed with the harness's or the browsers'.
 */
import { WorkerProcess } from '../process/WorkerProcess.ts';
import type { ServerCommand, ServerEvent } from './server-messages.ts';

export interface PlatformProcessOptions {
  /** Config variables on top of startLocalPlatform's defaults (free port, quiet logs, HLS off). */
  readonly overrides?: Record<string, string>;
  /** Hard bound on the child's life, ms. */
  readonly lifetimeMs: number;
  readonly startTimeoutMs?: number;
}

export class PlatformProcess {
  readonly url: string;
  readonly #worker: WorkerProcess<ServerCommand, ServerEvent>;

  private constructor(worker: WorkerProcess<ServerCommand, ServerEvent>, url: string) {
    this.#worker = worker;
    this.url = url;
  }

  static async start(options: PlatformProcessOptions): Promise<PlatformProcess> {
    const worker = new WorkerProcess<ServerCommand, ServerEvent>(new URL('./server-entry.ts', import.meta.url), 'soak platform process');
    try {
      worker.send({ type: 'start', overrides: options.overrides ?? {}, lifetimeMs: options.lifetimeMs });
      const ready = await worker.next('ready', options.startTimeoutMs ?? 30_000);
      if (!ready.url) throw new Error(`the platform process could not start: ${ready.error ?? 'no reason given'}`);
      return new PlatformProcess(worker, ready.url);
    } catch (err) {
      worker.kill();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.#worker.pid;
  }

  get exited(): boolean {
    return this.#worker.exited;
  }

  /** Asks the platform to close cleanly; kills the process if it has not exited within graceMs. */
  async stop(graceMs = 8_000): Promise<void> {
    if (this.#worker.exited) return;
    try {
      this.#worker.send({ type: 'stop' });
      await this.#worker.next('stopped', graceMs);
    } catch {
      // Gone already, or stuck closing: stop() below kills it.
    }
    await this.#worker.stop(2_000);
  }
}
