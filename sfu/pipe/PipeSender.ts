/**
 * The upstream end of a pipe (mediasoup's pipe consumer): sends every RTP
 * packet and sender report of a router's producers, every simulcast layer,
 * to one downstream node over a PipeTransport. Each layer travels under its
 * own pipe SSRC, fixed for the life of the pipe, so the downstream node knows
 * the layer of a packet without signalling; sequence numbers and timestamps
 * are the publisher's, untouched.
 *
 * Feedback from downstream is answered here: a NACK from the cache of what
 * this pipe sent (the nearest hop holding the packet; the producer NACKs its
 * own upstream for what never arrived here), a PLI/FIR becomes the producer's
 * throttled keyframe request, so requests are throttled at every hop.
 */
import { randomBytes } from 'node:crypto';
import {
  RtcpPayloadSpecificFeedback,
  RtcpSenderInfo,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type GenericNack,
  type RtcpPacket,
} from 'werift';
import { InvalidStateError } from '../../signaling/errors.ts';
import { createLogger } from '../../signaling/logger.ts';
import type { Producer, RtpPacketView, SenderReport } from '../Producer.ts';
import type { Router } from '../Router.ts';
import { TypedEmitter } from '../TypedEmitter.ts';
import { describeProducer, type PipeDescription } from './pipe-description.ts';
import type { PipeTransport } from './PipeTransport.ts';

const logger = createLogger('sfu:PipeSender');

/** Packets kept per video layer for NACK answers (power of two): ~3 s at 1 Mbps. */
const CACHE_SIZE = 512;
const PLI_FMT = 1;
const FIR_FMT = 4;

export interface PipeSenderStats {
  readonly packets: number;
  readonly bytes: number;
  readonly keyframeRequests: number;
  readonly nacks: number;
  readonly retransmits: number;
}

export type PipeSenderEvents = {
  close: [reason: string];
  '@close': [];
};

interface SendLayer {
  readonly producer: Producer;
  readonly rid: string | null;
  readonly ssrc: number;
  readonly cache: Array<Buffer | undefined>;
  readonly cacheSeq: Int32Array;
}

type MutableStats = { -readonly [K in keyof PipeSenderStats]: PipeSenderStats[K] };

/** What the sender reads from the router it pipes out. */
export type PipeSource = Pick<Router, 'id' | 'producers' | 'closed'>;

export class PipeSender extends TypedEmitter<PipeSenderEvents> {
  readonly id = randomBytes(8).toString('hex');
  readonly streamId: string;
  readonly transport: PipeTransport;
  readonly description: PipeDescription;
  readonly #layersBySsrc = new Map<number, SendLayer>();
  /** producer id → rid ('' without simulcast) → layer. */
  readonly #layersByProducer = new Map<string, Map<string, SendLayer>>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #stats: MutableStats = { packets: 0, bytes: 0, keyframeRequests: 0, nacks: 0, retransmits: 0 };
  readonly #log;
  #closed = false;

