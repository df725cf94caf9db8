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

/* ------------------------------------------------------------ pipeline state and event payloads */

export const BridgeState = {
  IDLE: 'idle',
  /** Waiting for a source keyframe to start ffmpeg on. */
  WAITING_KEYFRAME: 'waiting-keyframe',
  /** ffmpeg spawned, no output yet. */
  STARTING: 'starting',
  RUNNING: 'running',
  /** ffmpeg died; a new one starts after a back-off. */
  RESTARTING: 'restarting',
  CLOSED: 'closed',
} as const;
export type BridgeState = (typeof BridgeState)[keyof typeof BridgeState];

export interface RenditionStatus {
  readonly name: string;
  readonly kind: MediaKind;
  readonly copy: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly codec?: string;
  readonly lastMsn: number;
  readonly lastPart: number;
  readonly segments: number;
  readonly bitrate?: number;
}

export interface TranscoderStatus {
  readonly generation: number;
  readonly pid?: number;
  readonly uptimeMs: number;
  /** Real-time factor from ffmpeg's progress line (≥ 1 keeps up). */
  readonly speed?: number;
  readonly fps?: number;
  readonly frame?: number;
  readonly bitrateKbps?: number;
  readonly errors: number;
  readonly warnings: number;
  readonly rtpPacketsMissed: number;
  readonly lastError: string | null;
}

export interface BridgeStatus {
  readonly streamId: string;
  readonly state: BridgeState;
  readonly ready: boolean;
  readonly restarts: number;
  readonly transcoder: TranscoderStatus | null;
  readonly source: {
    readonly videoCodec?: string;
    readonly width?: number;
    readonly height?: number;
    readonly videoPackets: number;
    readonly audioPackets: number;
    readonly keyframes: number;
    readonly keyframeRequests: number;
  };
  readonly renditions: readonly RenditionStatus[];
  readonly archiveBytes: number;
}

export interface StateChangeData {
  readonly from: BridgeState;
  readonly to: BridgeState;
}

export interface FfmpegStartedData {
  readonly generation: number;
  readonly pid?: number;
  readonly args: readonly string[];
}

export interface FfmpegExitedData {
  readonly generation: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** True when the bridge stopped it (close); false when it died. */
  readonly expected: boolean;
}

export interface PartData {
  readonly rendition: string;
  readonly msn: number;
  readonly part: number;
  readonly duration: number;
  readonly independent: boolean;
}

export interface SegmentData {
  readonly rendition: string;
  readonly msn: number;
  readonly duration: number;
  readonly programDateTimeMs: number;
  readonly bytes: number;
  readonly discontinuity: boolean;
}

export interface BridgeErrorData {
  readonly details: string;
  /** Fatal: the bridge stopped. Otherwise it recovers (restart, retry) on its own. */
  readonly fatal: boolean;
  readonly message: string;
  readonly error?: Error;
}

export interface ClosedData {
  readonly reason: string;
}
