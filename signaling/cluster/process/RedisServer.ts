/**
 * A redis-server child process (Debian's binary) on a given port, without
 * persistence: what `npm run start:cluster` starts when no Redis runs, and
 * what the cluster tests start on a random port. stop() ends it; a lifetime
 * bound (via coreutils `timeout`) ends it even if this process is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';

export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

export interface RedisServerOptions {
  readonly port: number;
  /** Bound on the server's life in seconds (tests); undefined: until stop(). */
  readonly maxLifetimeSeconds?: number;
}

export class RedisServer {
  readonly port: number;
  readonly #child: ChildProcess;
  #exited = false;
  #log = '';

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    child.stdout?.on('data', (d: Buffer) => (this.#log = (this.#log + d.toString()).slice(-4000)));
    child.once('exit', () => (this.#exited = true));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  static async start(options: RedisServerOptions): Promise<RedisServer> {
    if (!existsSync(REDIS_SERVER_PATH)) throw new Error(`redis-server not found at ${REDIS_SERVER_PATH}; install it with: apt-get install -y redis-server`);
    const args = ['--port', String(options.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
    const child =
      options.maxLifetimeSeconds !== undefined
        ? spawn('timeout', ['-s', 'KILL', String(options.maxLifetimeSeconds), REDIS_SERVER_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(REDIS_SERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new RedisServer(child, options.port);
    const deadline = Date.now() + 5000;
    while (!(await isRedisAnswering(options.port))) {
      if (server.#exited || Date.now() > deadline) {
        server.stop();
        throw new Error(`redis-server did not start on port ${options.port}: ${server.#log.trim().split('\n').slice(-3).join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  /**
   * Stops the server and waits for it to exit. SIGTERM, because `timeout` (the
   * lifetime bound) passes it on to redis-server, where a SIGKILL would only
   * kill `timeout` and orphan the server; redis exits at once without persistence.
   */
  async stop(): Promise<void> {
    if (!this.#exited) {
      const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
  }
}

/** True when something answers PING with +PONG on 127.0.0.1:port. */
export function isRedisAnswering(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
