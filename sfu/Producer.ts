/**
 * One incoming track from the publisher (audio, or video with up to three
 * simulcast layers by rid). It fans each RTP packet out to the consumers
 * subscribed to that layer, relays keyframe requests upstream through a
 * throttle, asks the publisher to resend lost packets, reports each packet's
 * transport-wide sequence number and arrival time to the connection's
 * TransportCcFeedback (the publisher's bandwidth estimator runs on it), and
 * tells it a generous REMB as a ceiling (pitfall 7).
 * Other parts (HLS bridge, inter-node pipes) subscribe to 'rtp' and
 * 'senderreport' without seeing werift types.
 * Per packet: counters, one transport-cc record, one NACK bookkeeping step,
 * one renumbering step, one loop over the layer's consumers; no allocation,
 * no promises; a timer only while a lost packet is waited for.
 */
import { randomUUID } from 'node:crypto';
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  RtpHeader,
  RtpPacket,
  type MediaStreamTrack,
  type RTCDtlsTransport,
  type RtcpPacket,
} from 'werift';
import { createLogger } from '../signaling/logger.ts';
import { writeAbsSendTime } from './abs-send-time.ts';
import type { CodecDescriptor } from './codec-choice.ts';
import { keyframeCodecOf } from './keyframe-detect.ts';
import { KeyframeRequester } from './KeyframeRequester.ts';
import type { LayerInfo } from './layer-choice.ts';
import { NackGenerator } from './NackGenerator.ts';
import { DROP, SeqCompactor } from './SeqCompactor.ts';
import type { TransportCcFeedback } from './TransportCcFeedback.ts';
import { TypedEmitter } from './TypedEmitter.ts';

const logger = createLogger('sfu:Producer');

export type MediaKind = 'audio' | 'video';

export interface ProducerCodec extends CodecDescriptor {
  /** The publisher's payload type (viewers get their own). */
  readonly payloadType: number;
  /** The raw fmtp line the publisher offered, '' when none. */
  readonly fmtp: string;
}

/** Read-only view of one RTP packet as received; do not keep or modify it (it is shared by every consumer). */
export interface RtpPacketView {
  readonly header: {
    readonly payloadType: number;
    readonly sequenceNumber: number;
    readonly timestamp: number;
    readonly ssrc: number;
    readonly marker: boolean;
    readonly extensions: ReadonlyArray<{ readonly id: number; readonly payload: Buffer }>;
  };
  readonly payload: Buffer;
  /** Serializes the packet as received (allocates; for recorders, not the hot path). */
  serialize(): Buffer;
}

export interface SenderReport {
  readonly ssrc: number;
  /** 64-bit NTP timestamp of the publisher's clock. */
  readonly ntpTimestamp: bigint;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
}

export type ProducerEvents = {
  /** Every media packet, renumbered for video without the publisher's padding (SeqCompactor), resends in their slots; rid is null without simulcast. */
  rtp: [packet: RtpPacketView, rid: string | null];
  /** RTCP sender reports, for lip sync in recorders. */
  senderreport: [report: SenderReport, rid: string | null];
  close: [reason: string];
  '@close': [];
};

/**
 * Gets each packet of one layer as forwarded: media renumbered without padding,
 * plus an empty packet for a slot nothing came for (forward it like any other). Implemented by Consumer.
 */
export interface LayerSink {
  onRtp(packet: RtpPacket, layer: ProducerLayer): void;
  onSenderReport(layer: ProducerLayer): void;
}

/** A consumer as the producer drives it: per-layer sinks plus the timer-driven bits. */
export interface ProducerConsumer extends LayerSink {
  onTick(nowMs: number, layersUpdated: boolean): void;
  producerClosed(): void;
}

