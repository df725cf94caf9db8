/**
 * This node's Prometheus metrics (prom-client), served at `GET /metrics`:
 * publishers, viewers per tier, forwarded packets and bytes, NACKs, PLIs,
 * keyframe wait, pipes, placements, chat deliveries, glass-to-glass delay
 * reported by watch pages, and the default process metrics (CPU, memory,
 * event-loop lag). Media counters come from MediaSampler at scrape time, so
 * the packet path stays free of metric code. One registry per platform, so
 * several platforms in one test process do not collide.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Sfu } from '../../sfu/Sfu.ts';
import { DelaySamples } from './DelaySamples.ts';
import { MediaSampler, type MediaTotals, type PipeSource } from './MediaSampler.ts';

export interface PlatformMetricsOptions {
  readonly sfu: Sfu;
  /** 'standalone' on one box; the node's cluster role otherwise (the `tier` label). */
  readonly role: 'standalone' | 'origin' | 'edge';
  readonly nodeId: string;
  /** Open viewer sessions signalled by this node (WHEP + /ws), including ones served elsewhere. */
  readonly viewerSessions: () => number;
}

const DELAY_BUCKETS = [0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2, 5];

export class PlatformMetrics {
  readonly registry = new Registry();
  readonly sampler: MediaSampler;
  readonly delays = new DelaySamples(60_000);
  readonly #placements: Counter<'target'>;
  readonly #chatDeliveries: Counter;
  readonly #delay: Histogram;
  readonly #firstFrame: Histogram;
  readonly #options: PlatformMetricsOptions;

  constructor(options: PlatformMetricsOptions) {
    this.#options = options;
    const registry = this.registry;
    registry.setDefaultLabels({ node: options.nodeId, role: options.role });
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

    const keyframeWait = new Histogram({
      name: 'media_keyframe_wait_seconds',
      help: 'Time a new video consumer waited for its first keyframe (±0.2 s sampling)',
      buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers: [registry],
    });
    this.sampler = new MediaSampler(options.sfu, { onKeyframeWait: (s) => keyframeWait.observe(s) });
    const sampler = this.sampler;
    const gauges = sampler.gauges;

    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('live_publishers', 'Publisher connections on this node', () => gauges.publishers);
    gauge('live_relayed_streams', 'Streams this node receives over a pipe', () => gauges.relays);
    gauge('cluster_pipes_out', 'Pipes sending streams from this node', () => gauges.pipesOut);
    gauge('cluster_pipes_in', 'Pipes bringing streams into this node', () => gauges.pipesIn);
    gauge('media_egress_bits_per_second', 'Media sent to viewers and pipes, last second', () => gauges.egressBps);
    gauge('process_cpu_cores', 'Process CPU over the last second, in cores', () => gauges.cpuCores);
    new Gauge({
      name: 'live_viewers',
      help: 'Viewers by tier: peer connections served by this node (tier = its role), and viewer sessions it signals (tier="signalled")',
      labelNames: ['tier'],
      registers: [registry],
      collect() {
        sampler.sample();
        this.set({ tier: options.role }, gauges.viewerTransports);
        this.set({ tier: 'signalled' }, options.viewerSessions());
      },
    });

    const counter = (name: string, help: string, key: keyof MediaTotals): void => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const total = sampler.totals[key];
          if (total > reported) this.inc(total - reported);
          reported = total;
        },
      });
    };
    counter('media_forwarded_packets_total', 'RTP packets forwarded to viewers', 'forwardedPackets');
    counter('media_forwarded_bytes_total', 'RTP payload bytes forwarded to viewers', 'forwardedBytes');
    counter('media_retransmitted_packets_total', 'Packets resent to viewers from the SFU cache (NACK answers)', 'retransmits');
    counter('media_nacks_sent_total', 'NACKs sent upstream (to publishers or up a pipe)', 'nacksSent');
    counter('media_plis_sent_total', 'Keyframe requests (PLI) sent upstream after throttling', 'plisSent');
    counter('media_keyframe_requests_total', 'Keyframe requests received from viewers, joins and layer switches', 'keyframeRequests');
    counter('cluster_pipe_packets_sent_total', 'RTP packets sent into pipes', 'pipePacketsOut');
    counter('cluster_pipe_bytes_sent_total', 'Bytes sent into pipes', 'pipeBytesOut');
    counter('cluster_pipe_packets_received_total', 'RTP packets received from pipes', 'pipePacketsIn');
    counter('cluster_pipe_dropped_unknown_peer_total', 'Pipe datagrams dropped because they came from an unknown peer', 'pipeDroppedUnknownPeer');

    this.#placements = new Counter({
      name: 'cluster_placements_total',
      help: 'Viewers placed by this node, on itself or on another node',
      labelNames: ['target'],
      registers: [registry],
    });
    this.#chatDeliveries = new Counter({ name: 'chat_deliveries_total', help: 'Chat frames delivered to sockets on this node', registers: [registry] });
    this.#delay = new Histogram({
      name: 'viewer_glass_to_glass_delay_seconds',
      help: 'Glass-to-glass delay measured by watch pages (frame clock) and reported to this node',
      buckets: DELAY_BUCKETS,
      registers: [registry],
    });
    this.#firstFrame = new Histogram({
      name: 'viewer_first_frame_seconds',
      help: 'Time to first frame reported by watch pages',
      buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers: [registry],
    });
  }

  setPipes(pipes: PipeSource): void {
    this.sampler.setPipes(pipes);
  }

  notePlacement(self: boolean): void {
    this.#placements.inc({ target: self ? 'self' : 'remote' });
  }

  noteChatDeliveries(n: number): void {
    if (n > 0) this.#chatDeliveries.inc(n);
  }

  /** Delays (ms) a watch page measured; first frame (ms) once per page. */
  noteViewerReport(delaysMs: readonly number[], firstFrameMs: number | undefined): void {
    for (const d of delaysMs) this.#delay.observe(d / 1000);
    this.delays.add(delaysMs);
    if (firstFrameMs !== undefined) this.#firstFrame.observe(firstFrameMs / 1000);
  }

  /** This node as the dashboard's `/api/cluster` shows a node (the one-box platform has no registry). */
  localOverview(): { self: string; healthy: boolean; at: number; nodes: unknown[] } {
    const sampler = this.sampler;
    sampler.sample();
    const g = sampler.gauges;
    const node = {
      id: this.#options.nodeId,
      role: this.#options.role,
      parent: null,
      capacity: 0,
      load: { viewers: g.viewerTransports, cpu: g.cpuCores, egressBps: g.egressBps, pipesOut: g.pipesOut, pipesIn: g.pipesIn },
      streams: sampler.streams,
      delay: this.delays.summary(),
    };
    return { self: node.id, healthy: true, at: Date.now(), nodes: [node] };
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.sampler.close();
    this.registry.clear();
  }
}
