/**
 * One werift RTCPeerConnection: the publisher's (receiving its producers) or a
 * viewer's (sending its consumers). It answers the client's offer without
 * trickle (the answer carries our one candidate), reports connection state,
 * routes connection-wide RTCP (REMB, FIR) to consumers, and closes its
 * producers/consumers with it. Nothing outside sfu/ sees werift types.
 */
import { randomUUID } from 'node:crypto';
import {
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  type PeerConfig,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RtcpPacket,
} from 'werift';
import { BadRequestError, InvalidStateError, ServiceUnavailableError } from '../signaling/errors.ts';
import { createLogger } from '../signaling/logger.ts';
import type { Consumer, RtpContinuity } from './Consumer.ts';
import type { LayerPreference } from './layer-choice.ts';
import type { Producer } from './Producer.ts';
import { TypedEmitter } from './TypedEmitter.ts';

const logger = createLogger('sfu:WebRtcTransport');

export type TransportRole = 'publisher' | 'viewer';
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type WebRtcTransportEvents = {
  connectionstatechange: [state: ConnectionState];
  close: [reason: string];
  /** Viewer only: the simulcast layer now received (null: none). */
  layerchange: [rid: string | null];
  '@close': [];
};

export interface WebRtcTransportOptions {
  readonly role: TransportRole;
  readonly streamId: string;
  readonly peerConfig: Partial<PeerConfig>;
  readonly layerPreference: LayerPreference;
  /** Called once when the transport closes (returns its UDP port slice). */
  readonly onRelease: () => void;
}

/**
 * A connected peer that sends no RTCP for this long is reported 'disconnected'
 * (browsers send RTCP about every second with video, every ~5 s (up to 7.5 s)
 * with audio only). A closed tab sends nothing, and werift's own ICE consent
 * check would only notice after 30 s.
 */
const SILENCE_VIDEO_MS = 4000;
const SILENCE_AUDIO_ONLY_MS = 12_000;

/** FIR (RFC 5104) is a payload-specific feedback with FMT 4. */
const FIR_FMT = 4;
/** REMB is a payload-specific feedback with FMT 15. */
const REMB_FMT = 15;

export class WebRtcTransport extends TypedEmitter<WebRtcTransportEvents> {
  readonly id = randomUUID();
  readonly role: TransportRole;
  readonly streamId: string;
  readonly #pc: RTCPeerConnection;
  readonly #producers = new Map<string, Producer>();
  readonly #consumers = new Map<string, Consumer>();
  /** Per viewer sender: where the last consumer stopped, so a republished stream continues seamlessly. */
  readonly #continuity = new Map<RTCRtpSender, RtpContinuity>();
  readonly #onRelease: () => void;
  readonly #log;
  #layerPreference: LayerPreference;
  #state: ConnectionState | 'new' = 'new';
  readonly #unsubscribe: Array<() => void> = [];
  #silenceTimer: NodeJS.Timeout | undefined;
  #lastRtcpMs = 0;
  /** True while 'disconnected' is our own silence verdict rather than werift's. */
  #silent = false;
  #closed = false;

  constructor(options: WebRtcTransportOptions) {
    super();
    this.role = options.role;
    this.streamId = options.streamId;
    this.#layerPreference = options.layerPreference;
    this.#onRelease = options.onRelease;
    this.#log = logger.child(`stream:${options.streamId}`).child(`${options.role}:${this.id.slice(0, 8)}`);
    try {
      this.#pc = new RTCPeerConnection(options.peerConfig);
    } catch (err) {
      this.#closed = true;
      this.#onRelease();
      throw err;
    }
    this.#pc.connectionStateChange.subscribe((state) => this.#onConnectionState(state));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get connectionState(): ConnectionState | 'new' {
    return this.#state;
  }

  get layerPreference(): LayerPreference {
    return this.#layerPreference;
  }

