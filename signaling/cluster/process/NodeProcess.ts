/**
 * One platform node as a child process (node-entry.ts → signaling/main.ts),
 * configured through its environment like any deployment. Keeps the last
 * log lines for error messages, waits until the node is in the registry, and
 * stops it with SIGTERM (or SIGKILL, for failure tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./node-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface NodeProcessOptions {
  readonly name: string;
  readonly port: number;
  /** Environment on top of this process's (PORT is set from `port`). */
  readonly env: Record<string, string>;
  readonly maxLifetimeSeconds?: number;
  /** Copy the node's output to this process's stdout/stderr, prefixed with the name. */
  readonly echo?: boolean;
}

export class NodeProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly #child: ChildProcess;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #exited: Promise<void>;
  #log: string[] = [];

  constructor(options: NodeProcessOptions) {
    this.name = options.name;
    this.port = options.port;
    this.url = `http://127.0.0.1:${options.port}`;
    const args = ['--import', 'tsx', ENTRY, ...(options.maxLifetimeSeconds ? [String(options.maxLifetimeSeconds)] : [])];
    this.#child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...options.env, PORT: String(options.port) },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only the parent, which stops the nodes in order.
      detached: true,
    });
    const keep = (chunk: Buffer, stream: NodeJS.WriteStream): void => {
      const lines = chunk.toString().split('\n').filter(Boolean);
      this.#log.push(...lines);
      if (this.#log.length > 200) this.#log = this.#log.slice(-200);
      if (options.echo) for (const line of lines) stream.write(`[${this.name}] ${line}\n`);
    };
    this.#child.stdout?.on('data', (d: Buffer) => keep(d, process.stdout));
    this.#child.stderr?.on('data', (d: Buffer) => keep(d, process.stderr));
    this.#exited = new Promise((resolve) =>
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve();
      }),
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** The last lines the node printed (for failure messages). */
  tail(lines = 15): string {
    return this.#log.slice(-lines).join('\n');
  }

  /** Resolves once GET /api/cluster on the node lists `nodeId` (it heartbeated), or throws with its log. */
  async waitReady(nodeId: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#exit) throw new Error(`node ${this.name} exited (${this.#exit.code ?? this.#exit.signal}) before it was ready:\n${this.tail()}`);
      try {
        const res = await fetch(`${this.url}/api/cluster`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) {
          const body = (await res.json()) as { nodes: Array<{ id: string }> };
          if (body.nodes.some((n) => n.id === nodeId)) return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node ${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** SIGTERM (a clean shutdown that leaves the registry) or SIGKILL (a crash); waits for the exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', timeoutMs = 8000): Promise<void> {
    if (this.#exit) return;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops the process from running (SIGSTOP): it keeps its sockets but stops heartbeating. */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  thaw(): void {
    this.#child.kill('SIGCONT');
  }
}
