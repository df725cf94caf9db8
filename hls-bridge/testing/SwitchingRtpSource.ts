/**
 * An RtpSource that forwards one upstream video source and, on switch(), moves to another
 * at its next keyframe, rewriting SSRC, sequence numbers and timestamps so the output stays
 * one continuous stream — what an SFU does on a simulcast layer switch, and how tests make a
 * publisher change resolution mid-stream.
 */
import { parseRtpHeader } from '../ingest/rtp-packet.ts';
import { inspectVideoPayload, videoCodecName } from '../ingest/video-payload.ts';
import type { RtpCodec, RtpSource, SenderReport, Unsubscribe } from '../types.ts';

export class SwitchingRtpSource implements RtpSource {
  readonly kind = 'video' as const;
  readonly codec: RtpCodec;
  readonly #rtp = new Set<(packet: Buffer) => void>();
  readonly #sr = new Set<(report: SenderReport) => void>();
  readonly #upstreams: RtpSource[];
  #active = 0;
  #pending: number | null = null;
  #ssrc: number | null = null;
  #seqOffset = 0;
  #tsOffset = 0;
  #last: { seq: number; ts: number; at: number } | null = null;
  keyframeRequests = 0;

  constructor(upstreams: RtpSource[]) {
    this.#upstreams = upstreams;
    this.codec = upstreams[0]!.codec;
    upstreams.forEach((u, i) => {
      u.onRtp((p) => this.#onPacket(i, p));
      u.onSenderReport((r) => i === this.#active && this.#emitReport(r));
    });
  }

  /** Moves to upstream `index` at its next keyframe. */
  switchTo(index: number): void {
    this.#pending = index;
  }

  onRtp(cb: (packet: Buffer) => void): Unsubscribe {
    this.#rtp.add(cb);
    return () => this.#rtp.delete(cb);
  }

  onSenderReport(cb: (report: SenderReport) => void): Unsubscribe {
    this.#sr.add(cb);
    return () => this.#sr.delete(cb);
  }

  requestKeyframe(): void {
    this.keyframeRequests++;
  }

  #onPacket(index: number, packet: Buffer): void {
    const h = parseRtpHeader(packet);
    if (!h) return;
    if (index === this.#pending && this.#last) {
      const info = inspectVideoPayload(videoCodecName(this.codec.mimeType)!, packet.subarray(h.payloadOffset, h.payloadEnd));
      if (!info.keyframeStart) return;
      // Continue the output numbering from where the previous upstream stopped.
      this.#seqOffset = this.#last.seq + 1 - h.sequenceNumber;
      this.#tsOffset = this.#last.ts + Math.round((Date.now() - this.#last.at) * 90) - h.timestamp;
      this.#active = index;
      this.#pending = null;
    }
    if (index !== this.#active) return;
    const out = Buffer.from(packet);
    this.#ssrc ??= h.ssrc;
    const seq = (h.sequenceNumber + this.#seqOffset) & 0xffff;
    const ts = (h.timestamp + this.#tsOffset) >>> 0;
    out.writeUInt16BE(seq, 2);
    out.writeUInt32BE(ts, 4);
    out.writeUInt32BE(this.#ssrc, 8);
    this.#last = { seq, ts, at: Date.now() };
    for (const cb of this.#rtp) cb(out);
  }

  #emitReport(r: SenderReport): void {
    const report = { ntpTime: r.ntpTime, rtpTimestamp: (r.rtpTimestamp + this.#tsOffset) >>> 0 };
    for (const cb of this.#sr) cb(report);
  }
}
