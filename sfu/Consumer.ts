/**
 * One outgoing track to one viewer: forwards the producer's RTP with the
 * viewer's own SSRC, payload type (pitfall 5) and header extension ids
 * (pitfall 6), keeps sequence numbers and timestamps continuous across
 * simulcast switches, resends from its own packet cache when this viewer NACKs
 * (so one lossy viewer costs only itself), and derives its RTCP sender reports
 * from the publisher's (pitfall 8) so audio and video stay in sync.
 * Video starts, and switches layer, only at a keyframe of the target layer.
 * Video arrives renumbered without the publisher's padding (SeqCompactor); an
 * empty packet (a slot nothing came for) goes out as a bare header.
 *
 * werift's RTCRtpSender is used for signalling, SSRC and RTCP routing only;
 * packets are written here (rtp-header.ts) and leave through RtpEgress (own
 * SRTP, straight to the socket), so werift's per-packet clone, extension
 * rewrite and own publisher-unaware sender reports never run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  useAbsSendTime,
  useSdesMid,
  type GenericNack,
  type RTCDtlsTransport,
  type RTCRtpSender,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import { createLogger } from '../signaling/logger.ts';
import { writeAbsSendTime } from './abs-send-time.ts';
import { currentEstimate, INITIAL_VIEWER_ESTIMATE, withReceiverReport, withRemb, type ViewerEstimate } from './bandwidth-estimate.ts';
import { isKeyframeStart, keyframeCodecOf, type KeyframeCodec } from './keyframe-detect.ts';
import { chooseLayer, INITIAL_LAYER_STATE, type LayerChoiceState, type LayerPreference } from './layer-choice.ts';
import { FORWARDED_EXTENSION_URIS } from './peer-config.ts';
import type { MediaKind, Producer, ProducerConsumer, ProducerLayer, SenderReport } from './Producer.ts';
import { writeRtpHeader, type HeaderExtension } from './rtp-header.ts';
import { RtpEgress } from './RtpEgress.ts';
import { TypedEmitter } from './TypedEmitter.ts';

const logger = createLogger('sfu:Consumer');

/** Where the previous consumer on the same sender stopped, so a republished stream continues its numbering. */
export interface RtpContinuity {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly atMs: number;
}

export type ConsumerEvents = {
  /** The simulcast layer now forwarded (null: none). */
  layerchange: [rid: string | null];
  producerclose: [];
  close: [reason: string];
  '@close': [];
};

export interface ConsumerOptions {
  readonly producer: Producer;
  readonly sender: RTCRtpSender;
  /** The viewer's payload type for the producer's codec. */
  readonly payloadType: number;
  /** Header extensions negotiated with the viewer: uri → id. */
  readonly extensionIds: ReadonlyMap<string, number>;
  readonly preference: LayerPreference;
  readonly continuity: RtpContinuity | undefined;
  /** The viewer's m-section id, written in the mid header extension. */
  readonly mid: string | null;
  /** RTCP CNAME of the viewer connection, sent with each sender report. */
  readonly cname: string;
  readonly streamId: string;
}

/** Packets kept per video consumer for NACK resends (power of two): ~3 s at 1 Mbps. */
const VIDEO_CACHE_SIZE = 512;
/**
 * Gap between keyframe requests while waiting for one (the requester throttles
 * further). Chromium ignores a PLI that comes within 300 ms of its previous
 * keyframe, so a request swallowed that way is repeated just after.
 */
const KEYFRAME_RETRY_MS = 400;
/** After a switch, packets of the new layer older than the switch point are dropped for this many sequence numbers. */
const SWITCH_GUARD_SPAN = 1000;
/** Longest extension payload forwarded: RFC 8285 one-byte headers carry up to 16 bytes, two-byte ones 255. */
const MAX_EXTENSION_BYTES = { oneByte: 16, twoByte: 255 } as const;

export class Consumer extends TypedEmitter<ConsumerEvents> implements ProducerConsumer {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly producerId: string;
  readonly #producer: Producer;
  readonly #cname: string;
  readonly #dtls: RTCDtlsTransport;
  readonly #egress: RtpEgress;
  readonly #payloadType: number;
  readonly #ssrc: number;
  readonly #clockRate: number;
  readonly #keyframeCodec: KeyframeCodec;
  /** Scratch for the outgoing header; copied into each packet's own buffer by the egress. */
  readonly #header: Buffer;
  readonly #log;
  readonly #unsubscribe: Array<() => void> = [];