  /** Starts sending the router's current producers; throws InvalidStateError when it has none. */
  constructor(router: PipeSource, transport: PipeTransport) {
    super();
    this.streamId = router.id;
    this.transport = transport;
    this.#log = logger.child(`stream:${router.id}`).child(`pipe:${transport.id.slice(0, 8)}`);
    const producers = router.producers;
    if (router.closed || producers.length === 0) {
      throw new InvalidStateError(`stream "${router.id}" has no media to pipe (no publisher yet)`, 'not_live');
    }
    const used = new Set<number>();
    const described = producers.map((producer) =>
      describeProducer(producer, () => {
        let ssrc = 0;
        while (ssrc === 0 || used.has(ssrc)) ssrc = randomBytes(4).readUInt32BE(0);
        used.add(ssrc);
        return ssrc;
      }),
    );
    this.description = { streamId: router.id, producers: described };

    producers.forEach((producer, i) => {
      const byRid = new Map<string, SendLayer>();
      for (const { rid, ssrc } of described[i]!.layers) {
        const size = producer.kind === 'video' ? CACHE_SIZE : 0;
        const layer: SendLayer = { producer, rid, ssrc, cache: new Array(size), cacheSeq: new Int32Array(size).fill(-1) };
        byRid.set(rid ?? '', layer);
        this.#layersBySsrc.set(ssrc, layer);
      }
      this.#layersByProducer.set(producer.id, byRid);
      const onRtp = (packet: RtpPacketView, rid: string | null): void => this.#onRtp(byRid.get(rid ?? ''), packet);
      const onReport = (report: SenderReport, rid: string | null): void => this.#onSenderReport(byRid.get(rid ?? ''), report);
      const onClose = (): void => this.close('producer closed');
      producer.on('rtp', onRtp);
      producer.on('senderreport', onReport);
      producer.once('close', onClose);
      this.#unsubscribe.push(() => {
        producer.off('rtp', onRtp);
        producer.off('senderreport', onReport);
        producer.off('close', onClose);
      });
      // The downstream viewers need a keyframe to start; asking now saves them a round trip.
      if (producer.kind === 'video') producer.requestKeyFrame();
    });

    const onRtcp = (packets: RtcpPacket[]): void => this.#onRtcp(packets);
    const onTransportClose = (reason: string): void => this.close(`pipe transport closed (${reason})`);
    transport.on('rtcp', onRtcp);
    transport.once('close', onTransportClose);
    this.#unsubscribe.push(() => {
      transport.off('rtcp', onRtcp);
      transport.off('close', onTransportClose);
    });
    this.#log.debug(`constructor() [layers:${this.#layersBySsrc.size}]`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get stats(): PipeSenderStats {
    return { ...this.#stats };
  }

  /** Stops sending and closes the transport (which tells the peer); idempotent. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const layer of this.#layersBySsrc.values()) layer.cache.fill(undefined);
    this.transport.close(reason);
    this.#log.debug(`close() [reason:${reason}] [packets:${this.#stats.packets}]`);
    this.safeEmit('close', reason);
    this.safeEmit('@close');
  }

  #onRtp(layer: SendLayer | undefined, packet: RtpPacketView): void {
    if (!layer || this.#closed) return;
    const data = packet.serialize();
    data.writeUInt32BE(layer.ssrc, 8);
    if (layer.cache.length > 0) {
      const slot = packet.header.sequenceNumber & (CACHE_SIZE - 1);
      layer.cache[slot] = data;
      layer.cacheSeq[slot] = packet.header.sequenceNumber;
    }
    this.transport.sendRtp(data);
    this.#stats.packets++;
    this.#stats.bytes += data.length;
  }

  #onSenderReport(layer: SendLayer | undefined, report: SenderReport): void {
    if (!layer || this.#closed) return;
    this.transport.sendRtcp([
      new RtcpSrPacket({
        ssrc: layer.ssrc,
        senderInfo: new RtcpSenderInfo({
          ntpTimestamp: report.ntpTimestamp,
          rtpTimestamp: report.rtpTimestamp,
          packetCount: report.packetCount,
          octetCount: report.octetCount,
        }),
      }),
    ]);
  }

  #onRtcp(packets: RtcpPacket[]): void {
    if (this.#closed) return;
    for (const packet of packets) {
      if (packet.type === RtcpPayloadSpecificFeedback.type) {
        const feedback = packet.feedback;
        if (feedback.count === PLI_FMT) this.#requestKeyFrame((feedback as { mediaSsrc: number }).mediaSsrc);
        else if (feedback.count === FIR_FMT) {
          for (const entry of (feedback as unknown as { fir: Array<{ ssrc: number }> }).fir) this.#requestKeyFrame(entry.ssrc);
        }
      } else if (packet.type === RtcpTransportLayerFeedback.type) {
        const nack = packet.feedback as GenericNack;
        if (nack.count === 1 && Array.isArray(nack.lost)) this.#resend(nack.mediaSourceSsrc, nack.lost);
      }
    }
  }

  #requestKeyFrame(ssrc: number): void {
    const layer = this.#layersBySsrc.get(ssrc);
    if (!layer || layer.producer.kind !== 'video') return;
    this.#stats.keyframeRequests++;
    layer.producer.requestKeyFrame(layer.rid);
  }

  #resend(ssrc: number, lost: readonly number[]): void {
    const layer = this.#layersBySsrc.get(ssrc);
    if (!layer || layer.cache.length === 0) return;
    this.#stats.nacks++;
    for (const seq of lost) {
      const slot = seq & (CACHE_SIZE - 1);
      const data = layer.cache[slot];
      if (!data || layer.cacheSeq[slot] !== seq) continue;
      this.transport.sendRtp(data);
      this.#stats.retransmits++;
    }
  }
}
