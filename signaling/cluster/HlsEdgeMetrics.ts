/**
 * The edge HLS cache's Prometheus series, on the node's registry (`GET /metrics`):
 *   hls_edge_requests_total{result}          hit | miss | coalesced | rejected | error
 *   hls_edge_upstream_requests_total{kind}   requests sent to origins: master | playlist | media
 *   hls_edge_upstream_errors_total{reason}   timeout | unreachable | status | too_large
 *   hls_edge_cache_bytes / hls_edge_cache_entries
 * Without a registry (unit use) the counters still count, for the class's own getters.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EdgeResourceKind } from './hls-edge-request.ts';

export type EdgeResult = 'hit' | 'miss' | 'coalesced' | 'rejected' | 'error';
export type UpstreamErrorReason = 'timeout' | 'unreachable' | 'status' | 'too_large';

export class HlsEdgeMetrics {
  readonly #requests: Counter<'result'>;
  readonly #upstream: Counter<'kind'>;
  readonly #upstreamErrors: Counter<'reason'>;
  #upstreamTotal = 0;

  constructor(registry: Registry | undefined, cache: () => { bytes: number; entries: number }) {
    const registers = registry ? [registry] : [];
    this.#requests = new Counter({ name: 'hls_edge_requests_total', help: 'HLS requests this node proxied for streams originated elsewhere, by cache result', labelNames: ['result'], registers });
    this.#upstream = new Counter({ name: 'hls_edge_upstream_requests_total', help: 'HLS requests this node sent to origins (one per distinct resource however many viewers wait)', labelNames: ['kind'], registers });
    this.#upstreamErrors = new Counter({ name: 'hls_edge_upstream_errors_total', help: 'HLS upstream requests that failed, by reason', labelNames: ['reason'], registers });
    new Gauge({ name: 'hls_edge_cache_bytes', help: 'Bytes held by the edge HLS cache', registers, collect() { this.set(cache().bytes); } });
    new Gauge({ name: 'hls_edge_cache_entries', help: 'Entries held by the edge HLS cache', registers, collect() { this.set(cache().entries); } });
  }

  /** Upstream requests sent since start (all kinds). */
  get upstreamRequests(): number {
    return this.#upstreamTotal;
  }

  request(result: EdgeResult): void {
    this.#requests.inc({ result });
  }

  upstream(kind: EdgeResourceKind): void {
    this.#upstreamTotal++;
    this.#upstream.inc({ kind });
  }

  upstreamError(reason: UpstreamErrorReason): void {
    this.#upstreamErrors.inc({ reason });
  }
}
