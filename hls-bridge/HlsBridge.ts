/**
 * One live stream's SFU → ffmpeg → LL-HLS pipeline. It owns, per stream:
 *  - SourceIngest: the publisher's RTP, gated to start each ffmpeg on a keyframe;
 *  - one ffmpeg "generation" at a time (RtpForwarder + FfmpegProcess), watched, and
 *    restarted with back-off when it dies or stalls; the playlists carry on after an
 *    EXT-X-DISCONTINUITY on the same timeline;
 *  - a RenditionTrack + MediaPlaylist per rendition of the ladder, and the disk archive.
 * HlsOrigin serves it through the OriginStream methods (master, playlists, archive reads).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '../signaling/logger.ts';
import { BridgeEmitter } from './BridgeEmitter.ts';
import { BridgeErrorDetails, BridgeEvents } from './BridgeEvents.ts';
import { resolveBridgeConfig, type HlsBridgeConfig, type HlsBridgeOptions } from './bridge-config.ts';
import { RtpForwarder } from './ingest/RtpForwarder.ts';
import { describeSdp, type SdpMedia } from './ingest/sdp-describe.ts';
import { SourceIngest, type IngestStart } from './ingest/SourceIngest.ts';
import { videoCodecName } from './ingest/video-payload.ts';
import { allocateRtpPorts, waitForUdpBound } from './ingest/udp-ports.ts';
import { MediaPlaylist } from './live/MediaPlaylist.ts';
import { renderMasterPlaylist, renderMediaPlaylist, type MasterVariant } from './live/playlist-render.ts';
import { RenditionTrack } from './live/RenditionTrack.ts';
import { SegmentArchive } from './live/SegmentArchive.ts';
import type { OriginStream } from './origin/HlsOrigin.ts';
import { mediaPlaylistUri } from './origin/hls-paths.ts';
import { resolveFfmpegPath } from './transcode/ffmpeg-path.ts';
import { FfmpegProcess } from './transcode/FfmpegProcess.ts';
import { buildFfmpegArgs, rtpInputArgs } from './transcode/ladder-args.ts';
import { planLadder, type RenditionPlan, type SourceVideo } from './transcode/ladder.ts';
import { BridgeState, type BridgeSources, type BridgeStatus, type MediaKind, type RenditionStatus } from './types.ts';

/** ffmpeg's native AAC encoder puts 1024 priming samples ahead of the first input sample. */
const AAC_PRIMING_SEC = 1024 / 48000;
/** A generation that ran this long counts as healthy: the restart back-off starts over. */
const HEALTHY_RUN_MS = 30_000;
/** Master playlist goes out without a rendition that has produced nothing this long after the others. */
const READY_GRACE_MS = 4000;
/** A larger source size must hold this long before the ladder is re-planned (resolution ramps come in steps). */
const UPGRADE_AFTER_MS = 2000;

interface Generation {
  readonly number: number;
  readonly ports: Partial<Record<MediaKind, number>>;
  readonly forwarder: RtpForwarder;
  readonly startCapture: Partial<Record<MediaKind, number>>;
  ffmpeg: FfmpegProcess | null;
  spawnedAt: number;
  lastOutputAt: number;
  /** Set when the bridge itself stops this ffmpeg. */
  expectedExit: boolean;
  /** Stopped to restart with a ladder planned for this source size. */
  upgradeTo?: { width: number; height: number };
  /** Stopped because the publisher came back with new tracks: the next generation reads them. */
  replaced?: boolean;
}

export class HlsBridge extends BridgeEmitter implements OriginStream {
  readonly streamId: string;
  #config: HlsBridgeConfig;
  readonly #logger: Logger;
  #ingest: SourceIngest;
  readonly #archive: SegmentArchive;
  /** Tracks of the current plan, in ffmpeg output order. */
  #tracks: RenditionTrack[] = [];
  readonly #byName = new Map<string, RenditionTrack>();
  #plan: RenditionPlan[] | null = null;
  #plannedShortSide = 0;
  #pendingUpgrade: { size: { width: number; height: number }; since: number } | null = null;
  #state: BridgeState = BridgeState.IDLE;
  #ffmpegPath = '';
  #generation: Generation | null = null;
  #generationCount = 0;
  #restarts = 0;
  #quickFailures = 0;
  #epochMs: number | null = null;
  #startedAtMs = Date.now();
  #ready = false;
  #firstPartAt: number | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #keyframeTimer: NodeJS.Timeout | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #keyframeAsked = 0;
  /** Keyframe requests made for the leader's open segment (pass-through). */
  #segmentKeyframeRequests = 0;
  #closing: Promise<void> | null = null;

