/**
 * A real RTP publisher for tests and benchmarks until the SFU adapter exists:
 * ffmpeg encodes lavfi testsrc2 + sine to H.264 (or VP8) + Opus and sends RTP to
 * loopback sockets opened here; this class hands those packets (and the RTCP sender
 * reports ffmpeg sends on port + 1) to the bridge through the RtpSource interface.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import type { MediaKind, RtpCodec, RtpSource, SenderReport, Unsubscribe } from '../types.ts';

export interface FfmpegRtpSourceOptions {
  readonly ffmpegPath: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly videoCodec?: 'h264' | 'vp8';
  /** Keyframe interval in frames (the stand-in for keyframes a browser sends on PLI). */
  readonly gop?: number;
  readonly videoBitrate?: string;
  readonly durationSec?: number;
  readonly audio?: boolean;
  readonly video?: boolean;
}

class SourceTrack implements RtpSource {
  readonly kind: MediaKind;
  readonly codec: RtpCodec;
  readonly rtpListeners = new Set<(packet: Buffer) => void>();
  readonly srListeners = new Set<(report: SenderReport) => void>();
  keyframeRequests = 0;
  packets = 0;

  constructor(kind: MediaKind, codec: RtpCodec) {
    this.kind = kind;
    this.codec = codec;
  }

  onRtp(cb: (packet: Buffer) => void): Unsubscribe {
    this.rtpListeners.add(cb);
    return () => this.rtpListeners.delete(cb);
  }

  onSenderReport(cb: (report: SenderReport) => void): Unsubscribe {
    this.srListeners.add(cb);
    return () => this.srListeners.delete(cb);
  }

  requestKeyframe(): void {
    this.keyframeRequests++;
  }
}

export class FfmpegRtpSource {
  readonly video: SourceTrack | undefined;
  readonly audio: SourceTrack | undefined;
  readonly #options: FfmpegRtpSourceOptions;
  readonly #sockets: dgram.Socket[] = [];
  #child: ChildProcess | null = null;
  #stderr = '';

  constructor(options: FfmpegRtpSourceOptions) {
    this.#options = options;
    const vp8 = options.videoCodec === 'vp8';
    this.video =
      options.video === false
        ? undefined
        : new SourceTrack('video', vp8 ? { mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 } : { mimeType: 'video/H264', clockRate: 90000, payloadType: 96, fmtp: 'packetization-mode=1' });
    this.audio = options.audio === false ? undefined : new SourceTrack('audio', { mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, fmtp: 'minptime=10;useinbandfec=1' });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get log(): string {
    return this.#stderr;
  }

  async start(): Promise<void> {
    const o = this.#options;
    const w = o.width ?? 640;
    const h = o.height ?? 360;
    const fps = o.fps ?? 30;
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re'];
    if (this.video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}`);
    if (this.audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
    if (o.durationSec) args.push('-t', String(o.durationSec));
    let input = 0;
    if (this.video) {
      const port = await this.#listen(this.video);
      const gop = String(o.gop ?? fps);
      args.push('-map', `${input++}:v`, '-threads', '1');
      if (o.videoCodec === 'vp8') args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', gop, '-b:v', o.videoBitrate ?? '800k');
      else args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-g', gop, '-b:v', o.videoBitrate ?? '800k');
      args.push('-payload_type', '96', '-ssrc', '1111', '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`);
    }
    if (this.audio) {
      const port = await this.#listen(this.audio);
      args.push('-map', `${input}:a`, '-c:a', 'libopus', '-ac', '2', '-b:a', '64k', '-payload_type', '111', '-ssrc', '2222', '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`);
    }
    const child = spawn(o.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-8000);
    });
  }

  /** Stops the encoder; resolves once the process is gone. */
  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    for (const s of this.#sockets) s.close();
    this.#sockets.length = 0;
  }

  /** Binds an even RTP port and its RTCP neighbour and relays what arrives. */
  async #listen(track: SourceTrack): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const rtp = dgram.createSocket('udp4');
      const port = await new Promise<number>((resolve, reject) => {
        rtp.once('error', reject);
        rtp.bind(0, '127.0.0.1', () => resolve(rtp.address().port));
      });
      if (port % 2 !== 0) {
        rtp.close();
        continue;
      }
      const rtcp = dgram.createSocket('udp4');
      const ok = await new Promise<boolean>((resolve) => {
        rtcp.once('error', () => resolve(false));
        rtcp.bind(port + 1, '127.0.0.1', () => resolve(true));
      });
      if (!ok) {
        rtp.close();
        continue;
      }
      rtp.on('message', (packet) => {
        track.packets++;
        for (const cb of track.rtpListeners) cb(packet);
      });
      rtcp.on('message', (packet) => {
        const report = parseSenderReport(packet);
        if (report) for (const cb of track.srListeners) cb(report);
      });
      this.#sockets.push(rtp, rtcp);
      return port;
    }
    throw new Error('could not bind an even loopback UDP port pair for the test source');
  }
}

/** RTCP SR (RFC 3550 §6.4.1): packet type 200, NTP at bytes 8..15, RTP timestamp at 16..19. */
function parseSenderReport(packet: Buffer): SenderReport | null {
  if (packet.length < 28 || packet[1] !== 200) return null;
  return { ntpTime: packet.readBigUInt64BE(8), rtpTimestamp: packet.readUInt32BE(16) };
}
