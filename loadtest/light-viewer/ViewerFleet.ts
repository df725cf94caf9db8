/**
 * N light viewers spread over several child processes (viewer-worker.ts), so the server process
 * measures only its own CPU. start() ramps them up and resolves when every process reports
 * ready; snapshot() sums their counters; stop() collects per-viewer reports and ends the processes.
 */
import { WorkerProcess } from '../process/WorkerProcess.ts';
import type { LightViewerReport } from './LightViewer.ts';
import { addTotals, EMPTY_TOTALS, type FleetCommand, type FleetEvent, type FleetTotals } from './fleet-messages.ts';

export interface ViewerFleetOptions {
  readonly whepUrl: string;
  readonly viewers: number;
  /** Child processes to spread the viewers over (default: one per 100 viewers, at most 4). */
  readonly processes?: number;
  /** Viewers negotiating at once per process (default 4). */
  readonly connectConcurrency?: number;
  readonly connectTimeoutMs?: number;
  /** Hard bound on each child's life, ms (default 180 s): it exits by itself after that. */
  readonly lifetimeMs?: number;
}

export interface FleetReady {
  readonly connected: number;
  readonly failed: number;
  readonly errors: readonly string[];
}

const WORKER_URL = new URL('./viewer-worker.ts', import.meta.url);
const IPC_TIMEOUT_MS = 10_000;

export class ViewerFleet {
  readonly #workers: WorkerProcess<FleetCommand, FleetEvent>[];
  readonly #opts: Required<ViewerFleetOptions>;

  private constructor(opts: Required<ViewerFleetOptions>) {
    this.#opts = opts;
    this.#workers = Array.from({ length: opts.processes }, (_, i) => new WorkerProcess<FleetCommand, FleetEvent>(WORKER_URL, `light-viewer worker ${i}`));
  }

  /** Forks the processes and connects every viewer; resolves once all processes are ready (some viewers may have failed). */
  static async start(options: ViewerFleetOptions): Promise<{ fleet: ViewerFleet; ready: FleetReady }> {
    if (!(options.viewers >= 1)) throw new RangeError(`a fleet needs at least 1 viewer, got ${options.viewers}`);
    const opts: Required<ViewerFleetOptions> = {
      processes: Math.min(4, Math.ceil(options.viewers / 100)),
      connectConcurrency: 4,
      connectTimeoutMs: 15_000,
      lifetimeMs: 180_000,
      ...options,
    };
    const processes = Math.max(1, Math.min(opts.processes, opts.viewers));
    const fleet = new ViewerFleet({ ...opts, processes });
    try {
      const ready = await fleet.#startAll();
      return { fleet, ready };
    } catch (err) {
      fleet.kill();
      throw err;
    }
  }

  get processIds(): (number | undefined)[] {
    return this.#workers.map((w) => w.pid);
  }

  async snapshot(): Promise<FleetTotals> {
    const parts = await Promise.all(
      this.#workers.map(async (w) => {
        w.send({ type: 'snapshot' });
        return (await w.next('snapshot', IPC_TIMEOUT_MS)).totals;
      }),
    );
    return parts.reduce(addTotals, EMPTY_TOTALS);
  }

  /** Closes every viewer (WHEP DELETE + peer connection), returns their reports, ends the processes. */
  async stop(): Promise<LightViewerReport[]> {
    const reports = await Promise.all(
      this.#workers.map(async (w) => {
        try {
          if (w.exited) return [];
          w.send({ type: 'stop' });
          return [...(await w.next('report', 30_000)).viewers];
        } catch {
          return [];
        } finally {
          await w.stop(5_000);
        }
      }),
    );
    return reports.flat();
  }

  /** Last resort on errors: SIGKILL every process without waiting for reports. */
  kill(): void {
    for (const w of this.#workers) w.kill();
  }

  async #startAll(): Promise<FleetReady> {
    const n = this.#workers.length;
    const base = Math.floor(this.#opts.viewers / n);
    const extra = this.#opts.viewers % n;
    // The ramp takes longer with more viewers per process: allow each its connect timeout, in lanes.
    const perProcess = base + (extra ? 1 : 0);
    const readyTimeout = IPC_TIMEOUT_MS + Math.ceil(perProcess / this.#opts.connectConcurrency) * this.#opts.connectTimeoutMs;
    const results = await Promise.all(
      this.#workers.map(async (w, i) => {
        w.send({
          type: 'start',
          whepUrl: this.#opts.whepUrl,
          viewers: base + (i < extra ? 1 : 0),
          connectConcurrency: this.#opts.connectConcurrency,
          connectTimeoutMs: this.#opts.connectTimeoutMs,
          lifetimeMs: this.#opts.lifetimeMs,
        });
        return w.next('ready', readyTimeout);
      }),
    );
    return {
      connected: results.reduce((s, r) => s + r.connected, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      errors: [...new Set(results.flatMap((r) => r.errors))].slice(0, 5),
    };
  }
}
