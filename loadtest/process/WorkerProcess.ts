/**
 * A forked TypeScript child process spoken to over IPC with typed messages. Benchmarks keep load
 * generators (light viewers, UDP sinks, the SRTP floor) in their own processes so the server's
 * process.cpuUsage() measures only the server. Every child is bounded: stop() waits a grace period,
 * then kills; the child itself must also exit on its own deadline or when the parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Every IPC message in loadtest/ has a string `type`. */
export interface IpcMessage {
  readonly type: string;
}

type Waiter<Out> = { readonly type: string; readonly resolve: (m: Out) => void; readonly reject: (e: Error) => void; readonly timer: NodeJS.Timeout };

export class WorkerProcess<In extends IpcMessage, Out extends IpcMessage> {
  readonly #child: ChildProcess;
  readonly #label: string;
  readonly #inbox: Out[] = [];
  readonly #waiters: Waiter<Out>[] = [];
  readonly #exited: Promise<number | null>;
  #exitCode: number | null | undefined;
  #stderrTail = '';

  /** @param moduleUrl the child's entry, e.g. `new URL('./viewer-worker.ts', import.meta.url)`. */
  constructor(moduleUrl: URL, label: string) {
    this.#label = label;
    this.#child = fork(fileURLToPath(moduleUrl), [], {
      // Load .ts through tsx whatever started the parent (tsx CLI, node --import tsx, node --test).
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      this.#stderrTail = (this.#stderrTail + chunk).slice(-2000);
    });
    this.#child.on('message', (m) => this.#deliver(m as Out));
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        this.#exitCode = code;
        const why = new Error(`${this.#label} exited (code ${code}) before answering${this.#stderrTail ? `; stderr:\n${this.#stderrTail}` : ''}`);
        for (const w of this.#waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(why);
        }
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  send(message: In): void {
    if (this.exited || !this.#child.connected) throw new Error(`${this.#label} is gone; cannot send "${message.type}"`);
    this.#child.send(message);
  }

  /** Resolves with the next message of the given type (buffered ones first), or rejects after timeoutMs / on exit. */
  next<T extends Out['type']>(type: T, timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    const i = this.#inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as Extract<Out, { type: T }>);
    if (this.exited) return Promise.reject(new Error(`${this.#label} already exited (code ${this.#exitCode}); no "${type}" will come`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const idx = this.#waiters.indexOf(waiter);
        if (idx >= 0) this.#waiters.splice(idx, 1);
        reject(new Error(`${this.#label} sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter<Out> = { type, resolve: resolve as (m: Out) => void, reject, timer };
      this.#waiters.push(waiter);
    });
  }

  /** Waits up to graceMs for the child to exit by itself, then SIGKILLs it. Always resolves. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.#child.kill('SIGKILL');
  }

  #deliver(message: Out): void {
    const i = this.#waiters.findIndex((w) => w.type === message.type);
    if (i < 0) {
      this.#inbox.push(message);
      return;
    }
    const [w] = this.#waiters.splice(i, 1);
    if (!w) return;
    clearTimeout(w.timer);
    w.resolve(message);
  }
}
