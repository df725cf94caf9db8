/**
 * The viewer leg: which of the viewer's m-sections and codecs can carry the
 * stream (planViewer: each viewer gets the stream's exact codec under its own
 * payload type, pitfall 5), and the Consumers bound to the negotiated senders
 * (attachConsumers, also used when a publisher comes back to the same router).
 */
import { BadRequestError } from '../signaling/errors.ts';
import { describeCodec, isCodecCompatible, matchViewerCodec, type CodecDescriptor } from './codec-choice.ts';
import { Consumer } from './Consumer.ts';
import type { MediaKind, Producer } from './Producer.ts';
import type { OfferCodec, OfferDescription, OfferMedia } from './sdp-offer.ts';
import { parseFmtp } from './sdp-offer.ts';
import type { MediaRewrite } from './sdp-rewrite.ts';
import type { WebRtcTransport } from './WebRtcTransport.ts';

export interface ViewerPlan {
  readonly rewrites: ReadonlyMap<number, MediaRewrite>;
  readonly audio: { readonly media: OfferMedia; readonly codec: OfferCodec } | undefined;
  readonly video: { readonly media: OfferMedia; readonly codec: OfferCodec } | undefined;
}

/** The SFU answers REMB and RR, not transport-cc feedback, on this leg. */
const DROPPED_FEEDBACK = ['transport-cc'];

export function planViewer(offer: OfferDescription, producers: ReadonlyMap<MediaKind, Producer>): ViewerPlan {
  const rewrites = new Map<number, MediaRewrite>();
  const chosen: { audio?: ViewerPlan['audio']; video?: ViewerPlan['video'] } = {};
  for (const media of offer.media) {
    if (media.kind !== 'audio' && media.kind !== 'video') continue;
    const kind = media.kind;
    const receiving = media.port !== 0 && (media.direction === 'recvonly' || media.direction === 'sendrecv');
    const producer = producers.get(kind);
    if (!receiving || !producer || chosen[kind]) {
      // Nothing to send there (no such track in the stream, or a second m-section of a kind).
      if (media.port !== 0) rewrites.set(media.index, { keepPayloadTypes: [], reject: true });
      continue;
    }
    const codec = matchViewerCodec(media.codecs, producer.codec);
    if (!codec) {
      throw new BadRequestError(
        `the offer's ${kind} section has no codec compatible with this stream's ${describeCodec(producer.codec)}; offer it to watch`,
        'no_codec',
      );
    }
    chosen[kind] = { media, codec };
    rewrites.set(media.index, { keepPayloadTypes: [codec.payloadType], dropFeedback: DROPPED_FEEDBACK });
  }
  if (!chosen.audio && !chosen.video) {
    throw new BadRequestError('the offer receives neither audio nor video: add recvonly transceivers', 'no_media');
  }
  return { rewrites, audio: chosen.audio, video: chosen.video };
}

/**
 * Creates a Consumer on each of the viewer's sending transceivers that has no
 * open consumer yet and whose negotiated codec carries the producer's packets.
 * Returns the kinds that could not be served (codec differs after a republish).
 */
export function attachConsumers(transport: WebRtcTransport, producers: ReadonlyMap<MediaKind, Producer>, streamId: string): MediaKind[] {
  const unserved: MediaKind[] = [];
  const served = new Set(transport.consumers.filter((c) => !c.closed).map((c) => c.kind));
  for (const transceiver of transport.transceivers) {
    const kind = transceiver.kind;
    if ((kind !== 'audio' && kind !== 'video') || served.has(kind)) continue;
    if (transceiver.stopped || transceiver.currentDirection !== 'sendonly') continue;
    const producer = producers.get(kind);
    const negotiated = transceiver.codecs.find((c) => c.name.toLowerCase() !== 'rtx');
    if (!producer || producer.closed || !negotiated) continue;
    const descriptor: CodecDescriptor = {
      mimeType: negotiated.mimeType,
      clockRate: negotiated.clockRate,
      channels: negotiated.channels,
      params: parseFmtp(negotiated.parameters ?? ''),
    };
    if (!isCodecCompatible(producer.codec, descriptor)) {
      unserved.push(kind);
      continue;
    }
    const consumer = new Consumer({
      producer,
      sender: transceiver.sender,
      payloadType: negotiated.payloadType,
      extensionIds: new Map(transceiver.headerExtensions.map((e) => [e.uri, e.id])),
      preference: transport.layerPreference,
      continuity: transport.continuityFor(transceiver.sender),
      mid: transceiver.mid,
      cname: transport.cname,
      streamId,
    });
    transport.addConsumer(consumer, transceiver.sender);
    served.add(kind);
  }
  return unserved;
}
