/**
 * A WebRTC viewer's playhead from RTP timestamps and RTCP sender reports. The SFU forwards the
 * publisher's sender reports (NTP capture clock ↔ RTP time) onto each viewer's stream, and
 * Chromium maps the RTP time of the frame being played through them: getStats() inbound-rtp
 * `estimatedPlayoutTimestamp` is the publisher's NTP clock at the current playout point. Its
 * distance from our clock is the delay, kept as the median of recent polls; the playhead is
 * then now − delay at any instant between polls.
 * (rVFC `captureTime` would give the same per frame, but Chromium fills it only with an RTT
 * estimate, which a receive-only peer connection does not have.)
 * Fallback before the first sender report: delay ≈ jitter-buffer wait + half the ICE RTT.
 */
import type { Playhead, PlayheadSource } from './playhead.ts';

/** Milliseconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_TO_UNIX_MS = 2_208_988_800_000;
const WINDOW = 9;

export class WebRtcPlayhead implements Playhead {
  readonly #peer: () => RTCPeerConnection | undefined;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #samples: number[] = [];
  #source: PlayheadSource = 'none';
  #delayMs: number | null = null;
  #polling = false;

  /** @param peer the current peer connection (it changes on reconnects). */
  constructor(peer: () => RTCPeerConnection | undefined, pollMs = 250) {
    this.#peer = peer;
    this.#timer = setInterval(() => void this.#poll(), pollMs);
  }

  get source(): PlayheadSource {
    return this.#source;
  }

  get delayMs(): number | null {
    return this.#delayMs;
  }

  current(): number | null {
    return this.#delayMs === null ? null : Date.now() - this.#delayMs;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    const pc = this.#peer();
    if (!pc || pc.connectionState !== 'connected') {
      this.#reset();
      return;
    }
    if (this.#polling) return;
    this.#polling = true;
    try {
      this.#take(await pc.getStats());
    } catch {
      // a closing peer connection: the next poll sees it gone
    } finally {
      this.#polling = false;
    }
  }

  #take(report: RTCStatsReport): void {
    let video: Record<string, unknown> | undefined;
    let audio: Record<string, unknown> | undefined;
    let rttSeconds: number | undefined;
    report.forEach((s: Record<string, unknown>) => {
      if (s['type'] === 'inbound-rtp' && s['kind'] === 'video') video = s;
      else if (s['type'] === 'inbound-rtp' && s['kind'] === 'audio') audio = s;
      else if (s['type'] === 'candidate-pair' && s['nominated'] === true && typeof s['currentRoundTripTime'] === 'number') rttSeconds = s['currentRoundTripTime'];
    });
    const inbound = video ?? audio;
    if (!inbound || !(num(inbound, 'framesDecoded') > 0 || num(inbound, 'totalSamplesReceived') > 0)) {
      this.#reset();
      return;
    }
    const playout = num(inbound, 'estimatedPlayoutTimestamp');
    const statsTime = num(inbound, 'timestamp');
    if (playout > 0 && statsTime > 0) {
      this.#push(statsTime - (playout - NTP_TO_UNIX_MS), 'rtcp-sr');
      return;
    }
    if (this.#source === 'rtcp-sr') return; // keep the last good value through a missing sample
    const emitted = num(inbound, 'jitterBufferEmittedCount');
    const bufferedMs = emitted > 0 ? (num(inbound, 'jitterBufferDelay') / emitted) * 1000 : 0;
    this.#push(bufferedMs + ((rttSeconds ?? 0) * 1000) / 2, 'delay-estimate');
  }

  #push(delayMs: number, source: PlayheadSource): void {
    if (source !== this.#source) this.#samples.length = 0;
    this.#source = source;
    this.#samples.push(delayMs);
    if (this.#samples.length > WINDOW) this.#samples.shift();
    const sorted = [...this.#samples].sort((a, b) => a - b);
    this.#delayMs = Math.round(sorted[Math.floor(sorted.length / 2)]!);
  }

  #reset(): void {
    this.#samples.length = 0;
    this.#source = 'none';
    this.#delayMs = null;
  }
}

function num(stats: Record<string, unknown>, key: string): number {
  const v = stats[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
