/**
 * A Producer and Consumers wired to real werift tracks and senders, with the
 * DTLS transports replaced by recorders: each viewer's datagrams, as the SFU
 * SRTP-protects and sends them, are decrypted with werift's SRTP receiver and
 * recorded. Lets the forwarding rules (rewrites, continuity, sender reports,
 * NACK, PLI) be checked packet by packet without a network.
 */
import { randomBytes } from 'node:crypto';
import {
  MediaStreamTrack,
  ProtectionProfileAeadAes128Gcm,
  RTCRtpSender,
  RtcpSenderInfo,
  RtcpSrPacket,
  RtpHeader,
  RtpPacket,
  SrtpSession,
  type RtcpPacket,
} from 'werift';
import type { WeriftDtls } from '../RtpEgress.ts';
import { Consumer } from '../Consumer.ts';
import type { LayerPreference } from '../layer-choice.ts';
import { Producer, type ProducerCodec } from '../Producer.ts';

export interface SentRtp {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly extensions: ReadonlyArray<{ id: number; payload: Buffer }>;
  readonly payload: Buffer;
}

/**
 * Stands in for werift's RTCDtlsTransport (the fields RtpEgress reads): DTLS
 * keys of its own and a "socket" whose datagrams are decrypted by a werift SRTP
 * receiver holding the other end's keys, then recorded. RTCP is recorded as is.
 */
export class RecordingDtlsTransport implements WeriftDtls {
  state: 'connected' | 'closed' = 'connected';
  readonly rtp: SentRtp[] = [];
  readonly rtcp: RtcpPacket[] = [];
  /** Raw SRTP datagrams, in sending order. */
  readonly datagrams: Buffer[] = [];
  readonly srtp: SrtpSession;
  readonly iceTransport: WeriftDtls['iceTransport'];
  readonly #receiver: SrtpSession;

  constructor() {
    const key = randomBytes(16);
    const salt = randomBytes(12);
    const other = { key: randomBytes(16), salt: randomBytes(12) };
    const profile = ProtectionProfileAeadAes128Gcm;
    this.srtp = new SrtpSession({ keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: other.key, remoteMasterSalt: other.salt }, profile });
    this.#receiver = new SrtpSession({ keys: { localMasterKey: other.key, localMasterSalt: other.salt, remoteMasterKey: key, remoteMasterSalt: salt }, profile });
    const socket = { send: (datagram: Buffer): void => this.#record(datagram) };
    this.iceTransport = {
      connection: {
        nominated: { protocol: { type: 'stun', transport: { socket, closed: false } }, remoteCandidate: { host: '127.0.0.1', port: 9 } },
        canSendApplicationData: () => this.state === 'connected',
        send: async (datagram: Buffer) => this.#record(datagram),
      },
    };
  }

  async sendRtcp(packets: RtcpPacket[]): Promise<void> {
    this.rtcp.push(...packets);
  }

  #record(datagram: Buffer): void {
    this.datagrams.push(datagram);
    const packet = RtpPacket.deSerialize(this.#receiver.decrypt(datagram));
    const { header } = packet;
    this.rtp.push({
      ssrc: header.ssrc,
      payloadType: header.payloadType,
      sequenceNumber: header.sequenceNumber,
      timestamp: header.timestamp,
      marker: header.marker,
      extensions: header.extensions.map((e) => ({ id: e.id, payload: Buffer.from(e.payload) })),
      payload: packet.payload,
    });
  }
}

export const H264: ProducerCodec = {
  mimeType: 'video/H264',
  clockRate: 90000,
  channels: undefined,
  params: new Map([
    ['packetization-mode', '1'],
    ['profile-level-id', '42001f'],
  ]),
  payloadType: 102,
  fmtp: 'packetization-mode=1;profile-level-id=42001f',
};

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
export const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const RID_URI = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
export const ABS_SEND_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';

/** Payloads that open a keyframe / continue a frame (H.264 IDR slice / non-IDR slice). */
export const KEYFRAME = Buffer.from([0x65, 0x88, 0x84, 0x00]);
export const DELTA = Buffer.from([0x41, 0x9a, 0x00, 0x00]);

export class ForwardingRig {
  readonly publisherDtls = new RecordingDtlsTransport();
  readonly tracks = new Map<string, MediaStreamTrack>();
  readonly producer: Producer;

  constructor(options: { rids?: string[]; keyframeThrottleMs?: number } = {}) {
    const rids = options.rids ?? [];
    for (const rid of rids.length ? rids : ['']) this.tracks.set(rid, new MediaStreamTrack({ kind: 'video', remote: true }));
    this.producer = new Producer({
      kind: 'video',
      codec: H264,
      rids,
      tracks: this.tracks,
      // Publisher leg ids; the viewers below use different ones.
      extensionIds: new Map([
        [MID_URI, 4],
        [RID_URI, 10],
        [AUDIO_LEVEL_URI, 1],
      ]),
      dtls: this.publisherDtls as never,
      rtcpSsrc: 0xabcdef,
      keyframeThrottleMs: options.keyframeThrottleMs ?? 200,
      nack: true,
      rembBps: 0,
      streamId: 'rig',
    });
  }

  /** A viewer with payload type 96 and its own extension ids (mid 3, abs-send-time 5, audio level 7). */
  addViewer(preference: LayerPreference = 'auto'): { consumer: Consumer; sender: RTCRtpSender; dtls: RecordingDtlsTransport } {
    const dtls = new RecordingDtlsTransport();
    const sender = new RTCRtpSender('video');
    sender.dtlsTransport = dtls as never;
    const consumer = new Consumer({
      producer: this.producer,
      sender,
      payloadType: 96,
      extensionIds: new Map([
        [MID_URI, 3],
        [ABS_SEND_TIME_URI, 5],
        [AUDIO_LEVEL_URI, 7],
      ]),
      preference,
      continuity: undefined,
      mid: '1',
      cname: 'viewer-cname',
      streamId: 'rig',
    });
    consumer.start();
    return { consumer, sender, dtls };
  }

  /** Delivers one publisher packet on a layer ('' without simulcast). */
  receive(rid: string, seq: number, timestamp: number, payload: Buffer, ssrc = 1000 + [...this.tracks.keys()].indexOf(rid)): void {
    const header = new RtpHeader({
      payloadType: 102,
      sequenceNumber: seq & 0xffff,
      timestamp: timestamp >>> 0,
      ssrc,
      marker: false,
      extensions: [
        { id: 4, payload: Buffer.from('1') },
        { id: 1, payload: Buffer.from([0x90]) },
      ],
    });
    this.tracks.get(rid)!.onReceiveRtp.execute(new RtpPacket(header, payload));
  }

  /** Delivers a publisher sender report on a layer. */
  senderReport(rid: string, ntpTimestamp: bigint, rtpTimestamp: number, ssrc = 1000 + [...this.tracks.keys()].indexOf(rid)): void {
    const sr = new RtcpSrPacket({ ssrc, senderInfo: new RtcpSenderInfo({ ntpTimestamp, rtpTimestamp, packetCount: 1, octetCount: 1 }) });
    this.tracks.get(rid)!.onReceiveRtcp.execute(sr);
  }

  close(): void {
    this.producer.close('rig closed');
  }
}
