/**
 * Samples the media plane every TICK_MS by walking the SFU's routers, so the
 * per-packet path carries no metric code: counters are the growth of each
 * consumer's, producer layer's and pipe's own counters since the last tick
 * (an object that closes between two ticks loses at most one tick of counts).
 * Also derives the node's load for the cluster heartbeat (viewers, CPU,
 * egress) and how long new video consumers wait for their first keyframe.
 */
import type { PipeTransportStats } from '../../sfu/pipe/PipeTransport.ts';
import type { Sfu } from '../../sfu/Sfu.ts';

const TICK_MS = 200;
/** Load figures (CPU, egress) are averaged over this window. */
const RATE_WINDOW_MS = 1000;

export interface MediaTotals {
  forwardedPackets: number;
  forwardedBytes: number;
  /** Packets resent to viewers from consumers' caches (answers to their NACKs). */
  retransmits: number;
  /** NACK packets sent upstream (to publishers or up a pipe). */
  nacksSent: number;
  /** Keyframe requests (PLI) sent upstream, after throttling. */
  plisSent: number;
  /** Keyframe requests received (from viewers, joins and layer switches), before throttling. */
  keyframeRequests: number;
  pipePacketsOut: number;
  pipeBytesOut: number;
  pipePacketsIn: number;
  pipeBytesIn: number;
  pipeDroppedUnknownPeer: number;
}

export interface MediaGauges {
  publishers: number;
  relays: number;
  viewerTransports: number;
  pipesOut: number;
  pipesIn: number;
  /** Process CPU over the last window, in cores. */
  cpuCores: number;
  /** Media egress over the last window (viewers + pipes), bits/s. */
  egressBps: number;
}

/** Pipes this node holds, by direction (supplied by the cluster; none on one box). */
export interface PipeSource {
  readonly out: () => readonly { readonly stats: PipeTransportStats }[];
  readonly in: () => readonly { readonly stats: PipeTransportStats }[];
}

type Counted = { packets: number; octets: number; retransmits: number };

export class MediaSampler {
  readonly #sfu: Sfu;
  #pipes: PipeSource | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #onKeyframeWait: (seconds: number) => void;
  readonly #last = new WeakMap<object, Counted>();
  readonly #lastLayer = new WeakMap<object, { plis: number; requests: number; nacks: number }>();
  /** Video consumers seen without a packet yet → when first seen. */
  readonly #waiting = new WeakMap<object, number>();
  readonly #lastPipe = new WeakMap<object, Pick<PipeTransportStats, 'rtpOut' | 'bytesOut' | 'rtpIn' | 'bytesIn' | 'droppedUnknownPeer'>>();
  readonly totals: MediaTotals = {
    forwardedPackets: 0,
    forwardedBytes: 0,
    retransmits: 0,
    nacksSent: 0,
    plisSent: 0,
    keyframeRequests: 0,
    pipePacketsOut: 0,
    pipeBytesOut: 0,
    pipePacketsIn: 0,
    pipeBytesIn: 0,
    pipeDroppedUnknownPeer: 0,
  };
  readonly gauges: MediaGauges = { publishers: 0, relays: 0, viewerTransports: 0, pipesOut: 0, pipesIn: 0, cpuCores: 0, egressBps: 0 };
  /** Per stream on this node: viewer transports, and whether the publisher is here. */
  streams: Record<string, { viewers: number; origin: boolean; reconnecting: boolean }> = {};
  #windowStart = performance.now();
  #windowCpu = process.cpuUsage();
  #windowBytes = 0;

  constructor(sfu: Sfu, options: { onKeyframeWait?: (seconds: number) => void } = {}) {
    this.#sfu = sfu;
    this.#onKeyframeWait = options.onKeyframeWait ?? (() => undefined);
    this.#timer = setInterval(() => this.sample(), TICK_MS);
    this.#timer.unref();
  }