/** One simulcast layer (or the only stream without simulcast). Fields mutate as packets arrive. */
export interface ProducerLayer {
  readonly rid: string | null;
  /** 0 = lowest quality. */
  readonly index: number;
  /** Learned from the first packet of the layer. */
  ssrc: number | undefined;
  /** Replaced (never mutated) when consumers attach/detach, so a send loop can keep iterating its copy. */
  sinks: readonly LayerSink[];
  lastSenderReport: SenderReport | undefined;
  /** abs-send-time (24-bit, 6.18 fixed point) of the packet being fanned out; shared scratch. */
  readonly absSendTime: Buffer;
  bitrateBps: number;
  active: boolean;
  packetsInWindow: number;
  bytesInWindow: number;
  readonly requester: KeyframeRequester;
  readonly nack: NackGenerator | undefined;
  /** Video: renumbering without the publisher's padding (see SeqCompactor); packets fanned out carry its numbers. */
  readonly seq: SeqCompactor | undefined;
  /** Timestamp of the newest packet, for the empty packets that fill slots nothing came for. */
  lastTimestamp: number;
  /** Told each lost number judged padding (made once per layer). */
  readonly onPaddingLost: (seq: number) => void;
}

export interface ProducerOptions {
  readonly kind: MediaKind;
  readonly codec: ProducerCodec;
  /** Rids lowest quality first; empty without simulcast. */
  readonly rids: readonly string[];
  /** The track per rid ('' key without simulcast). */
  readonly tracks: ReadonlyMap<string, MediaStreamTrack>;
  /** Negotiated header extensions on the publisher leg: uri → id. */
  readonly extensionIds: ReadonlyMap<string, number>;
  /** Where feedback (PLI, NACK, REMB) goes: the publisher's DTLS transport, or an inter-node pipe (sfu/pipe). */
  readonly dtls: Pick<RTCDtlsTransport, 'sendRtcp' | 'state'>;
  /** SSRC our receiver reports and feedback are sent from. */
  readonly rtcpSsrc: number;
  readonly keyframeThrottleMs: number;
  /** Whether the publisher negotiated NACK (then we ask it to resend lost packets). */
  readonly nack: boolean;
  /** REMB value told to the publisher (bits/s); 0 disables REMB. */
  readonly rembBps: number;
  /** Transport-wide congestion control on this leg: the header extension id and the connection's feedback (shared by its producers). */
  readonly transportCc?: { readonly extensionId: number; readonly feedback: TransportCcFeedback };
  readonly streamId: string;
}

/** Housekeeping cadence: keyframe retries each tick, layer stats and REMB once per window (1 s). */
const TICK_MS = 100;
const TICKS_PER_WINDOW = 10;
/**
 * A lost number that may have been media is filled with an empty packet only
 * once all its NACKs had time to be answered (NackGenerator.repairWindowMs,
 * which follows the measured resend time), when a frame missing it is lost
 * anyway (see SeqCompactor); this without NACK.
 */
const FILL_WITHOUT_NACK_MS = 500;
/**
 * libwebrtc publishers (Chromium, Safari, Firefox) ignore a keyframe request
 * that arrives within 300 ms of the previous one they honoured, so relaying
 * faster only loses requests: a throttle below this gap is raised to it
 * (with a margin for network jitter). 0 still means "relay everything".
 */
export const PUBLISHER_KEYFRAME_GAP_MS = 330;

export class Producer extends TypedEmitter<ProducerEvents> {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly codec: ProducerCodec;
  /** Negotiated header extension ids on the publisher leg (uri → id). */
  readonly extensionIds: ReadonlyMap<string, number>;
  readonly #layers: ProducerLayer[];
  readonly #layerByRid = new Map<string, ProducerLayer>();
  readonly #consumers = new Set<ProducerConsumer>();
  readonly #dtls: Pick<RTCDtlsTransport, 'sendRtcp' | 'state'>;
  readonly #rtcpSsrc: number;
  readonly #rembBps: number;
  /** 0 when transport-cc is not negotiated. */
  readonly #transportCcId: number;
  readonly #transportCc: TransportCcFeedback | undefined;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #log;
  #timer: NodeJS.Timeout | undefined;
  #fillTimer: NodeJS.Timeout | undefined;
  #tickCount = 0;
  #windowStartMs = Date.now();
  #closed = false;