  // Header extensions: producer id → viewer id, plus the ones written here.
  readonly #extMap = new Uint8Array(256);
  readonly #extSlots: Array<{ id: number; payload: Buffer } | undefined> = [];
  readonly #extOut: HeaderExtension[] = [];
  readonly #midExt: HeaderExtension | undefined;
  readonly #absExt: { id: number; payload: Buffer } | undefined;
  readonly #twoByte: boolean;
  readonly #maxExtensionBytes: number;
  readonly #retransmitAbs = Buffer.alloc(3);

  // Packet cache for NACK resends, indexed by output sequence number.
  readonly #cacheMask: number;
  readonly #cachePackets: Array<RtpPacket | undefined>;
  readonly #cacheSeq: Int32Array;
  readonly #cacheTs: Uint32Array;

  #preference: LayerPreference;
  #choice: LayerChoiceState = INITIAL_LAYER_STATE;
  #estimate: ViewerEstimate = INITIAL_VIEWER_ESTIMATE;
  #current: ProducerLayer | null = null;
  #target: ProducerLayer | null = null;
  #started = false;
  #closed = false;
  #continuity: RtpContinuity | undefined;

  #seqOffset = 0;
  #tsOffset = 0;
  #lastOutSeq = -1;
  #lastOutTs = 0;
  #lastInTs = 0;
  #guard = false;
  #switchSeq = 0;
  #srPending = false;
  #lastKeyframeRequestMs = 0;

  #packets = 0;
  #octets = 0;
  #retransmits = 0;
  #bytesInWindow = 0;
  #windowStartMs = Date.now();
  #sendBps = 0;

