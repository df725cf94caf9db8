/**
 * Receives the publisher's RTP (video and/or audio RtpSource), keeps each track's
 * capture clock, and decides where an ffmpeg generation starts: at the first packet
 * of a video keyframe whose size is known (so the ladder can be planned and the decoder
 * gets a whole keyframe), with audio joining at the packet captured closest after it.
 * Audio of the last second is kept so that alignment can reach slightly back in time.
 */
import type { BridgeSources, MediaKind, RtpSource, Unsubscribe } from '../types.ts';
import { CaptureClock } from './CaptureClock.ts';
import { parseRtpHeader } from './rtp-packet.ts';
import type { RtpForwarder } from './RtpForwarder.ts';
import { inspectVideoPayload, videoCodecName, type VideoCodecName } from './video-payload.ts';

export interface IngestStart {
  /** Present when the generation starts on a video keyframe. */
  readonly video?: { readonly codec: VideoCodecName; readonly width: number; readonly height: number; readonly startCaptureMs: number };
  /** Present when audio starts together with the generation (audio may also join later: onAudioStart). */
  readonly audioStartCaptureMs?: number;
}

export interface IngestArm {
  readonly forwarder: RtpForwarder;
  readonly onStart: (start: IngestStart) => void;
  /** Audio joined after the start (its first forwarded packet's capture time). */
  readonly onAudioStart: (captureMs: number) => void;
}

export interface IngestStats {
  videoPackets: number;
  audioPackets: number;
  keyframes: number;
  keyframeRequests: number;
  lastPacketAtMs: number;
}

/** Audio may be captured this much before the video keyframe and still join (one Opus frame is 20 ms). */
const AUDIO_LEAD_MS = 10;
const AUDIO_RING_MS = 1000;

export class SourceIngest {
  readonly #sources: BridgeSources;
  readonly #videoCodec: VideoCodecName | null;
  readonly #clocks: Partial<Record<MediaKind, CaptureClock>> = {};
  readonly #unsubscribe: Unsubscribe[] = [];
  #audioRing: { packet: Buffer; captureMs: number }[] = [];
  #size: { width: number; height: number } | null = null;
  #arm: IngestArm | null = null;
  #feeding: { forwarder: RtpForwarder; videoStartMs: number | null; audioStarted: boolean; onAudioStart: (ms: number) => void } | null = null;
  readonly stats: IngestStats = { videoPackets: 0, audioPackets: 0, keyframes: 0, keyframeRequests: 0, lastPacketAtMs: 0 };
  /** Called with the coded size of every keyframe that carries one (the source may change resolution). */
  onVideoSize: ((size: { width: number; height: number }) => void) | null = null;

