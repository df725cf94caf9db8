/**
 * The downstream end of a pipe (mediasoup's pipe producer): re-creates the
 * upstream node's producers from the pipe description and feeds them the
 * packets arriving on the PipeTransport, demultiplexed by pipe SSRC. The
 * local Router adopts them (router.adoptPipe) and forwards to its viewers as
 * if the publisher were connected here.
 *
 * The producers' feedback goes back up the pipe: their throttled keyframe
 * requests become PLIs for the pipe SSRC, their NACKs (one generator per
 * layer, as for a publisher) ask the upstream node's cache, and viewers'
 * NACKs never leave this node, since each Consumer resends from its own cache.
 */
import { randomBytes } from 'node:crypto';
import { MediaStreamTrack, RtcpSrPacket, type RtcpPacket, type RtpPacket } from 'werift';
import { createLogger } from '../../signaling/logger.ts';
import { parseFmtp } from '../sdp-offer.ts';
import { Producer } from '../Producer.ts';
import type { RouterPipeSource } from '../Router.ts';
import { TypedEmitter } from '../TypedEmitter.ts';
import type { PipeDescription } from './pipe-description.ts';
import type { PipeTransport } from './PipeTransport.ts';

const logger = createLogger('sfu:PipeReceiver');

export interface PipeReceiverOptions {
  readonly transport: PipeTransport;
  readonly description: PipeDescription;
  /** Keyframe requests sent up the pipe at most once per this many ms (per layer), as for a publisher. */
  readonly keyframeThrottleMs: number;
}

export type PipeReceiverEvents = {
  close: [reason: string];
  '@close': [];
};

export class PipeReceiver extends TypedEmitter<PipeReceiverEvents> implements RouterPipeSource {
  readonly id = randomBytes(8).toString('hex');
  readonly streamId: string;
  readonly transport: PipeTransport;
  readonly producers: readonly Producer[];
  readonly #tracksBySsrc = new Map<number, MediaStreamTrack>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #log;
  #unknownSsrcPackets = 0;
  #closed = false;

  constructor(options: PipeReceiverOptions) {
    super();
    const { transport, description } = options;
    this.streamId = description.streamId;
    this.transport = transport;
    this.#log = logger.child(`stream:${description.streamId}`).child(`pipe:${transport.id.slice(0, 8)}`);
    // Feedback from every producer leaves through the pipe; the 'state' lets their REMB/NACK logic run.
    const feedback = {
      get state(): 'connected' | 'closed' {
        return transport.closed ? 'closed' : 'connected';
      },
      sendRtcp: async (packets: RtcpPacket[]): Promise<undefined> => {
        transport.sendRtcp(packets);
        return undefined;
      },
    };
    this.producers = description.producers.map((d) => {
      const rids = d.layers.flatMap((l) => (l.rid === null ? [] : [l.rid]));
      const tracks = new Map<string, MediaStreamTrack>();
      for (const layer of d.layers) {
        const track = new MediaStreamTrack({ kind: d.kind, remote: true });
        tracks.set(layer.rid ?? '', track);
        this.#tracksBySsrc.set(layer.ssrc, track);
      }
      return new Producer({
        kind: d.kind,
        codec: {
          mimeType: d.codec.mimeType,
          clockRate: d.codec.clockRate,
          channels: d.codec.channels,
          params: parseFmtp(d.codec.fmtp),
          payloadType: d.codec.payloadType,
          fmtp: d.codec.fmtp,
        },
        rids: rids.length === d.layers.length ? rids : [],
        tracks,
        extensionIds: new Map(d.extensionIds),
        dtls: feedback,
        rtcpSsrc: transport.ssrc,
        keyframeThrottleMs: options.keyframeThrottleMs,
        nack: d.kind === 'video',
        // REMB is for a browser's encoder; the upstream node sends what it gets.
        rembBps: 0,
        streamId: description.streamId,
      });
    });
    const onRtp = (packet: RtpPacket): void => this.#onRtp(packet);
    const onRtcp = (packets: RtcpPacket[]): void => this.#onRtcp(packets);
    const onClose = (reason: string): void => this.close(`pipe transport closed (${reason})`);
    transport.on('rtp', onRtp);
    transport.on('rtcp', onRtcp);
    transport.once('close', onClose);
    this.#unsubscribe.push(() => {
      transport.off('rtp', onRtp);
      transport.off('rtcp', onRtcp);
      transport.off('close', onClose);
    });
    for (const producer of this.producers) producer.once('close', () => this.close('producer closed'));
    this.#log.debug(`constructor() [tracks:${this.producers.map((p) => `${p.kind}:${p.codec.mimeType}`).join(',')}]`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Packets whose SSRC the description did not name (dropped). */
  get unknownSsrcPackets(): number {
    return this.#unknownSsrcPackets;
  }

  /** Closes the producers (their consumers stop) and the transport (which tells the peer); idempotent. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const producer of this.producers) producer.close(reason);
    this.transport.close(reason);
    this.#log.debug(`close() [reason:${reason}]`);
    this.safeEmit('close', reason);
    this.safeEmit('@close');
  }

  #onRtp(packet: RtpPacket): void {
    const track = this.#tracksBySsrc.get(packet.header.ssrc);
    if (!track) {
      this.#unknownSsrcPackets++;
      return;
    }
    track.onReceiveRtp.execute(packet);
  }

  #onRtcp(packets: RtcpPacket[]): void {
    for (const packet of packets) {
      if (packet.type !== RtcpSrPacket.type) continue;
      this.#tracksBySsrc.get((packet as RtcpSrPacket).ssrc)?.onReceiveRtcp.execute(packet);
    }
  }
}
