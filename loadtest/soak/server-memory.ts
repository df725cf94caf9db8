/**
 * The server's memory and CPU time from its `GET /metrics` (prom-client's default process and
 * Node.js metrics), read from outside so the figures are the server process's own.
 */
import { MetricsProbe } from '../metrics/MetricsProbe.ts';
import { metricSum } from '../metrics/prom-text.ts';

export interface ServerMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number | undefined;
  /** Memory of C++ objects bound to JS (Buffers: RTP packets, SRTP). */
  readonly externalBytes: number | undefined;
  readonly cpuSeconds: number | undefined;
}

export async function readServerMemory(probe: MetricsProbe): Promise<ServerMemory> {
  const reading = await probe.read();
  if (!reading) throw new Error(`could not read ${probe.url}; is the server up and serving /metrics?`);
  const rss = metricSum(reading.text, 'process_resident_memory_bytes');
  const heapUsed = metricSum(reading.text, 'nodejs_heap_size_used_bytes');
  if (rss === undefined || heapUsed === undefined) {
    throw new Error(`${probe.url} has no process_resident_memory_bytes / nodejs_heap_size_used_bytes; the platform's PlatformMetrics must collect prom-client's default metrics`);
  }
  return {
    rssBytes: rss,
    heapUsedBytes: heapUsed,
    heapTotalBytes: metricSum(reading.text, 'nodejs_heap_size_total_bytes'),
    externalBytes: metricSum(reading.text, 'nodejs_external_memory_bytes'),
    cpuSeconds: metricSum(reading.text, 'process_cpu_seconds_total'),
  };
}
