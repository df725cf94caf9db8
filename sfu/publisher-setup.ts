/**
 * The publisher leg, before and after werift answers: which m-sections and
 * codecs to accept (planPublisher), and the Producers built from the
 * negotiated receivers (createProducers), sharing one transport-wide
 * congestion feedback when the publisher negotiated it.
 */
import { useTransportWideCC, type RtcpPacket, type RTCRtpReceiver, type RTCRtpTransceiver } from 'werift';
import { BadRequestError } from '../signaling/errors.ts';
import { choosePublisherAudioCodec, choosePublisherVideoCodec } from './codec-choice.ts';
import { orderRids } from './layer-choice.ts';
import { Producer } from './Producer.ts';
import { TransportCcFeedback } from './TransportCcFeedback.ts';
import type { OfferCodec, OfferDescription, OfferMedia } from './sdp-offer.ts';
import { parseFmtp } from './sdp-offer.ts';
import type { MediaRewrite } from './sdp-rewrite.ts';
import type { WebRtcTransport } from './WebRtcTransport.ts';

/** Chromium sends at most three simulcast layers; the layer choice assumes no more. */
export const MAX_SIMULCAST_LAYERS = 3;

export interface PublisherPlan {
  readonly rewrites: ReadonlyMap<number, MediaRewrite>;
  readonly audio: { readonly media: OfferMedia; readonly codec: OfferCodec } | undefined;
  readonly video: { readonly media: OfferMedia; readonly codec: OfferCodec; readonly rids: readonly string[] } | undefined;
}

export interface PublisherTuning {
  /** x-google-start-bitrate put in the answer, so Chromium starts its estimate there (kbps); 0 omits it. */
  readonly startBitrateKbps: number;
}

/** Feedback the SFU does not implement on this leg (transport-cc it does, with TransportCcFeedback rather than werift's). */
const DROPPED_FEEDBACK: readonly string[] = [];

export function planPublisher(offer: OfferDescription, tuning: PublisherTuning): PublisherPlan {
  const rewrites = new Map<number, MediaRewrite>();
  let audio: PublisherPlan['audio'];
  let video: PublisherPlan['video'];
  for (const media of offer.media) {
    if (media.kind !== 'audio' && media.kind !== 'video') continue;
    const sending = media.port !== 0 && (media.direction === 'sendonly' || media.direction === 'sendrecv');
    const taken = media.kind === 'audio' ? audio !== undefined : video !== undefined;
    if (!sending || taken) {
      // One audio and one video track per stream; anything else is refused in the answer.
      if (media.port !== 0) rewrites.set(media.index, { keepPayloadTypes: [], reject: true });
      continue;
    }
    if (media.kind === 'audio') {
      const codec = choosePublisherAudioCodec(media.codecs);
      if (!codec) throw new BadRequestError('no usable audio codec in the offer: the SFU forwards Opus (48 kHz)', 'no_codec');
      audio = { media, codec };
      rewrites.set(media.index, { keepPayloadTypes: [codec.payloadType], dropFeedback: DROPPED_FEEDBACK });
    } else {
      const codec = choosePublisherVideoCodec(media.codecs);
      if (!codec) {
        throw new BadRequestError('no usable video codec in the offer: send H.264 (packetization-mode=1) or VP8', 'no_codec');
      }
      if (media.sendRids.length > MAX_SIMULCAST_LAYERS) {
        throw new BadRequestError(`too many simulcast layers (${media.sendRids.length}): send at most ${MAX_SIMULCAST_LAYERS} rids`, 'bad_simulcast');
      }
      video = { media, codec, rids: orderRids(media.sendRids) };
      const appendFmtp = tuning.startBitrateKbps > 0 ? new Map([[codec.payloadType, `x-google-start-bitrate=${tuning.startBitrateKbps}`]]) : undefined;
      rewrites.set(media.index, { keepPayloadTypes: [codec.payloadType], dropFeedback: DROPPED_FEEDBACK, appendFmtp });
    }
  }
  if (!audio && !video) {
    throw new BadRequestError('the offer sends no audio or video: add a track with direction sendonly', 'no_media');
  }
  return { rewrites, audio, video };
}

export interface ProducerSetup {
  readonly streamId: string;
  readonly keyframeThrottleMs: number;
  readonly rembBps: number;
}