  setPipes(pipes: PipeSource): void {
    this.#pipes = pipes;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** One walk over the SFU (also run by the timer). */
  sample(): void {
    const t = this.totals;
    const now = performance.now();
    let publishers = 0;
    let relays = 0;
    let viewers = 0;
    let bytes = 0;
    const streams: Record<string, { viewers: number; origin: boolean; reconnecting: boolean }> = {};
    for (const router of this.#sfu.routers) {
      if (router.closed) continue;
      // A router waiting for its publisher to come back is still the stream's origin (edges keep waiting for it).
      const reconnecting = router.publisher === undefined && !router.pipe && router.lastSource === 'publisher';
      const origin = router.publisher !== undefined || reconnecting;
      if (router.publisher) publishers++;
      if (router.pipe) relays++;
      if (origin || router.pipe) streams[router.id] = { viewers: router.viewerCount, origin, reconnecting };
      viewers += router.viewerCount;
      for (const producer of router.producers) {
        for (const layer of producer.layers) {
          const plis = layer.requester.sentCount;
          const requests = layer.requester.requestCount;
          const nacks = layer.nack?.nacksSent ?? 0;
          const prev = this.#lastLayer.get(layer) ?? { plis: 0, requests: 0, nacks: 0 };
          t.plisSent += plis - prev.plis;
          t.keyframeRequests += requests - prev.requests;
          t.nacksSent += nacks - prev.nacks;
          this.#lastLayer.set(layer, { plis, requests, nacks });
        }
      }
      for (const viewer of router.viewers) {
        for (const consumer of viewer.consumers) {
          const s = consumer.stats;
          const prev = this.#last.get(consumer) ?? { packets: 0, octets: 0, retransmits: 0 };
          t.forwardedPackets += s.packets - prev.packets;
          t.forwardedBytes += s.octets - prev.octets;
          t.retransmits += s.retransmits - prev.retransmits;
          bytes += s.octets - prev.octets;
          this.#last.set(consumer, { packets: s.packets, octets: s.octets, retransmits: s.retransmits });
          if (consumer.kind === 'video') this.#trackKeyframeWait(consumer, s.packets, now);
        }
      }
    }
    const pipesOut = this.#pipes?.out() ?? [];
    const pipesIn = this.#pipes?.in() ?? [];
    bytes += this.#countPipes(pipesOut, true) + this.#countPipes(pipesIn, false);
    this.streams = streams;
    this.gauges.publishers = publishers;
    this.gauges.relays = relays;
    this.gauges.viewerTransports = viewers;
    this.gauges.pipesOut = pipesOut.length;
    this.gauges.pipesIn = pipesIn.length;
    this.#windowBytes += bytes;
    const elapsed = now - this.#windowStart;
    if (elapsed >= RATE_WINDOW_MS) {
      const cpu = process.cpuUsage(this.#windowCpu);
      this.gauges.cpuCores = (cpu.user + cpu.system) / 1000 / elapsed;
      this.gauges.egressBps = (this.#windowBytes * 8 * 1000) / elapsed;
      this.#windowStart = now;
      this.#windowCpu = process.cpuUsage();
      this.#windowBytes = 0;
    }
  }

  #trackKeyframeWait(consumer: object, packets: number, now: number): void {
    const since = this.#waiting.get(consumer);
    if (packets === 0) {
      if (since === undefined) this.#waiting.set(consumer, now);
    } else if (since !== undefined && since >= 0) {
      this.#onKeyframeWait((now - since) / 1000);
      this.#waiting.set(consumer, -1);
    }
  }

  /** Adds pipe counter growth to the totals; returns bytes sent (egress) in the tick. */
  #countPipes(list: readonly { readonly stats: PipeTransportStats }[], outgoing: boolean): number {
    const t = this.totals;
    let sent = 0;
    for (const pipe of list) {
      const s = pipe.stats;
      const prev = this.#lastPipe.get(pipe) ?? { rtpOut: 0, bytesOut: 0, rtpIn: 0, bytesIn: 0, droppedUnknownPeer: 0 };
      this.#lastPipe.set(pipe, s);
      t.pipePacketsOut += s.rtpOut - prev.rtpOut;
      t.pipeBytesOut += s.bytesOut - prev.bytesOut;
      t.pipePacketsIn += s.rtpIn - prev.rtpIn;
      t.pipeBytesIn += s.bytesIn - prev.bytesIn;
      t.pipeDroppedUnknownPeer += s.droppedUnknownPeer - prev.droppedUnknownPeer;
      if (outgoing) sent += s.bytesOut - prev.bytesOut;
    }
    return sent;
  }
}
