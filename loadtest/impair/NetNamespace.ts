/**
 * A network namespace joined to the host by a veth pair, for running a browser behind a
 * bandwidth limit (tc tbf; this kernel has no netem: loss/delay go through UdpRelay).
 * Each instance gets unique names and its own /30 subnet: the host side is hostAddress, the
 * namespace side nsAddress. The limit shapes what leaves the namespace (the uplink: a publisher's
 * media) and, optionally, what enters it (the downlink). Every namespace is deleted by close(),
 * by a failed create(), and, as a last resort, when the process exits.
 * Needs root (ip netns); NetNamespace.probe() says whether this machine allows it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RateLimit {
  readonly kbps: number;
  /** Token bucket size, bytes; default: 20 ms at the rate, at least 4 KiB (one frame burst of a few packets). */
  readonly burstBytes?: number;
  /** Longest a packet may wait in the queue before tbf drops it, ms (the bottleneck's buffer). Default 150. */
  readonly queueMs?: number;
}

export type Direction = 'up' | 'down';

const live = new Set<string>();
let exitHookInstalled = false;
let counter = 0;

export class NetNamespace {
  readonly name: string;
  /** Host end of the veth pair: where servers listen for the namespace. */
  readonly hostAddress: string;
  /** Namespace end. */
  readonly nsAddress: string;
  readonly hostInterface: string;
  readonly nsInterface: string;
  #closed = false;

  private constructor(name: string, index: number) {
    this.name = name;
    this.hostInterface = `${name}h`;
    this.nsInterface = `${name}n`;
    // 10.201.0.0/16 in /30 slices: .1 host, .2 namespace.
    const base = (index % 16_384) * 4;
    this.hostAddress = `10.201.${base >> 8}.${(base & 0xff) + 1}`;
    this.nsAddress = `10.201.${base >> 8}.${(base & 0xff) + 2}`;
  }

  /** Creates the namespace and its link, both up; throws (having removed what it made) when ip refuses. */
  static async create(): Promise<NetNamespace> {
    const index = ((process.pid % 1000) * 16 + counter++) % 16_384;
    // Interface names are limited to 15 characters: "lsi" + 5 digits + "h"/"n".
    const ns = new NetNamespace(`lsi${String(index).padStart(5, '0')}`, index);
    installExitHook();
    live.add(ns.name);
    try {
      await ns.#cleanupStale();
      await ip('netns', 'add', ns.name);
      await ip('link', 'add', ns.hostInterface, 'type', 'veth', 'peer', 'name', ns.nsInterface);
      await ip('link', 'set', ns.nsInterface, 'netns', ns.name);
      await ip('addr', 'add', `${ns.hostAddress}/30`, 'dev', ns.hostInterface);
      await ip('link', 'set', ns.hostInterface, 'up');
      await ip('-n', ns.name, 'addr', 'add', `${ns.nsAddress}/30`, 'dev', ns.nsInterface);
      await ip('-n', ns.name, 'link', 'set', ns.nsInterface, 'up');
      await ip('-n', ns.name, 'link', 'set', 'lo', 'up');
    } catch (err) {
      await ns.close();
      throw err;
    }
    return ns;
  }

  /** Whether namespaces can be made here; the reason when not (tests skip with it). */
  static async probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
    if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (ip netns add)' };
    try {
      const ns = await NetNamespace.create();
      await ns.close();
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `ip netns is not usable here: ${firstLine(err)}` };
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sets (or changes, at runtime) a tbf limit on one direction; 'up' = leaving the namespace. */
  async setRate(limit: RateLimit, direction: Direction = 'up'): Promise<void> {
    if (!(limit.kbps > 0)) throw new TypeError(`rate must be > 0 kbps (got ${limit.kbps}); use clearRate() to lift the limit`);
    const burst = limit.burstBytes ?? Math.max(4096, Math.round((limit.kbps * 1000 * 0.02) / 8));
    const args = ['qdisc', 'replace', 'dev', this.#interface(direction), 'root', 'tbf', 'rate', `${limit.kbps}kbit`, 'burst', String(burst), 'latency', `${limit.queueMs ?? 150}ms`];
    await this.#tc(direction, args);
  }

  /** Removes the limit of one direction (no error when there is none). */
  async clearRate(direction: Direction = 'up'): Promise<void> {
    await this.#tc(direction, ['qdisc', 'del', 'dev', this.#interface(direction), 'root']).catch(() => undefined);
  }

  /** Runs a command inside the namespace (e.g. ['ping', '-c1', host]); resolves with stdout. */
  async exec(command: readonly string[]): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', this.name, ...command], { timeout: 30_000 });
    return stdout;
  }

  /** Deletes the namespace (its veth end goes with it, and so does the host end). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await ip('netns', 'del', this.name).catch(() => undefined);
    await ip('link', 'del', this.hostInterface).catch(() => undefined);
    live.delete(this.name);
  }

  #interface(direction: Direction): string {
    return direction === 'up' ? this.nsInterface : this.hostInterface;
  }

  async #tc(direction: Direction, args: string[]): Promise<void> {
    if (this.#closed) throw new Error(`namespace ${this.name} is closed`);
    if (direction === 'up') await run('ip', ['netns', 'exec', this.name, 'tc', ...args], { timeout: 10_000 });
    else await run('tc', args, { timeout: 10_000 });
  }

  /** A previous run killed with SIGKILL may have left the same names behind. */
  async #cleanupStale(): Promise<void> {
    await ip('netns', 'del', this.name).catch(() => undefined);
    await ip('link', 'del', this.hostInterface).catch(() => undefined);
  }
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || firstLine(err)}`);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of live) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5_000 });
        execFileSync('ip', ['link', 'del', `${name}h`], { stdio: 'ignore', timeout: 5_000 });
      } catch {
        // already gone
      }
    }
  });
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