  get producers(): Producer[] {
    return [...this.#producers.values()];
  }

  get consumers(): Consumer[] {
    return [...this.#consumers.values()];
  }

  /** The simulcast layer this viewer receives (null: none or no simulcast). */
  get currentLayer(): string | null {
    for (const consumer of this.#consumers.values()) if (consumer.kind === 'video') return consumer.currentLayer;
    return null;
  }

  /** Viewer: 'auto' follows the bandwidth estimate; 'high' | 'mid' | 'low' pins a layer. */
  setLayerPreference(preference: LayerPreference): void {
    if (this.#closed) return;
    this.#layerPreference = preference;
    for (const consumer of this.#consumers.values()) consumer.setPreference(preference);
  }

  /** Adds a trickled remote candidate. End-of-candidates (empty candidate) is accepted and ignored. */
  async addIceCandidate(candidate: IceCandidateInit): Promise<void> {
    if (this.#closed) throw new InvalidStateError('the transport is closed');
    if (!candidate.candidate) return;
    try {
      await this.#pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
        usernameFragment: candidate.usernameFragment ?? undefined,
      });
    } catch (err) {
      throw new BadRequestError(`ICE candidate rejected: ${firstLine(err)}`, 'bad_candidate');
    }
  }

  /**
   * @internal Applies the (already narrowed) offer, sets every audio/video
   * transceiver's direction, and returns the answer with our candidate.
   */
  async answer(offerSdp: string, direction: 'recvonly' | 'sendonly', msid: string): Promise<string> {
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    } catch (err) {
      throw new BadRequestError(`malformed SDP offer: ${firstLine(err)}`, 'bad_sdp');
    }
    this.#assertOpen();
    for (const t of this.#pc.getTransceivers()) {
      if (t.kind !== 'audio' && t.kind !== 'video') continue;
      t.setDirection(direction);
      // One msid stream for audio and video: browsers synchronise tracks of the same stream.
      if (direction === 'sendonly') t.sender.streamId = msid;
    }
    const answer = await this.#pc.createAnswer();
    this.#assertOpen();
    await this.#pc.setLocalDescription(answer);
    this.#assertOpen();
    const sdp = this.#pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    if (!/^a=candidate:/m.test(sdp)) {
      throw new ServiceUnavailableError('no ICE candidate could be gathered (UDP port slice busy?); try again');
    }
    this.#watchRtcp();
    return sdp;
  }

  /** @internal RTCP CNAME of this connection. */
  get cname(): string {
    return this.#pc.cname;
  }

  /** @internal */
  get transceivers(): RTCRtpTransceiver[] {
    return this.#pc.getTransceivers();
  }

  /** @internal */
  addProducer(producer: Producer): void {
    this.#producers.set(producer.id, producer);
    producer.once('@close', () => this.#producers.delete(producer.id));
  }

  /** @internal */
  addConsumer(consumer: Consumer, sender: RTCRtpSender): void {
    this.#consumers.set(consumer.id, consumer);
    consumer.on('layerchange', (rid) => this.safeEmit('layerchange', rid));
    consumer.once('@close', () => {
      const continuity = consumer.continuity;
      if (continuity) this.#continuity.set(sender, continuity);
      this.#consumers.delete(consumer.id);
    });
    if (this.#state === 'connected') consumer.start();
  }

  /** @internal */
  continuityFor(sender: RTCRtpSender): RtpContinuity | undefined {
    return this.#continuity.get(sender);
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log.debug(`close() [reason:${reason}]`);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    if (this.#silenceTimer) clearInterval(this.#silenceTimer);
    for (const producer of [...this.#producers.values()]) producer.transportClosed(reason);
    for (const consumer of [...this.#consumers.values()]) consumer.transportClosed(reason);
    this.#producers.clear();
    this.#consumers.clear();
    this.#pc.close().catch((err: unknown) => this.#log.warn(`close() werift: ${firstLine(err)}`));
    this.#onRelease();
    this.#state = 'closed';
    // 'close' first, so listeners learn the reason before the generic state change.
    this.safeEmit('close', reason);
    this.safeEmit('connectionstatechange', 'closed');
    this.safeEmit('@close');
  }

  /** @internal Called by the router when it closes. */
  routerClosed(reason: string): void {
    this.close(reason);
  }

  #onConnectionState(state: string): void {
    if (this.#closed || state === 'new') return;
    if (state === 'connected') this.#lastRtcpMs = Date.now();
    this.#silent = false;
    this.#setState(state as ConnectionState);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#log.debug(`connectionstatechange [state:${state}]`);
    if (state === 'connected') for (const consumer of this.#consumers.values()) consumer.start();
    this.safeEmit('connectionstatechange', state);
  }

  /** Inbound RTCP: liveness for both roles; connection-wide feedback (REMB, FIR) for viewers. */
  #watchRtcp(): void {
    if (this.#silenceTimer) return;
    const dtls = this.#pc.getTransceivers()[0]?.sender.dtlsTransport;
    if (!dtls) return;
    this.#unsubscribe.push(
      dtls.onRtcp.subscribe((packet: RtcpPacket) => {
        this.#lastRtcpMs = Date.now();
        if (this.#silent) {
          this.#silent = false;
          this.#setState('connected');
        }
        if (this.role === 'viewer' && packet.type === RtcpPayloadSpecificFeedback.type) this.#onFeedback(packet as RtcpPayloadSpecificFeedback);
      }).unSubscribe,
      // A DTLS close alert: the browser closed its RTCPeerConnection.
      dtls.onStateChange.subscribe((state) => {
        if (state === 'closed' && !this.#closed) this.close('peer closed the connection');
      }).unSubscribe,
    );
    const hasVideo = this.#pc.getTransceivers().some((t) => t.kind === 'video' && !t.stopped);
    const silenceMs = hasVideo ? SILENCE_VIDEO_MS : SILENCE_AUDIO_ONLY_MS;
    this.#silenceTimer = setInterval(() => {
      if (this.#state === 'connected' && Date.now() - this.#lastRtcpMs > silenceMs) {
        this.#log.debug(`no RTCP for ${silenceMs} ms`);
        this.#silent = true;
        this.#setState('disconnected');
      }
    }, 1000);
    this.#silenceTimer.unref();
  }

  #onFeedback(packet: RtcpPayloadSpecificFeedback): void {
    const feedback = packet.feedback;
    if (feedback.count === REMB_FMT) {
      const bps = Number((feedback as { bitrate: bigint }).bitrate);
      for (const consumer of this.#consumers.values()) if (consumer.kind === 'video') consumer.onRemb(bps);
    } else if (feedback.count === FIR_FMT) {
      const targets = (feedback as unknown as { fir: Array<{ ssrc: number }> }).fir.map((f) => f.ssrc);
      for (const consumer of this.#consumers.values()) if (targets.includes(consumer.ssrc)) consumer.requestKeyFrame();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('the transport was closed while negotiating');
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