  constructor(options: ConsumerOptions) {
    super();
    const { producer, sender } = options;
    this.#producer = producer;
    this.#cname = options.cname;
    this.kind = producer.kind;
    this.producerId = producer.id;
    this.#dtls = sender.dtlsTransport;
    this.#egress = new RtpEgress(this.#dtls);
    this.#payloadType = options.payloadType;
    this.#ssrc = sender.ssrc;
    this.#clockRate = producer.codec.clockRate;
    this.#keyframeCodec = keyframeCodecOf(producer.codec.mimeType);
    this.#preference = options.preference;
    this.#continuity = options.continuity;
    this.#log = logger.child(`stream:${options.streamId}`).child(`${this.kind}:${this.id.slice(0, 8)}`);

    let maxId = 0;
    for (const [uri, producerId] of producer.extensionIds) {
      const viewerId = options.extensionIds.get(uri);
      if (!FORWARDED_EXTENSION_URIS.has(uri) || viewerId === undefined) continue;
      this.#extMap[producerId] = viewerId;
      this.#extSlots[viewerId] = { id: viewerId, payload: Buffer.alloc(0) };
      maxId = Math.max(maxId, viewerId);
    }
    const midId = options.extensionIds.get(useSdesMid().uri);
    this.#midExt = midId !== undefined && options.mid ? { id: midId, payload: Buffer.from(options.mid, 'ascii') } : undefined;
    const absId = options.extensionIds.get(useAbsSendTime().uri);
    this.#absExt = absId !== undefined ? { id: absId, payload: Buffer.alloc(3) } : undefined;
    maxId = Math.max(maxId, midId ?? 0, absId ?? 0);
    // One-byte headers carry ids 1-14 with payloads up to 16 bytes (RFC 8285).
    this.#twoByte = maxId > 14 || (this.#midExt?.payload.length ?? 0) > MAX_EXTENSION_BYTES.oneByte;
    this.#maxExtensionBytes = this.#twoByte ? MAX_EXTENSION_BYTES.twoByte : MAX_EXTENSION_BYTES.oneByte;
    // Fixed header, extension block header, mid, abs-send-time, every forwarded extension at its longest, padding.
    const slots = this.#extSlots.filter((x) => x !== undefined).length;
    this.#header = Buffer.alloc(12 + 4 + (2 + (this.#midExt?.payload.length ?? 0)) + (2 + 3) + slots * (2 + this.#maxExtensionBytes) + 3);

    const cacheSize = this.kind === 'video' ? VIDEO_CACHE_SIZE : 0;
    this.#cacheMask = cacheSize - 1;
    this.#cachePackets = new Array<RtpPacket | undefined>(cacheSize);
    this.#cacheSeq = new Int32Array(cacheSize).fill(-1);
    this.#cacheTs = new Uint32Array(cacheSize);

    this.#unsubscribe.push(
      sender.onGenericNack.subscribe((nack) => this.#onNack(nack)).unSubscribe,
      sender.onPictureLossIndication.subscribe(() => this.requestKeyFrame()).unSubscribe,
      sender.onRtcp.subscribe((rtcp) => this.#onRtcp(rtcp)).unSubscribe,
    );
    producer.addConsumer(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get preference(): LayerPreference {
    return this.#preference;
  }

  /** Rid of the layer being forwarded; null before the first keyframe or without simulcast. */
  get currentLayer(): string | null {
    return this.#current?.rid ?? null;
  }

  /** SSRC the viewer receives this track on. */
  get ssrc(): number {
    return this.#ssrc;
  }

  get stats(): { packets: number; octets: number; retransmits: number; sendBps: number; estimateBps: number | undefined } {
    return {
      packets: this.#packets,
      octets: this.#octets,
      retransmits: this.#retransmits,
      sendBps: this.#sendBps,
      estimateBps: currentEstimate(this.#estimate, Date.now(), this.#sendBps),
    };
  }

  /** Where numbering stopped, for a consumer that later takes over this sender. */
  get continuity(): RtpContinuity | undefined {
    if (this.#lastOutSeq < 0) return this.#continuity;
    return { sequenceNumber: this.#lastOutSeq, timestamp: this.#lastOutTs, atMs: Date.now() };
  }

  /** @internal Begins forwarding once the viewer's DTLS is up (earlier packets would be lost anyway). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#log.debug(`start() [preference:${this.#preference}]`);
    this.#chooseLayer(Date.now());
  }

  setPreference(preference: LayerPreference): void {
    if (this.#closed || preference === this.#preference) return;
    this.#preference = preference;
    this.#choice = { rid: this.#choice.rid, upgrade: undefined };
    if (this.#started) this.#chooseLayer(Date.now());
  }

  /** Asks for a keyframe on the layer this viewer needs (throttled upstream). */
  requestKeyFrame(): void {
    if (this.#closed || this.kind !== 'video') return;
    const layer = this.#target ?? this.#current;
    if (!layer) return;
    this.#lastKeyframeRequestMs = Date.now();
    layer.requester.request();
  }

  /** @internal The viewer's REMB for its whole connection. */
  onRemb(bps: number): void {
    this.#estimate = withRemb(this.#estimate, bps, Date.now());
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log.debug(`close() [reason:${reason}]`);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#producer.removeConsumer(this);
    this.#current = null;
    this.#target = null;
    this.#cachePackets.fill(undefined);
    this.safeEmit('close', reason);
    this.safeEmit('@close');
  }

  /** @internal */
  transportClosed(reason: string): void {
    this.close(reason);
  }

  /** @internal */
  producerClosed(): void {
    if (this.#closed) return;
    const hadLayer = this.#current?.rid != null;
    this.safeEmit('producerclose');
    if (hadLayer) this.safeEmit('layerchange', null);
    this.close('producer closed');
  }

  /** @internal Hot path: one packet of a layer this consumer is attached to. */
  onRtp(packet: RtpPacket, layer: ProducerLayer): void {
    if (layer !== this.#current) {
      // An empty packet is forwarded only on the layer already flowing: it never opens one.
      if (layer !== this.#target || packet.payload.length === 0) return;
      if (this.kind === 'video' && !isKeyframeStart(this.#keyframeCodec, packet.payload)) return;
      this.#switchTo(layer, packet);
    }
    const inSeq = packet.header.sequenceNumber;
    if (this.#guard) {
      const sinceSwitch = (inSeq - this.#switchSeq) & 0xffff;
      if (sinceSwitch >= 0x8000) return; // from before the switch point: its number was used by the old layer
      if (sinceSwitch > SWITCH_GUARD_SPAN) this.#guard = false;
    }
    const outSeq = (inSeq + this.#seqOffset) & 0xffff;
    const outTs = (packet.header.timestamp + this.#tsOffset) >>> 0;
    const ahead = (outSeq - this.#lastOutSeq) & 0xffff;
    if (this.#lastOutSeq < 0 || (ahead !== 0 && ahead < 0x8000)) {
      this.#lastOutSeq = outSeq;
      this.#lastOutTs = outTs;
      this.#lastInTs = packet.header.timestamp;
    }
    if (this.#cacheMask >= 0) {
      const slot = outSeq & this.#cacheMask;
      this.#cachePackets[slot] = packet;
      this.#cacheSeq[slot] = outSeq;
      this.#cacheTs[slot] = outTs;
    }
    this.#send(packet, outSeq, outTs, layer.absSendTime);
    this.#packets++;
    this.#octets += packet.payload.length;
    this.#bytesInWindow += packet.payload.length;
    if (this.#srPending) {
      this.#srPending = false;
      if (layer.lastSenderReport) this.#sendSenderReport(layer.lastSenderReport);
    }
  }

  /** @internal */
  onSenderReport(layer: ProducerLayer): void {
    if (layer !== this.#current || this.#lastOutSeq < 0 || !layer.lastSenderReport) return;
    this.#sendSenderReport(layer.lastSenderReport);
  }

  /** @internal Producer housekeeping, every 100 ms (video only). */
  onTick(nowMs: number, windowDone: boolean): void {
    if (!this.#started || this.#closed) return;
    if (this.#target && this.#target !== this.#current && nowMs - this.#lastKeyframeRequestMs >= KEYFRAME_RETRY_MS) {
      this.requestKeyFrame();
    }
    if (!windowDone) return;
    const elapsed = Math.max(1, nowMs - this.#windowStartMs);
    this.#windowStartMs = nowMs;
    this.#sendBps = Math.round((this.#bytesInWindow * 8 * 1000) / elapsed);
    this.#bytesInWindow = 0;
    if (this.#producer.simulcast) this.#chooseLayer(nowMs);
  }

  #chooseLayer(nowMs: number): void {
    const producer = this.#producer;
    if (!producer.simulcast) {
      this.#setTarget(producer.layers[0]!);
      return;
    }
    this.#choice = chooseLayer(this.#choice, {
      layers: producer.layerInfos,
      preference: this.#preference,
      estimateBps: currentEstimate(this.#estimate, nowMs, this.#sendBps),
      nowMs,
    });
    const layer = producer.layerByRid(this.#choice.rid);
    if (layer) this.#setTarget(layer);
  }

  #setTarget(layer: ProducerLayer): void {
    if (layer === this.#target) {
      // Already heading there; while it is not flowing yet, make sure a keyframe is on its way.
      if (layer !== this.#current) this.requestKeyFrame();
      return;
    }
    const previous = this.#target;
    if (previous && previous !== this.#current) this.#producer.detach(this, previous);
    this.#target = layer;
    if (layer === this.#current) return; // back to the layer already flowing: the pending switch is cancelled
    this.#log.debug(`target layer [rid:${this.#current?.rid ?? '-'}->${layer.rid ?? '-'}]`);
    this.#producer.attach(this, layer);
    this.requestKeyFrame();
  }

  /** Makes `packet` (first of a keyframe on `layer`, or first audio packet) the next one out, without a gap. */
  #switchTo(layer: ProducerLayer, packet: RtpPacket): void {
    const previous = this.#current;
    const inSeq = packet.header.sequenceNumber;
    const inTs = packet.header.timestamp;
    let outSeq: number;
    let outTs: number;
    if (this.#lastOutSeq >= 0) {
      outSeq = (this.#lastOutSeq + 1) & 0xffff;
      outTs = (this.#lastOutTs + this.#timestampStep(previous, layer, inTs)) >>> 0;
    } else if (this.#continuity) {
      const c = this.#continuity;
      outSeq = (c.sequenceNumber + 1) & 0xffff;
      outTs = (c.timestamp + Math.max(1, Math.round(((Date.now() - c.atMs) * this.#clockRate) / 1000))) >>> 0;
    } else {
      const random = randomBytes(6);
      outSeq = random.readUInt16BE(0) & 0x7fff; // low start leaves room before the first wrap
      outTs = random.readUInt32BE(2);
    }
    this.#seqOffset = (outSeq - inSeq) & 0xffff;
    this.#tsOffset = (outTs - inTs) >>> 0;
    if (previous && previous !== layer) this.#producer.detach(this, previous);
    this.#current = layer;
    this.#guard = this.#lastOutSeq >= 0;
    this.#switchSeq = inSeq;
    // The viewer's clock mapping changed with the offset: send a fresh sender report right after this packet.
    this.#srPending = true;
    if (layer.rid !== null) {
      this.#log.debug(`layer switched [rid:${previous?.rid ?? '-'}->${layer.rid}]`);
      this.safeEmit('layerchange', layer.rid);
    }
  }

  /**
   * RTP ticks between the last packet sent and `inTs` on the new layer. Simulcast
   * layers have their own timestamp bases, so the gap is measured on the
   * publisher's NTP clock via each layer's sender report; without reports it
   * assumes one frame at 30 fps.
   */
  #timestampStep(previous: ProducerLayer | null, next: ProducerLayer, inTs: number): number {
    const frame = Math.round(this.#clockRate / 30);
    if (!previous || previous === next) return Math.max(1, (inTs - this.#lastInTs) | 0);
    const a = previous.lastSenderReport;
    const b = next.lastSenderReport;
    if (!a || !b) return frame;
    const tPrev = ntpSeconds(a) + ((this.#lastInTs - a.rtpTimestamp) | 0) / this.#clockRate;
    const tNext = ntpSeconds(b) + ((inTs - b.rtpTimestamp) | 0) / this.#clockRate;
    const ticks = Math.round((tNext - tPrev) * this.#clockRate);
    if (ticks > 0 && ticks < 5 * this.#clockRate) return ticks;
    return ticks <= 0 && ticks > -this.#clockRate ? 1 : frame;
  }

  #send(packet: RtpPacket, outSeq: number, outTs: number, absSendTime: Buffer): void {
    if (this.#dtls.state !== 'connected') return;
    const out = this.#extOut;
    out.length = 0;
    if (this.#midExt) out.push(this.#midExt);
    if (this.#absExt) {
      this.#absExt.payload = absSendTime;
      out.push(this.#absExt);
    }
    const src = packet.header.extensions;
    for (let i = 0; i < src.length; i++) {
      const ext = src[i]!;
      const viewerId = this.#extMap[ext.id]!;
      if (viewerId === 0 || ext.payload.length > this.#maxExtensionBytes) continue;
      const slot = this.#extSlots[viewerId]!;
      slot.payload = ext.payload;
      out.push(slot);
    }
    const header = this.#header;
    const headerLength = writeRtpHeader(header, packet.header.marker, this.#payloadType, outSeq, outTs, this.#ssrc, out, out.length, this.#twoByte);
    // The egress copies the header and protects into a buffer of its own, so the scratch is free on return.
    this.#egress.send(header, headerLength, packet.payload);
  }

  #onNack(nack: GenericNack): void {
    if (this.#closed || this.#cacheMask < 0) return;
    for (const seq of nack.lost) {
      const slot = seq & this.#cacheMask;
      const packet = this.#cachePackets[slot];
      if (!packet || this.#cacheSeq[slot] !== seq) continue;
      writeAbsSendTime(this.#retransmitAbs);
      this.#send(packet, seq, this.#cacheTs[slot]!, this.#retransmitAbs);
      this.#retransmits++;
    }
  }

  #onRtcp(packet: RtcpPacket): void {
    if (packet.type !== RtcpRrPacket.type && packet.type !== RtcpSrPacket.type) return;
    for (const report of (packet as RtcpRrPacket).reports) {
      if (report.ssrc === this.#ssrc) {
        this.#estimate = withReceiverReport(this.#estimate, report.fractionLost / 256, this.#sendBps);
      }
    }
  }

  /** The publisher's report, moved onto this viewer's timeline: same NTP instant, RTP time plus our offset. */
  #sendSenderReport(report: SenderReport): void {
    if (this.#dtls.state !== 'connected') return;
    const packets: Array<RtcpSrPacket | RtcpSourceDescriptionPacket> = [
      new RtcpSrPacket({
        ssrc: this.#ssrc,
        senderInfo: new RtcpSenderInfo({
          ntpTimestamp: report.ntpTimestamp,
          rtpTimestamp: (report.rtpTimestamp + this.#tsOffset) >>> 0,
          packetCount: this.#packets >>> 0,
          octetCount: this.#octets >>> 0,
        }),
      }),
    ];
    const cname = this.#cname;
    if (cname) {
      packets.push(
        new RtcpSourceDescriptionPacket({
          chunks: [new SourceDescriptionChunk({ source: this.#ssrc, items: [new SourceDescriptionItem({ type: 1, text: cname })] })],
        }),
      );
    }
    this.#dtls.sendRtcp(packets).catch(() => {});
  }
}

function ntpSeconds(report: SenderReport): number {
  return Number(report.ntpTimestamp >> 32n) + Number(report.ntpTimestamp & 0xffffffffn) / 0x100000000;
}
