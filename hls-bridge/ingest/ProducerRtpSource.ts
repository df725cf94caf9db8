/**
 * The SFU → bridge adapter: an RtpSource over one sfu Producer. It takes the top
 * simulcast layer only (the ladder is encoded from the best picture), primary media
 * only (packets of the negotiated payload type: no RTX/FEC, and no padding-only
 * probes, which the Producer passes on for pipes), the layer's RTCP sender reports, and turns
 * requestKeyframe() into a PLI on that layer.
 *
 * Per packet (the Producer's 'rtp' event fires for every packet of every layer): a rid
 * and payload-type compare, then one allocation holding a bare 12-byte RTP header plus
 * the payload. Header extensions are left out: ffmpeg ignores them and they are the
 * publisher leg's ids, meaningless downstream. Nothing is subscribed while the bridge
 * has no listener.
 */
import type { Producer, RtpPacketView, SenderReport as SfuSenderReport } from '../../sfu/Producer.ts';
import type { MediaKind, RtpCodec, RtpSource, SenderReport, Unsubscribe } from '../types.ts';

const RTP_HEADER_BYTES = 12;

export class ProducerRtpSource implements RtpSource {
  readonly kind: MediaKind;
  readonly codec: RtpCodec;
  /** The layer fed to the bridge: the top simulcast rid, or null without simulcast. */
  readonly rid: string | null;
  readonly #producer: Producer;
  readonly #rtp = new Set<(packet: Buffer) => void>();
  readonly #sr = new Set<(report: SenderReport) => void>();
  packets = 0;

  constructor(producer: Producer) {
    this.#producer = producer;
    this.kind = producer.kind;
    const c = producer.codec;
    this.codec = {
      mimeType: c.mimeType,
      clockRate: c.clockRate,
      ...(c.channels !== undefined ? { channels: c.channels } : {}),
      payloadType: c.payloadType,
      ...(c.fmtp ? { fmtp: c.fmtp } : {}),
    };
    // rids are lowest quality first.
    this.rid = producer.rids.at(-1) ?? null;
  }

  onRtp(cb: (packet: Buffer) => void): Unsubscribe {
    if (this.#rtp.size === 0) this.#producer.on('rtp', this.#onRtp);
    this.#rtp.add(cb);
    return () => {
      if (this.#rtp.delete(cb) && this.#rtp.size === 0) this.#producer.off('rtp', this.#onRtp);
    };
  }

  onSenderReport(cb: (report: SenderReport) => void): Unsubscribe {
    if (this.#sr.size === 0) this.#producer.on('senderreport', this.#onSenderReport);
    this.#sr.add(cb);
    return () => {
      if (this.#sr.delete(cb) && this.#sr.size === 0) this.#producer.off('senderreport', this.#onSenderReport);
    };
  }

  requestKeyframe(): void {
    this.#producer.requestKeyFrame(this.rid);
  }

  readonly #onRtp = (packet: RtpPacketView, rid: string | null): void => {
    if (rid !== this.rid) return;
    const h = packet.header;
    // Padding-only bandwidth probes carry no media for ffmpeg.
    if (h.payloadType !== this.codec.payloadType || packet.payload.length === 0) return;
    this.packets++;
    const bytes = toPlainRtp(packet);
    for (const cb of this.#rtp) cb(bytes);
  };

  readonly #onSenderReport = (report: SfuSenderReport, rid: string | null): void => {
    if (rid !== this.rid) return;
    const out: SenderReport = { ntpTime: report.ntpTimestamp, rtpTimestamp: report.rtpTimestamp };
    for (const cb of this.#sr) cb(out);
  };
}

/** RFC 3550 fixed header (V=2, no padding, no extension, no CSRC) followed by the payload. */
export function toPlainRtp(packet: RtpPacketView): Buffer {
  const h = packet.header;
  const payload = packet.payload;
  const out = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
  out[0] = 0x80;
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(h.timestamp >>> 0, 4);
  out.writeUInt32BE(h.ssrc >>> 0, 8);
  payload.copy(out, RTP_HEADER_BYTES);
  return out;
}
