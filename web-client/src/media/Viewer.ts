/**
 * Watches one stream over the /ws socket: follows its state, connects a
 * recvonly peer connection (non-trickle, H.264 preferred) when it is live,
 * switches simulcast layers, and reconnects with backoff when the socket or
 * the peer connection fails, or frames stop arriving, while the stream is live.
 * While the streamer is reconnecting (stream state 'reconnecting') it keeps its
 * peer connection open and quiet: the server swaps the streamer's new session in
 * behind it, and frames resume by themselves.
 * It says when WebRTC is not going to work for this viewer ('unplayable': the
 * server's WebRTC tier is full, or the media path failed twice) so the page can
 * move to HLS; setMediaEnabled(false) then keeps following the stream without media.
 */
import type { LayerPreference, StreamInfo } from '../../../signaling/protocol/messages.ts';
import { backoffDelay } from '../net/backoff.ts';
import { preferCodec } from '../net/codec-preferences.ts';
import { Emitter } from '../net/Emitter.ts';
import { applyAnswer, createNonTrickleOffer } from '../net/negotiation.ts';
import { SignalingError, type SignalingClient } from '../net/SignalingClient.ts';

/**
 * 'waiting' = the stream exists but nobody is publishing yet; 'streamer-reconnecting' = the streamer
 * dropped and the server holds the stream for them; 'reconnecting' = this viewer's own connection
 * dropped; 'error' = unknown stream or unusable browser.
 */
export type ViewerState = 'connecting' | 'waiting' | 'live' | 'streamer-reconnecting' | 'reconnecting' | 'ended' | 'error';


export interface ViewerEvents extends Record<string, unknown[]> {
  state: [state: ViewerState, detail: string | null];
  stream: [StreamInfo];
  /** rid of the layer being forwarded (null without simulcast). */
  layer: [active: string | null, preference: LayerPreference];
  connection: [RTCPeerConnectionState];
  media: [MediaStream];
  /** A watch attempt (offer → answer → connect) begins. */
  attempt: [number];
  /** WebRTC will not play here: 'full' = the server's WebRTC tier is full (503 webrtc_full), 'failed' = the media path failed twice. */
  unplayable: [reason: 'full' | 'failed', detail: string];
}

/** A peer connection 'disconnected' this long is treated as failed. */
const DISCONNECTED_GRACE_MS = 3000;
/** No new decoded frame for this long while live means the media path is stuck. */
const STALL_MS = 6000;
const STALL_CHECK_MS = 1000;
/** An attempt that shows no video this long after it began counts as unplayable. */
const FIRST_VIDEO_MS = 6000;

export class Viewer extends Emitter<ViewerEvents> {
  readonly streamId: string;
  readonly #signaling: SignalingClient;
  #pc: RTCPeerConnection | undefined;
  #state: ViewerState = 'connecting';
  #info: StreamInfo | null = null;
  #sessionId: string | null = null;
  #preference: LayerPreference = 'auto';
  #attempt = 0;
  #connecting = false;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #stallTimer: ReturnType<typeof setInterval> | undefined;
  #lastFrames = 0;
  #lastFrameAt = 0;
  #mediaEnabled = true;
  /** Media failures since frames last flowed. */
  #failures = 0;
  #firstVideoTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #unsubscribe: Array<() => void> = [];
  /** Cluster node to ask to be served by (?node= on the page; benchmarks). */
  readonly #node: string | undefined;

  constructor(signaling: SignalingClient, streamId: string, options: { node?: string } = {}) {
    super();
    this.#signaling = signaling;
    this.streamId = streamId;
    this.#node = options.node;
  }

  get state(): ViewerState {
    return this.#state;
  }

  get sessionId(): string | null {
    return this.#sessionId;
  }

  get info(): StreamInfo | null {
    return this.#info;
  }

  get peerConnection(): RTCPeerConnection | undefined {
    return this.#pc;
  }