/** Builds one Producer per accepted m-section, after werift applied the answer. */
export function createProducers(transport: WebRtcTransport, plan: PublisherPlan, setup: ProducerSetup): Producer[] {
  const producers: Producer[] = [];
  const transportCc = createTransportCc(transport.transceivers, producers);
  const entries = [
    plan.audio && { ...plan.audio, rids: [] as readonly string[] },
    plan.video,
  ];
  for (const entry of entries) {
    if (!entry) continue;
    const { media, codec, rids } = entry;
    const transceiver = transport.transceivers.find((t) => t.mid === media.mid && t.kind === media.kind);
    if (!transceiver) throw new BadRequestError(`m-section ${media.index} (mid ${media.mid ?? '-'}) was not accepted`, 'bad_sdp');
    const receiver = transceiver.receiver;
    disableWeriftNack(receiver);
    disableWeriftTransportCc(receiver);
    const tracks = new Map<string, (typeof receiver.tracks)[number]>();
    if (rids.length > 0) {
      for (const rid of rids) {
        const track = receiver.trackByRID[rid];
        if (!track) throw new BadRequestError(`simulcast rid "${rid}" was not accepted`, 'bad_simulcast');
        tracks.set(rid, track);
      }
    } else {
      const track = receiver.tracks[0];
      if (!track) {
        throw new BadRequestError(`m-section ${media.index} signals no a=ssrc (nor simulcast rids); the SFU needs one to route packets`, 'bad_sdp');
      }
      tracks.set('', track);
    }
    const producer = new Producer({
      kind: media.kind as 'audio' | 'video',
      codec: {
        mimeType: codec.mimeType,
        clockRate: codec.clockRate,
        channels: codec.channels,
        params: parseFmtp(codec.fmtp),
        payloadType: codec.payloadType,
        fmtp: codec.fmtp,
      },
      rids,
      tracks,
      extensionIds: new Map(transceiver.headerExtensions.map((e) => [e.uri, e.id])),
      dtls: transceiver.receiver.dtlsTransport,
      rtcpSsrc: receiver.rtcpSsrc,
      keyframeThrottleMs: setup.keyframeThrottleMs,
      nack: codec.feedback.includes('nack'),
      rembBps: media.kind === 'video' ? setup.rembBps : 0,
      // Every producer records: a packet carrying a transport sequence number but left out would read as lost.
      transportCc,
      streamId: setup.streamId,
    });
    transport.addProducer(producer);
    producers.push(producer);
    producer.once('close', () => {
      if (transportCc && producers.every((p) => p.closed)) transportCc.feedback.close();
    });
  }
  return producers;
}

/**
 * One feedback per connection when the publisher negotiated the transport-wide
 * sequence number (audio and video share its sequence space). Closed with the
 * last producer; its timer starts with the first packet.
 */
function createTransportCc(
  transceivers: readonly RTCRtpTransceiver[],
  producers: readonly Producer[],
): { extensionId: number; feedback: TransportCcFeedback } | undefined {
  const uri = useTransportWideCC().uri;
  const withExtension = transceivers.find((t) => t.headerExtensions.some((e) => e.uri === uri));
  const extensionId = withExtension?.headerExtensions.find((e) => e.uri === uri)?.id;
  if (!withExtension || extensionId === undefined) return undefined;
  const dtls = withExtension.receiver.dtlsTransport;
  const feedback = new TransportCcFeedback({
    senderSsrc: withExtension.receiver.rtcpSsrc,
    send: (packet) => {
      if (dtls.state !== 'connected' || producers.every((p) => p.closed)) return;
      // Already serialized: werift's sendRtcp only calls serialize() on what it is given.
      dtls.sendRtcp([{ serialize: () => packet } as unknown as RtcpPacket]).catch(() => {});
    },
  });
  return { extensionId, feedback };
}

/** werift's own transport-cc feedback shifts arrival times by up to 64 ms per report (pitfall 7); TransportCcFeedback replaces it. */
function disableWeriftTransportCc(receiver: RTCRtpReceiver): void {
  Object.defineProperty(receiver, 'twccEnabled', { get: () => undefined, configurable: true });
  // setRemoteDescription already made one (resyncCodecs); it sends on its own once 10 packets arrived.
  if (receiver.receiverTWCC) receiver.receiverTWCC.twccRunning = false;
  receiver.receiverTWCC = undefined;
}

/**
 * werift's receiver NACK handler mixes the sequence spaces of simulcast layers
 * and stalls at sequence wrap-around; the Producer sends NACKs per layer
 * instead. The NACK feedback stays negotiated so the publisher keeps resending.
 */
function disableWeriftNack(receiver: RTCRtpReceiver): void {
  Object.defineProperty(receiver, 'nackEnabled', { get: () => undefined, configurable: true });
}