  constructor(sources: BridgeSources) {
    if (!sources.video && !sources.audio) throw new TypeError('HLS bridge needs a video or an audio RtpSource');
    this.#sources = sources;
    this.#videoCodec = sources.video ? videoCodecName(sources.video.codec.mimeType) : null;
    if (sources.video && !this.#videoCodec) throw new TypeError(`video codec ${sources.video.codec.mimeType} is not supported by the HLS bridge: publish H264, VP8 or VP9`);
    if (sources.audio && sources.audio.codec.mimeType.toLowerCase() !== 'audio/opus') {
      throw new TypeError(`audio codec ${sources.audio.codec.mimeType} is not supported by the HLS bridge: publish Opus`);
    }
  }

  get sources(): BridgeSources {
    return this.#sources;
  }

  /** Last coded size seen on a keyframe. */
  get videoSize(): { width: number; height: number } | null {
    return this.#size;
  }

  start(): void {
    for (const source of [this.#sources.video, this.#sources.audio]) {
      if (!source) continue;
      const clock = new CaptureClock(source.codec.clockRate);
      this.#clocks[source.kind] = clock;
      this.#unsubscribe.push(
        source.onRtp((packet) => (source.kind === 'video' ? this.#onVideo(source, packet) : this.#onAudio(packet))),
        source.onSenderReport((report) => clock.onSenderReport(report)),
      );
    }
  }

  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#arm = null;
    this.#feeding = null;
  }

  /** The next suitable packet starts feeding `arm.forwarder`; earlier generations stop being fed now. */
  arm(arm: IngestArm): void {
    this.#feeding = null;
    this.#arm = arm;
  }

  /** Stops feeding any forwarder (ffmpeg died or is stopping). */
  disarm(): void {
    this.#arm = null;
    this.#feeding = null;
  }

  requestKeyframe(): void {
    if (!this.#sources.video) return;
    this.stats.keyframeRequests++;
    this.#sources.video.requestKeyframe();
  }

  #onVideo(source: RtpSource, packet: Buffer): void {
    const header = parseRtpHeader(packet);
    if (!header || header.payloadType !== source.codec.payloadType) return;
    this.stats.videoPackets++;
    const now = Date.now();
    this.stats.lastPacketAtMs = now;
    const clock = this.#clocks.video!;
    const ext = clock.onPacket(header.timestamp, now);
    const info = inspectVideoPayload(this.#videoCodec!, packet.subarray(header.payloadOffset, header.payloadEnd));
    if (info.keyframeStart) {
      this.stats.keyframes++;
      if (info.width && info.height) {
        this.#size = { width: info.width, height: info.height };
        this.onVideoSize?.(this.#size);
      }
    }
    if (this.#arm && info.keyframeStart && this.#size) {
      const arm = this.#arm;
      this.#arm = null;
      const startCaptureMs = clock.captureMs(ext)!;
      this.#feeding = { forwarder: arm.forwarder, videoStartMs: startCaptureMs, audioStarted: false, onAudioStart: arm.onAudioStart };
      arm.forwarder.push('video', packet);
      const audioStartCaptureMs = this.#joinAudioFromRing(startCaptureMs);
      const start: { video: IngestStart['video']; audioStartCaptureMs?: number } = { video: { codec: this.#videoCodec!, ...this.#size, startCaptureMs } };
      if (audioStartCaptureMs !== null) start.audioStartCaptureMs = audioStartCaptureMs;
      arm.onStart(start);
      return;
    }
    this.#feeding?.forwarder.push('video', packet);
  }

  #onAudio(packet: Buffer): void {
    const source = this.#sources.audio!;
    const header = parseRtpHeader(packet);
    if (!header || header.payloadType !== source.codec.payloadType) return;
    this.stats.audioPackets++;
    const now = Date.now();
    this.stats.lastPacketAtMs = now;
    const clock = this.#clocks.audio!;
    const captureMs = clock.captureMs(clock.onPacket(header.timestamp, now))!;
    this.#audioRing.push({ packet, captureMs });
    while (this.#audioRing.length > 0 && this.#audioRing[0]!.captureMs < captureMs - AUDIO_RING_MS) this.#audioRing.shift();
    if (this.#arm && !this.#sources.video) {
      // Audio-only stream: any packet can start a generation.
      const arm = this.#arm;
      this.#arm = null;
      this.#feeding = { forwarder: arm.forwarder, videoStartMs: null, audioStarted: true, onAudioStart: arm.onAudioStart };
      arm.forwarder.push('audio', packet);
      arm.onStart({ audioStartCaptureMs: captureMs });
      return;
    }
    const feeding = this.#feeding;
    if (!feeding) return;
    if (!feeding.audioStarted) {
      if (feeding.videoStartMs !== null && captureMs < feeding.videoStartMs - AUDIO_LEAD_MS) return;
      feeding.audioStarted = true;
      feeding.onAudioStart(captureMs);
    }
    feeding.forwarder.push('audio', packet);
  }

  /** Forwards buffered audio captured from the video start on; returns the first one's capture time. */
  #joinAudioFromRing(videoStartMs: number): number | null {
    const feeding = this.#feeding!;
    const from = this.#audioRing.findIndex((a) => a.captureMs >= videoStartMs - AUDIO_LEAD_MS);
    if (from < 0) return null;
    const joined = this.#audioRing.slice(from);
    feeding.audioStarted = true;
    for (const a of joined) feeding.forwarder.push('audio', a.packet);
    return joined[0]!.captureMs;
  }
}
