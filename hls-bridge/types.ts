/**
 * Shared interfaces of the HLS bridge (hls.js keeps these in src/types): the input
 * contract the SFU adapts to, and the payloads the pipeline stages exchange.
 */

export type MediaKind = 'audio' | 'video';

/** One negotiated RTP codec, as in the publisher's SDP (e.g. video/H264 96 90000). */
export interface RtpCodec {
  /** 'video/H264', 'video/VP8', 'video/VP9', 'audio/opus' (case-insensitive). */
  readonly mimeType: string;
  readonly clockRate: number;
  /** Audio channels as negotiated (opus is always 2 in WebRTC SDP). */
  readonly channels?: number;
  readonly payloadType: number;
  /** The a=fmtp parameters, e.g. 'packetization-mode=1;profile-level-id=42e01f'. */
  readonly fmtp?: string;
}

/** An RTCP sender report of the source: the publisher's capture clock against its RTP clock. */
export interface SenderReport {
  /** 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32). */
  readonly ntpTime: bigint;
  readonly rtpTimestamp: number;
}

export type Unsubscribe = () => void;

/**
 * What the bridge needs from one published track. The SFU's Producer is adapted to this;
 * tests use testing/FfmpegRtpSource. Packets are plain (decrypted) RTP of ONE encoding
 * (the top simulcast layer), primary media only: no RTX, FEC or padding-only packets.
 */
export interface RtpSource {
  readonly kind: MediaKind;
  readonly codec: RtpCodec;
  onRtp(cb: (packet: Buffer) => void): Unsubscribe;
  onSenderReport(cb: (report: SenderReport) => void): Unsubscribe;
  /** Ask the publisher for a keyframe (PLI/FIR). Called at start, on restart and ahead of segment cuts. */
  requestKeyframe(): void;
}

/** Sources handed to one bridge; at least one of them. */
export interface BridgeSources {
  readonly video?: RtpSource;
  readonly audio?: RtpSource;
}
