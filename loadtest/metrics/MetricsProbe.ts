/**
 * Scrapes one node's `GET /metrics` and turns counters into rates between two
 * scrapes: CPU in cores (process_cpu_seconds_total) and any other counter.
 */
import { metricSum } from './prom-text.ts';

export interface ProbeReading {
  readonly at: number;
  readonly text: string;
}

export class MetricsProbe {
  readonly url: string;
  #last: ProbeReading | undefined;

  constructor(baseUrl: string) {
    this.url = new URL('/metrics', baseUrl).href;
  }

  async read(): Promise<ProbeReading | undefined> {
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return undefined;
      return { at: performance.now(), text: await res.text() };
    } catch {
      return undefined;
    }
  }

  /** Scrapes now; returns the CPU (cores) and the named counters' rates (/s) since the previous scrape. */
  async sample(counters: readonly string[] = []): Promise<{ cpuCores: number | undefined; node: string | undefined; rates: Record<string, number> } | undefined> {
    const now = await this.read();
    if (!now) return undefined;
    const prev = this.#last;
    this.#last = now;
    const node = /\bnode="([^"]+)"/.exec(now.text)?.[1];
    if (!prev) return { cpuCores: undefined, node, rates: {} };
    const seconds = (now.at - prev.at) / 1000;
    const rate = (name: string): number => ((metricSum(now.text, name) ?? 0) - (metricSum(prev.text, name) ?? 0)) / seconds;
    return { cpuCores: rate('process_cpu_seconds_total'), node, rates: Object.fromEntries(counters.map((c) => [c, rate(c)])) };
  }
}
