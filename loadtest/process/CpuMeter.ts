/**
 * CPU time of this process (user + system, all threads) and busy share of the whole machine over
 * a window. The fan-out benchmark runs the server in-process, so this process's figure is the
 * server's cost; the machine figure shows whether load generators saturated the box.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface CpuMark {
  readonly wallMs: number;
  readonly process: NodeJS.CpuUsage;
  readonly machine: { readonly busyMs: number; readonly totalMs: number };
  readonly elu: ReturnType<typeof performance.eventLoopUtilization>;
}

export interface CpuWindow {
  readonly wallMs: number;
  /** This process's CPU time in the window, µs. */
  readonly processCpuUs: number;
  /** processCpuUs as a share of one core, %. */
  readonly processCorePct: number;
  /** Busy share of all the machine's cores, %. */
  readonly machineBusyPct: number;
  /** Event-loop utilization of this process's main thread, 0..1. */
  readonly eventLoopUtilization: number;
}

export class CpuMeter {
  static mark(): CpuMark {
    return { wallMs: performance.now(), process: process.cpuUsage(), machine: machineTimes(), elu: performance.eventLoopUtilization() };
  }

  static since(start: CpuMark): CpuWindow {
    const end = CpuMeter.mark();
    const wallMs = end.wallMs - start.wallMs;
    const processCpuUs = end.process.user - start.process.user + (end.process.system - start.process.system);
    const busy = end.machine.busyMs - start.machine.busyMs;
    const total = end.machine.totalMs - start.machine.totalMs;
    return {
      wallMs,
      processCpuUs,
      processCorePct: wallMs > 0 ? (processCpuUs / 1000 / wallMs) * 100 : 0,
      machineBusyPct: total > 0 ? (busy / total) * 100 : 0,
      eventLoopUtilization: performance.eventLoopUtilization(end.elu, start.elu).utilization,
    };
  }
}

function machineTimes(): { busyMs: number; totalMs: number } {
  let busyMs = 0;
  let totalMs = 0;
  for (const c of cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.irq + t.idle;
    totalMs += all;
    busyMs += all - t.idle;
  }
  return { busyMs, totalMs };
}
