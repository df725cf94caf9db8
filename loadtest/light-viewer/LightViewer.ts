/**
 * A WebRTC viewer without a decoder: WHEP against the server with a werift peer connection
 * (recvonly audio + video), then only counting what arrives. Hundreds fit in one process, so the
 * fan-out benchmark can load the SFU with real DTLS-SRTP viewers without hundreds of browsers.
 * (werift here is a client tool; the server keeps its own werift use inside sfu/.)
 */
import { performance } from 'node:perf_hooks';
import { RTCPeerConnection, useH264, useOPUS, useVP8, type MediaStreamTrack } from 'werift';
import { deleteSession, postSdpOffer } from '../http/sdp-exchange.ts';
import { RtpStreamStats, type RtpStreamCounters } from './RtpStreamStats.ts';

export interface LightViewerOptions {
  readonly whepUrl: string;
  /** Upper bound for gathering + WHEP + ICE/DTLS before connect() gives up. */
  readonly connectTimeoutMs?: number;
}

export type LightViewerState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

export interface LightViewerCounters {
  readonly state: LightViewerState;
  readonly video: RtpStreamCounters;
  readonly audio: RtpStreamCounters;
}

export interface LightViewerReport extends LightViewerCounters {
  /** From connect() to the peer connection reaching "connected", ms. */
  readonly connectMs: number | undefined;
  /** From connect() to the first RTP packet of any track, ms. */
  readonly firstPacketMs: number | undefined;
  readonly error: string | undefined;
}

const RTP_FIXED_HEADER_BYTES = 12;

export class LightViewer {
  readonly #opts: Required<LightViewerOptions>;
  readonly #video = new RtpStreamStats(90_000);
  #audio = new RtpStreamStats(48_000);
  #pc: RTCPeerConnection | undefined;
  #sessionUrl: string | undefined;
  #state: LightViewerState = 'new';
  #startedAt = 0;
  #connectMs: number | undefined;
  #firstPacketMs: number | undefined;
  #error: string | undefined;

  constructor(opts: LightViewerOptions) {
    this.#opts = { connectTimeoutMs: 15_000, ...opts };
  }

  get state(): LightViewerState {
    return this.#state;
  }

  /** Negotiates through WHEP and resolves once ICE + DTLS are up; rejects (and cleans up) on failure or timeout. */
  async connect(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`connect() called twice (state ${this.#state}); make a new LightViewer per session`);
    this.#state = 'connecting';
    this.#startedAt = performance.now();
    const deadline = this.#startedAt + this.#opts.connectTimeoutMs;
    try {
      const pc = new RTCPeerConnection({
        // Offline machine: no STUN (gathering would stall on it), and loopback must be gathered explicitly.
        iceServers: [],
        iceAdditionalHostAddresses: ['127.0.0.1'],
        iceUseIpv6: false,
        // One transport (one DTLS handshake, one socket per address) like a browser; the default bundles nothing.
        bundlePolicy: 'max-bundle',
        codecs: {
          // Both H.264 profiles Chromium publishes, then VP8: the server picks what its publisher sends.
          video: [
            useH264({ parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' }),
            useH264({ parameters: 'profile-level-id=42001f;packetization-mode=1;level-asymmetry-allowed=1' }),
            useVP8(),
          ],
          audio: [useOPUS()],
        },
      });
      this.#pc = pc;
      pc.onTrack.subscribe((track) => this.#countTrack(track));
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await waitUntil(() => pc.iceGatheringState === 'complete', deadline, 'ICE gathering');
      const offer = pc.localDescription?.sdp;
      if (!offer) throw new Error('werift produced no local description');
      const { answerSdp, sessionUrl } = await postSdpOffer(this.#opts.whepUrl, offer, undefined, remaining(deadline));
      this.#sessionUrl = sessionUrl;
      await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
      await waitUntil(() => {
        if (pc.connectionState === 'failed' || pc.connectionState === 'closed') throw new Error(`peer connection ${pc.connectionState}`);
        return pc.connectionState === 'connected';
      }, deadline, 'ICE/DTLS connection');
      this.#connectMs = performance.now() - this.#startedAt;
      if (this.#state === 'connecting') this.#state = 'connected';
      pc.connectionStateChange.subscribe((s) => {
        if ((s === 'failed' || s === 'disconnected') && this.#state === 'connected') this.#state = 'failed';
      });
    } catch (err) {
      this.#error = err instanceof Error ? err.message : String(err);
      await this.close();
      this.#state = 'failed';
      throw err;
    }
  }

  counters(): LightViewerCounters {
    return { state: this.#state, video: this.#video.counters(), audio: this.#audio.counters() };
  }

  report(): LightViewerReport {
    return { ...this.counters(), connectMs: this.#connectMs, firstPacketMs: this.#firstPacketMs, error: this.#error };
  }

  /** Ends the WHEP session (best effort) and the peer connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasFailed = this.#state === 'failed';
    this.#state = 'closed';
    const sessionUrl = this.#sessionUrl;
    this.#sessionUrl = undefined;
    if (sessionUrl) await deleteSession(sessionUrl).catch(() => undefined);
    const pc = this.#pc;
    this.#pc = undefined;
    if (pc) await pc.close().catch(() => undefined);
    if (wasFailed) this.#state = 'failed';
  }

  #countTrack(track: MediaStreamTrack): void {
    const clockRate = track.codec?.clockRate;
    if (track.kind === 'audio' && clockRate && clockRate !== 48_000) this.#audio = new RtpStreamStats(clockRate);
    const stats = track.kind === 'audio' ? this.#audio : this.#video;
    track.onReceiveRtp.subscribe((rtp) => {
      const now = performance.now();
      if (this.#firstPacketMs === undefined) this.#firstPacketMs = now - this.#startedAt;
      const h = rtp.header;
      // payloadOffset is set when werift parsed the packet; it avoids re-serialising the header per packet.
      const headerBytes = h.payloadOffset > 0 ? h.payloadOffset : RTP_FIXED_HEADER_BYTES;
      stats.onPacket(h.ssrc, h.sequenceNumber, h.timestamp, now, headerBytes + rtp.payload.length + h.paddingSize);
    });
  }
}

function remaining(deadline: number): number {
  return Math.max(1, Math.round(deadline - performance.now()));
}

/** Polls a condition every 20 ms until it holds or the deadline passes (then throws naming the step). */
async function waitUntil(condition: () => boolean, deadline: number, step: string): Promise<void> {
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${step} did not finish in time; is the server reachable on 127.0.0.1?`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
