/**
 * The platform as a real child process (signaling/main.ts), for tests about what survives
 * `kill -9`: the ledger, the VOD job. Resolves once the boot banner prints its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

const running = new Set<ChildProcess>();

/** Starts signaling/main.ts on a free HTTP port and a random 100-port RTC range; `env` adds or overrides variables. */
export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 30_000): Promise<ServerProcess> {
  const rtcBase = 30_000 + Math.floor(Math.random() * 50) * 100;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', RTC_MIN_PORT: String(rtcBase), RTC_MAX_PORT: String(rtcBase + 99), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its URL within ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Home \(live streams\):\s+(http:\/\/[^/\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  return { child, url };
}

/** SIGKILLs every server process still running (call from `after`). */
export function killServerProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}