  constructor(options: HlsBridgeOptions) {
    super();
    this.#config = resolveBridgeConfig(options);
    this.streamId = this.#config.streamId;
    this.#logger = createLogger('hls:HlsBridge').child(`stream:${this.streamId}`);
    this.#ingest = new SourceIngest(this.#config.sources);
    this.#ingest.onVideoSize = (size) => this.#onSourceSize(size);
    this.#archive = new SegmentArchive(path.join(this.#config.archiveDir, this.streamId), (err) =>
      this.#error(BridgeErrorDetails.ARCHIVE_WRITE, `archive write failed (check free space and permissions of ${this.#config.archiveDir}): ${err.message}`, err),
    );
  }

  get state(): BridgeState {
    return this.#state;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Where this stream's archive lives. */
  get archiveDir(): string {
    return this.#archive.dir;
  }

  /** Subscribes to the sources and waits for the first keyframe to start ffmpeg. */
  async start(): Promise<void> {
    if (this.#state !== BridgeState.IDLE) return;
    this.#ffmpegPath = await resolveFfmpegPath(this.#config.ffmpegPath);
    if (this.#closing) return;
    this.#startedAtMs = Date.now();
    this.#ingest.start();
    this.#watchdog = setInterval(() => this.#tick(), 500);
    this.#watchdog.unref();
    await this.#prepareGeneration();
  }

  /**
   * The publisher reconnected: its new tracks (new SSRCs, sequence numbers and
   * clocks) feed a new ffmpeg generation, so every playlist and the archive get a
   * discontinuity and carry on; the ladder is planned again for the new source.
   */
  replaceSources(sources: BridgeSources): void {
    if (this.#closing || this.#state === BridgeState.IDLE) return;
    const ingest = new SourceIngest(sources);
    ingest.onVideoSize = (size) => this.#onSourceSize(size);
    this.#ingest.stop();
    this.#ingest = ingest;
    this.#config = { ...this.#config, sources };
    this.#plan = null;
    this.#pendingUpgrade = null;
    ingest.start();
    this.#logger.info(`publisher tracks replaced [video:${sources.video?.codec.mimeType ?? '-'}] [audio:${sources.audio?.codec.mimeType ?? '-'}]`);
    const gen = this.#generation;
    if (gen?.ffmpeg && !gen.ffmpeg.closed) {
      gen.expectedExit = true;
      gen.replaced = true;
      void gen.ffmpeg.stop(3000);
      return;
    }
    // No ffmpeg running (waiting for a keyframe or for a restart): arm the new tracks now.
    if (this.#keyframeTimer) clearInterval(this.#keyframeTimer);
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#keyframeTimer = null;
    this.#restartTimer = null;
    gen?.forwarder.close();
    void this.#prepareGeneration();
  }

  /** Stops ffmpeg (letting it flush), ends every playlist (EXT-X-ENDLIST) and finishes the archive. */
  close(reason = 'stopped'): Promise<void> {
    this.#closing ??= this.#shutdown(reason);
    return this.#closing;
  }

  get status(): BridgeStatus {
    const gen = this.#generation;
    const ffmpeg = gen?.ffmpeg;
    const size = this.#ingest.videoSize;
    const stats = this.#ingest.stats;
    return {
      streamId: this.streamId,
      state: this.#state,
      ready: this.#ready,
      restarts: this.#restarts,
      transcoder: ffmpeg && gen
        ? {
            generation: gen.number,
            ...(ffmpeg.pid !== undefined ? { pid: ffmpeg.pid } : {}),
            uptimeMs: Date.now() - ffmpeg.startedAt,
            ...ffmpeg.progress,
            errors: ffmpeg.counters.errors,
            warnings: ffmpeg.counters.warnings,
            rtpPacketsMissed: ffmpeg.counters.rtpPacketsMissed,
            lastError: ffmpeg.counters.lastError,
          }
        : null,
      source: {
        ...(this.#config.sources.video ? { videoCodec: this.#config.sources.video.codec.mimeType } : {}),
        ...(size ?? {}),
        videoPackets: stats.videoPackets,
        audioPackets: stats.audioPackets,
        keyframes: stats.keyframes,
        keyframeRequests: stats.keyframeRequests,
      },
      renditions: this.#tracks.map((t) => this.#renditionStatus(t)),
      archiveBytes: this.#archive.bytesWritten,
    };
  }

  /* ------------------------------------------------------------ OriginStream */

  async whenReady(signal: AbortSignal | undefined, timeoutMs: number): Promise<boolean> {
    if (this.#ready) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.off(BridgeEvents.READY, onReady);
        this.off(BridgeEvents.CLOSED, onAbort);
        resolve(ok);
      };
      const onReady = (): void => done(true);
      const onAbort = (): void => done(this.#ready);
      const timer = setTimeout(() => done(this.#ready), timeoutMs);
      signal?.addEventListener('abort', onAbort);
      this.on(BridgeEvents.READY, onReady);
      this.on(BridgeEvents.CLOSED, onAbort);
    });
  }

  masterPlaylist(): string {
    const ready = this.#tracks.filter((t) => this.#trackReady(t));
    const audioTrack = ready.find((t) => t.kind === 'audio');
    const audioInit = audioTrack?.playlist.latestInit;
    const audioPlan = this.#planOf(audioTrack);
    const audioRates = audioTrack?.playlist.bitrates();
    const audioPeak = audioRates?.peak ?? (audioPlan?.bitrate ?? 96_000) * 1.1;
    const audioAverage = audioRates?.average ?? audioPlan?.bitrate ?? 96_000;
    const variants: MasterVariant[] = [];
    for (const t of ready) {
      if (t.kind !== 'video') continue;
      const init = t.playlist.latestInit!;
      const plan = this.#planOf(t);
      const rates = t.playlist.bitrates();
      const nominal = plan?.bitrate ?? 1_000_000;
      const peak = Math.max(rates?.peak ?? 0, nominal * (plan?.kind === 'video' && plan.copy ? 1 : 1.1));
      const frameRate = t.frameRate ?? this.#config.maxFps;
      variants.push({
        uri: mediaPlaylistUri(t.name),
        bandwidth: peak + (audioInit ? audioPeak : 0),
        averageBandwidth: (rates?.average ?? nominal) + (audioInit ? audioAverage : 0),
        codecs: audioInit ? `${init.codec},${audioInit.codec}` : init.codec,
        ...(init.width ? { width: init.width } : {}),
        ...(init.height ? { height: init.height } : {}),
        frameRate: Math.min(frameRate, plan?.kind === 'video' && !plan.copy ? this.#config.maxFps : frameRate),
      });
    }
    const audio = audioTrack && audioInit ? { uri: mediaPlaylistUri(audioTrack.name), name: 'Audio', ...(audioInit.channels ? { channels: audioInit.channels } : {}) } : null;
    const audioOnly = audio && audioInit ? { uri: audio.uri, bandwidth: audioPeak, averageBandwidth: audioAverage, codecs: audioInit.codec } : null;
    return renderMasterPlaylist(variants, audio, audioOnly);
  }

  playlist(rendition: string): MediaPlaylist | undefined {
    return this.#byName.get(rendition)?.playlist;
  }

  renderMediaPlaylist(rendition: string, options: { skip: boolean }): string {
    const track = this.#byName.get(rendition);
    if (!track) throw new RangeError(`unknown rendition ${rendition}`);
    const reports = this.#tracks
      .filter((t) => t !== track)
      .map((t) => {
        const last = t.playlist.lastPart();
        return { uri: `../${mediaPlaylistUri(t.name)}`, lastMsn: last?.msn ?? -1, lastPart: last?.index ?? -1 };
      });
    return renderMediaPlaylist(track.playlist, { skip: options.skip, renditionReports: reports });
  }

  readArchived(rendition: string, file: string): Promise<Buffer | null> {
    return this.#archive.read(rendition, file);
  }

  /* ------------------------------------------------------------ generations */

  /** Arms the ingest so the next keyframe starts a new ffmpeg generation. */
  async #prepareGeneration(): Promise<void> {
    if (this.#closing) return;
    this.#setState(BridgeState.WAITING_KEYFRAME);
    const kinds = (['video', 'audio'] as const).filter((k) => this.#config.sources[k]);
    let ports: number[];
    try {
      ports = await allocateRtpPorts(kinds.length);
    } catch (err) {
      this.#error(BridgeErrorDetails.FFMPEG_EXIT, `no UDP ports for ffmpeg: ${(err as Error).message}`, err as Error);
      this.#scheduleRestart();
      return;
    }
    if (this.#closing) return;
    const portMap: Partial<Record<MediaKind, number>> = {};
    kinds.forEach((k, i) => (portMap[k] = ports[i]!));
    const gen: Generation = {
      number: ++this.#generationCount,
      ports: portMap,
      forwarder: new RtpForwarder({ ports: portMap }),
      startCapture: {},
      ffmpeg: null,
      spawnedAt: 0,
      lastOutputAt: 0,
      expectedExit: false,
    };
    this.#generation = gen;
    this.#ingest.arm({
      forwarder: gen.forwarder,
      onStart: (start) => this.#onGenerationStart(gen, start),
      onAudioStart: (ms) => (gen.startCapture.audio = ms),
    });
    this.#askKeyframe();
    this.#keyframeTimer = setInterval(() => this.#askKeyframe(), 1000);
    this.#keyframeTimer.unref();
  }

  #askKeyframe(): void {
    this.#keyframeAsked++;
    if (this.#keyframeAsked === 10) {
      this.#error(BridgeErrorDetails.KEYFRAME_TIMEOUT, 'no keyframe from the publisher for 10 s; still asking (is video flowing?)');
    }
    this.#ingest.requestKeyframe();
  }

  /** Called synchronously from the packet that starts the generation. */
  #onGenerationStart(gen: Generation, start: IngestStart): void {
    if (this.#keyframeTimer) clearInterval(this.#keyframeTimer);
    this.#keyframeTimer = null;
    this.#keyframeAsked = 0;
    if (start.video) gen.startCapture.video = start.video.startCaptureMs;
    if (start.audioStartCaptureMs !== undefined) gen.startCapture.audio = start.audioStartCaptureMs;
    // The timeline starts a second before the first capture so that no decode time is negative.
    this.#epochMs ??= Math.min(...Object.values(gen.startCapture)) - 1000;
    if (!this.#plan) this.#applyPlan(start.video);
    const plan = this.#plan!;
    const runDir = path.join(this.#archive.dir, '.run');
    mkdirSync(runDir, { recursive: true });
    const sdpPath = path.join(runDir, `input-${gen.number}.sdp`);
    const media: SdpMedia[] = [];
    for (const kind of ['video', 'audio'] as const) {
      const source = this.#config.sources[kind];
      const port = gen.ports[kind];
      if (source && port !== undefined) media.push({ kind, codec: source.codec, port });
    }
    writeFileSync(sdpPath, describeSdp(media));
    const args = buildFfmpegArgs({
      input: rtpInputArgs(sdpPath),
      renditions: plan,
      videoEncoder: this.#config.videoEncoder,
      preset: this.#config.x264Preset,
      threads: this.#config.threads,
      maxFps: this.#config.maxFps,
      // With a copied top rung the source's keyframes are the only ones that align every rung.
      keyframes: plan.some((r) => r.kind === 'video' && r.copy) ? { mode: 'source' } : { mode: 'interval', seconds: this.#config.segmentTargetSec },
    });
    const ffmpeg = new FfmpegProcess({
      path: this.#ffmpegPath,
      args,
      outputs: plan.length,
      onProgress: (p) => this.trigger(BridgeEvents.FFMPEG_PROGRESS, p),
      onClose: (result) => this.#onFfmpegClosed(gen, result),
    });
    gen.ffmpeg = ffmpeg;
    gen.spawnedAt = Date.now();
    this.#tracks.forEach((track, i) => {
      const kind = track.kind;
      track.attach(ffmpeg.outputs[i]!, {
        generation: gen.number,
        epochMs: this.#epochMs!,
        startCaptureMs: () => gen.startCapture[kind] ?? null,
        primingSec: kind === 'audio' ? AAC_PRIMING_SEC : 0,
      });
    });
    this.#setState(BridgeState.STARTING);
    this.#logger.info(`ffmpeg started [generation:${gen.number}] [pid:${ffmpeg.pid}] [renditions:${plan.map((r) => r.name).join(',')}]`);
    this.trigger(BridgeEvents.FFMPEG_STARTED, { generation: gen.number, ...(ffmpeg.pid !== undefined ? { pid: ffmpeg.pid } : {}), args });
    const ports = Object.values(gen.ports);
    void waitForUdpBound(ports, 3000).then((bound) => {
      if (!bound) this.#logger.warn(`ffmpeg did not bind its RTP ports within 3 s [generation:${gen.number}]; forwarding anyway`);
      gen.forwarder.goLive();
    });
  }

  /** The source size the ladder is planned for: the larger of what arrived and the publisher's hint. */
  #planningSize(observed: { width: number; height: number }): { width: number; height: number } {
    const hint = this.#config.expectedVideoSize;
    if (!hint) return observed;
    return Math.min(hint.width, hint.height) > Math.min(observed.width, observed.height) ? hint : observed;
  }

  /**
   * Makes the tracks match a ladder plan: renditions kept by name continue (their playlists get
   * a discontinuity at the next generation), new ones start, dropped ones end (EXT-X-ENDLIST).
   */
  #applyPlan(video: SourceVideo | undefined): void {
    const size = video ? this.#planningSize(video) : undefined;
    const plan = planLadder({
      ...(video && size ? { video: { codec: video.codec, ...size } } : {}),
      audio: Boolean(this.#config.sources.audio),
      ladder: this.#config.ladder,
      passthrough: this.#config.passthrough,
      audioBitrate: this.#config.audioBitrate,
      maxFps: this.#config.maxFps,
    });
    const keep = new Set(plan.map((r) => r.name));
    for (const t of this.#tracks) if (!keep.has(t.name)) t.playlist.end();
    this.#tracks = plan.map((r) => {
      const existing = this.#byName.get(r.name);
      if (existing && !existing.playlist.ended) return existing;
      const track = this.#createTrack(r);
      this.#byName.set(r.name, track);
      return track;
    });
    this.#plan = plan;
    this.#plannedShortSide = size ? Math.min(size.width, size.height) : 0;
    this.trigger(BridgeEvents.LADDER, { renditions: plan.map((r) => r.name) });
  }

  #createTrack(r: RenditionPlan): RenditionTrack {
    const playlist = new MediaPlaylist({
      name: r.name,
      kind: r.kind,
      partTargetSec: this.#config.partTargetSec,
      targetDurationSec: this.#config.segmentTargetSec,
      windowSegments: this.#config.windowSegments,
    });
    return new RenditionTrack({
      playlist,
      kind: r.kind,
      segmentTargetSec: this.#config.segmentTargetSec,
      hooks: {
        onInit: (t, generation, data) => this.#archive.writeInit(t.name, generation, data),
        onFragment: (t) => this.#onFragment(t),
        onPart: (t, part) => this.#onPart(t, part.msn, part.index, part.duration, part.independent),
        onSegment: (t, s) => {
          if (s.data) {
            this.#archive.writeSegment(
              { rendition: t.name, msn: s.msn, generation: s.generation, discontinuity: s.discontinuity, programDateTimeMs: s.programDateTimeMs, duration: s.duration, bytes: s.bytes },
              s.data,
            );
          }
          if (t === this.#tracks[0]) this.#segmentKeyframeRequests = 0;
          this.trigger(BridgeEvents.SEGMENT, { rendition: t.name, msn: s.msn, duration: s.duration, programDateTimeMs: s.programDateTimeMs, bytes: s.bytes, discontinuity: s.discontinuity });
        },
        onError: (t, err) => {
          this.#error(BridgeErrorDetails.OUTPUT_PARSE, `cannot read ffmpeg's fMP4 output for ${t.name}: ${err.message}; restarting ffmpeg`, err);
          this.#generation?.ffmpeg?.kill();
        },
      },
    });
  }

  /**
   * Publishers often start small and grow (WebRTC ramps resolution up with its bandwidth
   * estimate). Once a larger size has held for a while, ffmpeg restarts with the bigger ladder.
   */
  #onSourceSize(size: { width: number; height: number }): void {
    if (!this.#plan || this.#closing || !this.#config.sources.video) return;
    const short = Math.min(size.width, size.height);
    if (short <= this.#plannedShortSide * 1.1) {
      this.#pendingUpgrade = null;
      return;
    }
    if (this.#pendingUpgrade?.size.width !== size.width || this.#pendingUpgrade.size.height !== size.height) {
      this.#pendingUpgrade = { size, since: Date.now() };
    }
  }

  #upgradeLadder(): void {
    const gen = this.#generation;
    const pending = this.#pendingUpgrade;
    this.#pendingUpgrade = null;
    if (!gen?.ffmpeg || !pending || gen.expectedExit) return;
    this.#logger.info(`source grew to ${pending.size.width}x${pending.size.height}: restarting ffmpeg with a larger ladder`);
    gen.expectedExit = true;
    gen.upgradeTo = pending.size;
    void gen.ffmpeg.stop(3000);
  }

  #onFragment(track: RenditionTrack): void {
    const gen = this.#generation;
    if (!gen) return;
    gen.lastOutputAt = Date.now();
    if (this.#state === BridgeState.STARTING) this.#setState(BridgeState.RUNNING);
    // Pass-through: the source's keyframes cut every rung, so ask for one ahead of each cut.
    const leader = this.#tracks[0];
    const plan = this.#plan?.[0];
    if (track !== leader || plan?.kind !== 'video' || !plan.copy) return;
    const open = track.openSegmentSec;
    const due = this.#config.segmentTargetSec - this.#config.keyframeLeadSec;
    const asked = this.#segmentKeyframeRequests;
    if ((open >= due && asked === 0) || (open >= this.#config.segmentTargetSec && asked === 1)) {
      this.#segmentKeyframeRequests++;
      this.#ingest.requestKeyframe();
    }
  }

  #onPart(track: RenditionTrack, msn: number, part: number, duration: number, independent: boolean): void {
    this.#firstPartAt ??= Date.now();
    this.trigger(BridgeEvents.PART, { rendition: track.name, msn, part, duration, independent });
    this.#checkReady();
  }

  #trackReady(t: RenditionTrack): boolean {
    return t.playlist.latestInit !== null && t.playlist.lastPart() !== null;
  }

  #checkReady(): void {
    if (this.#ready || this.#tracks.length === 0) return;
    const ready = this.#tracks.filter((t) => this.#trackReady(t));
    const all = ready.length === this.#tracks.length;
    const videoReady = this.#tracks.filter((t) => t.kind === 'video').every((t) => this.#trackReady(t)) && ready.length > 0;
    const graceOver = this.#firstPartAt !== null && Date.now() - this.#firstPartAt > READY_GRACE_MS;
    if (all || (videoReady && graceOver)) {
      this.#ready = true;
      this.#logger.info(`master playlist ready [renditions:${ready.map((t) => t.name).join(',')}]`);
      this.trigger(BridgeEvents.READY);
    }
  }

  #onFfmpegClosed(gen: Generation, result: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.#generation === gen) this.#ingest.disarm();
    gen.forwarder.close();
    for (const t of this.#tracks) t.detach();
    const ffmpeg = gen.ffmpeg;
    const expected = gen.expectedExit || this.#closing !== null;
    this.trigger(BridgeEvents.FFMPEG_EXITED, { generation: gen.number, code: result.code, signal: result.signal, expected });
    if (expected) {
      const codec = this.#config.sources.video ? videoCodecName(this.#config.sources.video.codec.mimeType) : null;
      if (gen.replaced && !this.#closing) {
        void this.#prepareGeneration();
      } else if (gen.upgradeTo && codec && !this.#closing) {
        this.#applyPlan({ codec, ...gen.upgradeTo });
        void this.#prepareGeneration();
      }
      return;
    }
    this.#restarts++;
    const ranMs = Date.now() - gen.spawnedAt;
    this.#quickFailures = ranMs >= HEALTHY_RUN_MS ? 1 : this.#quickFailures + 1;
    const why = ffmpeg?.counters.lastError ?? ffmpeg?.recentLog.at(-1) ?? 'no log';
    this.#error(BridgeErrorDetails.FFMPEG_EXIT, `ffmpeg exited [generation:${gen.number}] [code:${result.code}] [signal:${result.signal}] after ${ranMs} ms (${why}); restarting`);
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#closing) return;
    this.#setState(BridgeState.RESTARTING);
    const delay = Math.min(this.#config.restartDelayMaxMs, this.#config.restartDelayMinMs * 2 ** Math.max(0, this.#quickFailures - 1));
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.#prepareGeneration();
    }, delay);
  }

  /** Watchdog: start timeout, stalls, late readiness. */
  #tick(): void {
    this.#checkReady();
    if (this.#pendingUpgrade && this.#state === BridgeState.RUNNING && Date.now() - this.#pendingUpgrade.since >= UPGRADE_AFTER_MS) this.#upgradeLadder();
    const gen = this.#generation;
    const ffmpeg = gen?.ffmpeg;
    if (!gen || !ffmpeg || ffmpeg.closed || gen.expectedExit) return;
    const now = Date.now();
    if (gen.lastOutputAt === 0 && now - gen.spawnedAt > this.#config.startTimeoutMs) {
      this.#error(BridgeErrorDetails.FFMPEG_START_TIMEOUT, `ffmpeg produced no output in ${this.#config.startTimeoutMs} ms (${ffmpeg.counters.lastError ?? 'no error logged'}); restarting`);
      ffmpeg.kill();
      return;
    }
    const inputFlowing = now - this.#ingest.stats.lastPacketAtMs < 2000;
    if (gen.lastOutputAt > 0 && inputFlowing && now - gen.lastOutputAt > this.#config.stallTimeoutMs) {
      this.#error(BridgeErrorDetails.FFMPEG_STALL, `ffmpeg output stalled for ${now - gen.lastOutputAt} ms while input flows; restarting`);
      ffmpeg.kill();
    }
  }

  async #shutdown(reason: string): Promise<void> {
    if (this.#watchdog) clearInterval(this.#watchdog);
    if (this.#keyframeTimer) clearInterval(this.#keyframeTimer);
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const gen = this.#generation;
    if (gen) {
      gen.expectedExit = true;
      // Input keeps flowing while ffmpeg winds down, so it sees the stop between packets.
      if (gen.ffmpeg) await gen.ffmpeg.stop(3000);
      gen.forwarder.close();
    }
    this.#ingest.stop();
    for (const t of this.#tracks) {
      t.detach();
      t.playlist.end();
    }
    if (this.#tracks.length > 0) await this.#archive.finish(this.streamId, this.#startedAtMs, this.#config.segmentTargetSec);
    this.#setState(BridgeState.CLOSED);
    this.#logger.info(`closed [reason:${reason}]`);
    this.trigger(BridgeEvents.CLOSED, { reason });
  }

  /* ------------------------------------------------------------ helpers */

  #planOf(track: RenditionTrack | undefined): RenditionPlan | undefined {
    return track ? this.#plan?.find((r) => r.name === track.name) : undefined;
  }

  #renditionStatus(t: RenditionTrack): RenditionStatus {
    const plan = this.#planOf(t);
    const init = t.playlist.latestInit;
    const last = t.playlist.lastPart();
    const rates = t.playlist.bitrates();
    return {
      name: t.name,
      kind: t.kind,
      copy: plan?.kind === 'video' && plan.copy,
      ...(init?.width ? { width: init.width } : {}),
      ...(init?.height ? { height: init.height } : {}),
      ...(init ? { codec: init.codec } : {}),
      lastMsn: last?.msn ?? -1,
      lastPart: last?.index ?? -1,
      segments: t.playlist.segments.length,
      ...(rates ? { bitrate: rates.average } : {}),
    };
  }

  #setState(next: BridgeState): void {
    const prev = this.#state;
    if (prev === next) return;
    this.#state = next;
    this.#logger.debug(`state ${prev}->${next}`);
    this.trigger(BridgeEvents.STATE, { from: prev, to: next });
  }

  #error(details: BridgeErrorDetails, message: string, error?: Error): void {
    this.#logger.warn(message);
    this.trigger(BridgeEvents.ERROR, { details, fatal: false, message, ...(error ? { error } : {}) });
  }
}
