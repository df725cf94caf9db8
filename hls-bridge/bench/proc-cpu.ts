/**
 * CPU time of a process from /proc/<pid>/stat (Linux), for the benchmarks.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux

/** User + system CPU seconds used so far, or null once the process is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Samples a process's CPU every `intervalMs`; `last` survives the process exiting. */
export class CpuSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  last = 0;

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): number {
    const s = cpuSeconds(this.#pid);
    if (s !== null) this.last = s;
    return this.last;
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.sample();
  }
}