  constructor(options: ProducerOptions) {
    super();
    this.kind = options.kind;
    this.codec = options.codec;
    this.extensionIds = options.extensionIds;
    this.#dtls = options.dtls;
    this.#rtcpSsrc = options.rtcpSsrc;
    this.#rembBps = options.rembBps;
    this.#transportCcId = options.transportCc?.extensionId ?? 0;
    this.#transportCc = options.transportCc?.feedback;
    this.#log = logger.child(`stream:${options.streamId}`).child(`${options.kind}:${this.id.slice(0, 8)}`);

    const rids: ReadonlyArray<string | null> = options.rids.length > 0 ? options.rids : [null];
    this.#layers = rids.map((rid, index) => {
      const layer: ProducerLayer = {
        rid,
        index,
        ssrc: undefined,
        sinks: [],
        lastSenderReport: undefined,
        absSendTime: Buffer.alloc(3),
        bitrateBps: 0,
        // Assume a layer is live until a measurement window says otherwise, so the first viewer can pick it.
        active: true,
        packetsInWindow: 0,
        bytesInWindow: 0,
        requester: new KeyframeRequester({ throttleMs: effectiveThrottle(options.keyframeThrottleMs), send: () => this.#sendPli(layer) }),
        nack:
          options.nack && options.kind === 'video'
            ? new NackGenerator({ send: (lost) => this.#sendNack(layer, lost) })
            : undefined,
        seq: options.kind === 'video' ? new SeqCompactor(keyframeCodecOf(options.codec.mimeType), (outSeq) => this.#sendFiller(layer, outSeq)) : undefined,
        lastTimestamp: 0,
        onPaddingLost: (seq) => layer.nack?.forget(seq),
      };
      if (rid !== null) this.#layerByRid.set(rid, layer);
      const track = options.tracks.get(rid ?? '');
      if (!track) throw new Error(`Producer: no track for rid "${rid ?? ''}"`);
      this.#unsubscribe.push(track.onReceiveRtp.subscribe((rtp) => this.#onRtp(rtp, layer)).unSubscribe);
      this.#unsubscribe.push(track.onReceiveRtcp.subscribe((rtcp) => this.#onRtcp(rtcp, layer)).unSubscribe);
      return layer;
    });

    if (this.kind === 'video') {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref();
    }
    this.#log.debug(`constructor() [codec:${this.codec.mimeType}] [rids:${options.rids.join(',') || '-'}]`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when the publisher sends more than one layer. */
  get simulcast(): boolean {
    return this.#layers.length > 1;
  }

  /** Simulcast rids, lowest quality first; empty without simulcast. */
  get rids(): string[] {
    return this.#layers.flatMap((l) => (l.rid === null ? [] : [l.rid]));
  }

  /** Per-layer bitrate and activity, lowest quality first. */
  get layerInfos(): LayerInfo[] {
    return this.#layers.map((l) => ({ rid: l.rid ?? '', bitrateBps: l.bitrateBps, active: l.active }));
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  /** @internal Layers lowest quality first (Consumer reads them). */
  get layers(): readonly ProducerLayer[] {
    return this.#layers;
  }

  /** @internal */
  layerByRid(rid: string | null): ProducerLayer | undefined {
    if (rid === null || !this.simulcast) return this.#layers[0];
    return this.#layerByRid.get(rid);
  }

  /** Asks the publisher for a keyframe on one layer (all layers when rid is omitted), throttled. */
  requestKeyFrame(rid?: string | null): void {
    if (this.#closed || this.kind !== 'video') return;
    if (rid === undefined) {
      for (const layer of this.#layers) layer.requester.request();
      return;
    }
    this.layerByRid(rid)?.requester.request();
  }

  /** @internal Starts delivering one layer to a sink. */
  attach(sink: LayerSink, layer: ProducerLayer): void {
    if (!layer.sinks.includes(sink)) layer.sinks = [...layer.sinks, sink];
  }

  /** @internal */
  detach(sink: LayerSink, layer: ProducerLayer): void {
    if (layer.sinks.includes(sink)) layer.sinks = layer.sinks.filter((s) => s !== sink);
  }

  /** @internal */
  addConsumer(consumer: ProducerConsumer): void {
    this.#consumers.add(consumer);
  }

  /** @internal */
  removeConsumer(consumer: ProducerConsumer): void {
    this.#consumers.delete(consumer);
    for (const layer of this.#layers) this.detach(consumer, layer);
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log.debug(`close() [reason:${reason}]`);
    if (this.#timer) clearInterval(this.#timer);
    if (this.#fillTimer) clearTimeout(this.#fillTimer);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const layer of this.#layers) {
      layer.requester.close();
      layer.nack?.close();
      layer.sinks = [];
    }
    const consumers = [...this.#consumers];
    this.#consumers.clear();
    for (const consumer of consumers) consumer.producerClosed();
    this.safeEmit('close', reason);
    this.safeEmit('@close');
  }

  /** @internal Called by the transport when it closes. */
  transportClosed(reason: string): void {
    this.close(reason);
  }

  #onRtp(packet: RtpPacket, layer: ProducerLayer): void {
    if (this.#closed) return;
    const { payload, header } = packet;
    // First, so the arrival time excludes the fan-out; padding-only probes count too (the estimator sent them).
    if (this.#transportCcId !== 0) this.#recordTransportCc(header);
    if (layer.ssrc !== header.ssrc) this.#learnSsrc(layer, header.ssrc);
    // Probes use sequence numbers too: seen, so they are not NACKed as lost.
    layer.nack?.onPacket(header.sequenceNumber);
    const seq = layer.seq;
    if (seq) {
      const out = seq.onPacket(header.sequenceNumber, payload, header.timestamp, header.marker, Date.now(), layer.onPaddingLost);
      if (seq.pending > 0 && !this.#fillTimer) this.#scheduleFill();
      // Padding-only probes (and duplicates) stop here: viewers, pipes and recorders see media only, numbered without holes.
      if (out === DROP) return;
      // This packet object is this producer's own copy (werift clones it per track).
      header.sequenceNumber = out;
      layer.lastTimestamp = header.timestamp;
    } else if (payload.length === 0) {
      return;
    }
    layer.packetsInWindow++;
    layer.bytesInWindow += payload.length;
    this.#fanOut(packet, layer);
    if (this.listenerCount('rtp') > 0) this.safeEmit('rtp', packet, layer.rid);
  }

  #fanOut(packet: RtpPacket, layer: ProducerLayer): void {
    const sinks = layer.sinks;
    if (sinks.length === 0) return;
    writeAbsSendTime(layer.absSendTime);
    for (let i = 0; i < sinks.length; i++) sinks[i]!.onRtp(packet, layer);
  }

  /** Fills lost numbers nothing came for once they are FILL_LOST_AFTER_MS old; runs only while some are waited for. */
  #scheduleFill(): void {
    let oldest: number | undefined;
    for (const layer of this.#layers) {
      const at = layer.seq?.oldestPendingMs;
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    if (oldest === undefined || this.#closed) return;
    const waitMs = this.#fillAfterMs();
    this.#fillTimer = setTimeout(() => {
      this.#fillTimer = undefined;
      const before = Date.now() - this.#fillAfterMs();
      for (const layer of this.#layers) layer.seq?.fillPending(before);
      this.#scheduleFill();
    }, Math.max(1, oldest + waitMs - Date.now()));
    this.#fillTimer.unref();
  }

  #fillAfterMs(): number {
    let ms = 0;
    for (const layer of this.#layers) ms = Math.max(ms, layer.nack?.repairWindowMs ?? FILL_WITHOUT_NACK_MS);
    return ms;
  }

  /** An empty packet in a slot nothing came for (viewers take it as padding; pipes relay it; recorders skip it). */
  #sendFiller(layer: ProducerLayer, seq: number): void {
    if (layer.ssrc === undefined || this.#closed) return;
    const filler = new RtpPacket(
      new RtpHeader({ payloadType: this.codec.payloadType, sequenceNumber: seq, timestamp: layer.lastTimestamp, ssrc: layer.ssrc, marker: false }),
      Buffer.alloc(0),
    );
    this.#fanOut(filler, layer);
    if (this.listenerCount('rtp') > 0) this.safeEmit('rtp', filler, layer.rid);
  }

  #recordTransportCc(header: RtpPacket['header']): void {
    const extensions = header.extensions;
    for (let i = 0; i < extensions.length; i++) {
      const extension = extensions[i]!;
      if (extension.id !== this.#transportCcId) continue;
      if (extension.payload.length >= 2) this.#transportCc!.onPacket(extension.payload.readUInt16BE(0), performance.now(), header.ssrc);
      return;
    }
  }

  #learnSsrc(layer: ProducerLayer, ssrc: number): void {
    if (layer.ssrc !== undefined) this.#log.info(`layer ssrc changed [rid:${layer.rid ?? '-'}] [ssrc:${layer.ssrc}->${ssrc}]`);
    layer.ssrc = ssrc;
    layer.lastSenderReport = undefined;
    layer.seq?.reset();
  }

  #onRtcp(packet: RtcpPacket, layer: ProducerLayer): void {
    if (this.#closed || packet.type !== RtcpSrPacket.type) return;
    const sr = packet as RtcpSrPacket;
    if (layer.ssrc !== undefined && sr.ssrc !== layer.ssrc) return;
    const report: SenderReport = {
      ssrc: sr.ssrc,
      ntpTimestamp: sr.senderInfo.ntpTimestamp,
      rtpTimestamp: sr.senderInfo.rtpTimestamp,
      packetCount: sr.senderInfo.packetCount,
      octetCount: sr.senderInfo.octetCount,
    };
    layer.lastSenderReport = report;
    for (const sink of layer.sinks) sink.onSenderReport(layer);
    if (this.listenerCount('senderreport') > 0) this.safeEmit('senderreport', report, layer.rid);
  }

  #tick(): void {
    if (this.#closed) return;
    this.#tickCount++;
    const now = Date.now();
    const windowDone = this.#tickCount % TICKS_PER_WINDOW === 0;
    if (windowDone) {
      const elapsed = Math.max(1, now - this.#windowStartMs);
      this.#windowStartMs = now;
      for (const layer of this.#layers) {
        layer.bitrateBps = Math.round((layer.bytesInWindow * 8 * 1000) / elapsed);
        layer.active = layer.packetsInWindow > 0;
        layer.packetsInWindow = 0;
        layer.bytesInWindow = 0;
      }
      this.#sendRemb();
    }
    for (const consumer of this.#consumers) consumer.onTick(now, windowDone);
  }

  #sendPli(layer: ProducerLayer): boolean {
    if (layer.ssrc === undefined || this.#closed) return false;
    const pli = new RtcpPayloadSpecificFeedback({
      feedback: new PictureLossIndication({ senderSsrc: this.#rtcpSsrc, mediaSsrc: layer.ssrc }),
    });
    this.#dtls.sendRtcp([pli]).catch(() => {});
    return true;
  }

  #sendNack(layer: ProducerLayer, lost: number[]): void {
    if (layer.ssrc === undefined || this.#closed) return;
    const nack = new RtcpTransportLayerFeedback({
      feedback: new GenericNack({ senderSsrc: this.#rtcpSsrc, mediaSourceSsrc: layer.ssrc, lost }),
    });
    this.#dtls.sendRtcp([nack]).catch(() => {});
  }

  /** REMB is a ceiling for the publisher's estimate; a generous one lets its loss-based estimate grow. */
  #sendRemb(): void {
    if (this.#rembBps <= 0 || this.#dtls.state !== 'connected') return;
    const ssrcs = this.#layers.flatMap((l) => (l.ssrc === undefined ? [] : [l.ssrc]));
    if (ssrcs.length === 0) return;
    let mantissa = this.#rembBps;
    let exp = 0;
    while (mantissa > 0x3ffff) {
      mantissa = Math.floor(mantissa / 2);
      exp++;
    }
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: this.#rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      brExp: exp,
      brMantissa: mantissa,
      bitrate: BigInt(mantissa) << BigInt(exp),
      ssrcFeedbacks: ssrcs,
    });
    this.#dtls.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })]).catch(() => {});
  }
}

function effectiveThrottle(throttleMs: number): number {
  return throttleMs === 0 ? 0 : Math.max(throttleMs, PUBLISHER_KEYFRAME_GAP_MS);
}