  start(): void {
    this.#unsubscribe.push(
      this.#signaling.on('stream', (info) => this.#onStreamInfo(info)),
      this.#signaling.on('layer', (msg) => {
        if (msg.sessionId === this.#sessionId) this.emit('layer', msg.active, msg.preference);
      }),
      // The node serving our media is gone (or dropped the session): re-place now instead of waiting for ICE to time out.
      this.#signaling.on('sessionClosed', (msg) => {
        if (msg.sessionId === this.#sessionId) this.#retry(`the server closed the session (${msg.reason})`);
      }),
      this.#signaling.on('state', (s) => {
        // The server closes this socket's sessions with it: say so now, the 'open' below reconnects.
        if (s === 'connecting' && this.#pc && this.#mediaEnabled && !this.#closed && this.#state !== 'ended' && this.#state !== 'error') this.#setState('reconnecting', 'lost the connection to the server');
      }),
      this.#signaling.on('open', ({ reconnected }) => {
        // The server closes a socket's sessions with it: a session from before the drop is gone.
        if (reconnected && (this.#pc || this.#connecting)) {
          this.#closePeer();
          this.#retry('the signaling connection dropped');
        }
      }),
    );
    this.#signaling.follow(this.streamId).catch((err: unknown) => {
      if (err instanceof SignalingError && err.status === 404) this.#setState('error', 'stream not found: check the link');
      else console.warn(`follow failed: ${(err as Error).message}`);
    });
  }

  /** Initial state from the HTTP API, used until the socket delivers its first update. */
  seed(info: StreamInfo): void {
    if (!this.#info) this.#onStreamInfo(info);
  }

  /** Reports a failure found outside the socket (e.g. the HTTP API said 404). */
  fail(detail: string): void {
    this.close();
    this.#setState('error', detail);
  }

  async setLayer(preference: LayerPreference): Promise<void> {
    this.#preference = preference;
    if (this.#sessionId) await this.#signaling.request({ type: 'setLayer', sessionId: this.#sessionId, layer: preference });
  }

  /**
   * Off: no peer connection (the page plays the stream some other way) while the stream
   * state keeps being followed; state then mirrors the stream's. On: connect again if live.
   */
  setMediaEnabled(enabled: boolean): void {
    if (this.#mediaEnabled === enabled || this.#closed) return;
    this.#mediaEnabled = enabled;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (!enabled) {
      this.#closePeer();
      if (this.#info?.state === 'live') this.#setState('live', null);
      return;
    }
    this.#failures = 0;
    this.#attempt = 0;
    if (this.#info?.state === 'live' && !this.#pc && !this.#connecting) void this.#watch();
  }

  get mediaEnabled(): boolean {
    return this.#mediaEnabled;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#closePeer();
    this.#signaling.unfollow(this.streamId);
    this.#unsubscribe.splice(0).forEach((off) => off());
  }

  #onStreamInfo(info: StreamInfo): void {
    if (info.id !== this.streamId || this.#closed) return;
    const wasHeld = this.#info?.state === 'reconnecting';
    this.#info = info;
    this.emit('stream', info);
    if (info.state === 'reconnecting') {
      // Keep the peer connection (the server keeps its end open); a viewer without one waits for 'live'
      // rather than retrying into a stream that has no publisher.
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#setState('streamer-reconnecting', null);
    } else if (info.state === 'ended') {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#closePeer();
      this.#setState('ended', null);
    } else if (info.state === 'idle') {
      if (!this.#pc) this.#setState('waiting', null);
    } else if (!this.#mediaEnabled) {
      this.#setState('live', null);
    } else if (!this.#pc && !this.#connecting && this.#retryTimer === undefined) {
      void this.#watch();
    } else if (wasHeld && this.#pc?.connectionState === 'connected') {
      // The streamer is back: frames stopped meanwhile, so the stall clock starts now.
      this.#lastFrameAt = performance.now();
      this.#setState('live', null);
    }
  }

  async #watch(): Promise<void> {
    if (this.#closed) return;
    this.#connecting = true;
    this.emit('attempt', this.#attempt);
    if (this.#state !== 'reconnecting') this.#setState('connecting', null);
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.#pc = pc;
    clearTimeout(this.#firstVideoTimer);
    this.#firstVideoTimer = setTimeout(() => {
      if (pc === this.#pc && this.#info?.state === 'live') this.emit('unplayable', 'failed', `no video within ${FIRST_VIDEO_MS / 1000} s`);
    }, FIRST_VIDEO_MS);
    pc.addEventListener('connectionstatechange', () => this.#onConnectionState(pc));
    const media = new MediaStream();
    pc.addEventListener('track', (e) => {
      media.addTrack(e.track);
      this.emit('media', media);
    });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    preferCodec(pc.addTransceiver('video', { direction: 'recvonly' }), 'recv');
    try {
      const sdp = await createNonTrickleOffer(pc);
      const answer = await this.#signaling.request({ type: 'watch', streamId: this.streamId, sdp, layer: this.#preference, ...(this.#node ? { node: this.#node } : {}) });
      if (this.#pc !== pc) return;
      this.#sessionId = answer.sessionId;
      await applyAnswer(pc, answer.sdp);
    } catch (err) {
      if (this.#pc !== pc) return;
      const status = err instanceof SignalingError ? err.status : 0;
      if (status === 404) {
        this.#closePeer();
        this.#setState('error', 'stream not found: check the link');
      } else if (status === 400) {
        this.#closePeer();
        this.#setState('error', `the server cannot play to this browser: ${(err as Error).message}`);
      } else if (err instanceof SignalingError && err.code === 'webrtc_full') {
        this.#closePeer();
        this.emit('unplayable', 'full', err.message);
        this.#retry(err.message); // only if the page kept WebRTC on: the tier may free up
      } else {
        // 409 (publisher not connected yet), timeouts and dropped sockets: try again.
        this.#retry((err as Error).message);
      }
    } finally {
      this.#connecting = false;
    }
  }

  #onConnectionState(pc: RTCPeerConnection): void {
    if (pc !== this.#pc || pc.connectionState === 'closed') return;
    const s = pc.connectionState;
    this.emit('connection', s);
    clearTimeout(this.#graceTimer);
    if (s === 'connected') {
      this.#attempt = 0;
      this.#setState(this.#info?.state === 'reconnecting' ? 'streamer-reconnecting' : 'live', null);
      this.#watchForStalls(pc);
    } else if (s === 'failed') {
      this.#mediaFailed('the media connection failed');
    } else if (s === 'disconnected') {
      this.#graceTimer = setTimeout(() => this.#mediaFailed('the media connection was lost'), DISCONNECTED_GRACE_MS);
    }
  }

  /** Polls decoded-frame counts: a live stream whose frames stopped gets a fresh connection. */
  #watchForStalls(pc: RTCPeerConnection): void {
    clearInterval(this.#stallTimer);
    this.#lastFrames = 0;
    this.#lastFrameAt = performance.now();
    this.#stallTimer = setInterval(async () => {
      if (pc !== this.#pc) return;
      let frames = 0;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      });
      if (frames !== this.#lastFrames) {
        this.#lastFrames = frames;
        this.#lastFrameAt = performance.now();
        this.#failures = 0;
        clearTimeout(this.#firstVideoTimer);
      } else if (performance.now() - this.#lastFrameAt > STALL_MS && this.#info?.state === 'live') {
        this.#mediaFailed(`no video for ${STALL_MS / 1000} s`);
      }
    }, STALL_CHECK_MS);
  }

  /** A connection that failed or carried no video: the second one in a row makes WebRTC unplayable here. */
  #mediaFailed(reason: string): void {
    this.#failures++;
    if (this.#failures >= 2) this.emit('unplayable', 'failed', `WebRTC failed twice (${reason})`);
    this.#retry(reason);
  }

  #retry(reason: string): void {
    if (!this.#mediaEnabled) return;
    if (this.#closed || this.#state === 'ended' || this.#state === 'error' || this.#retryTimer !== undefined) return;
    this.#closePeer();
    if (this.#info?.state === 'idle') {
      this.#setState('waiting', null);
      return; // the next 'live' update reconnects
    }
    if (this.#info?.state === 'reconnecting') {
      this.#setState('streamer-reconnecting', null);
      return; // the next 'live' update reconnects
    }
    this.#setState('reconnecting', reason);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#info?.state !== 'ended') void this.#watch();
    }, backoffDelay(this.#attempt++));
  }

  #setState(state: ViewerState, detail: string | null): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, detail);
  }

  #closePeer(): void {
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#firstVideoTimer);
    clearInterval(this.#stallTimer);
    const pc = this.#pc;
    const sessionId = this.#sessionId;
    this.#pc = undefined;
    this.#sessionId = null;
    // Frees the server's session (and its WebRTC seat) now rather than at its connect or ICE timeout.
    if (sessionId) this.#signaling.request({ type: 'stop', sessionId }).catch(() => undefined);
    if (pc) {
      pc.close();
      this.emit('connection', 'closed'); // close() fires no connectionstatechange
    }
  }
}
