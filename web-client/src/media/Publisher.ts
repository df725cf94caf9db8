/**
 * Publishes one audio and one video track to a stream over the /ws socket:
 * non-trickle offer (H.264 preferred, simulcast when the source is large
 * enough), follows the stream for viewer counts, swaps tracks without
 * renegotiating, and republishes with backoff, keeping the same tracks and
 * stream key, when the peer connection fails or the socket drops: the server
 * holds the stream 'reconnecting' for a grace period and takes the new session
 * in behind the viewers. No ICE restart first: the /ws protocol has no message
 * for one and the server refuses them on WHIP (ice_restart_unsupported).
 * Only stop() ends the stream; losing the connection never does.
 */
import type { CreatedStream, StreamInfo } from '../../../signaling/protocol/messages.ts';
import { backoffDelay } from '../net/backoff.ts';
import { preferCodec } from '../net/codec-preferences.ts';
import { Emitter } from '../net/Emitter.ts';
import { applyAnswer, createNonTrickleOffer } from '../net/negotiation.ts';
import { SignalingError, type SignalingClient } from '../net/SignalingClient.ts';
import { sendEncodings } from './simulcast-encodings.ts';

export type PublisherState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface PublisherEvents extends Record<string, unknown[]> {
  /** `detail` explains 'failed' and server-side ends. */
  state: [state: PublisherState, detail: string | null];
  connection: [RTCPeerConnectionState];
  stream: [StreamInfo];
}

/** Give up republishing after this long without a connection (the server's grace is 30 s by default). */
const GIVE_UP_MS = 60_000;
/** How long stop() waits for the server's answer before closing the media anyway. */
const STOP_WAIT_MS = 2000;
/** A peer connection 'disconnected' this long is treated as failed. */
const DISCONNECTED_GRACE_MS = 5000;

export class Publisher extends Emitter<PublisherEvents> {
  readonly stream: CreatedStream;
  readonly #signaling: SignalingClient;
  #video: MediaStreamTrack;
  #audio: MediaStreamTrack | null;
  #pc: RTCPeerConnection | undefined;
  #videoSender: RTCRtpSender | undefined;
  #audioSender: RTCRtpSender | undefined;
  #state: PublisherState = 'idle';
  #sessionId: string | null = null;
  #attempt = 0;
  /** When the current outage began (ms, performance.now()), null while connected. */
  #outageSince: number | null = null;
  /** Republishes after a connection loss, since start(). */
  #reconnects = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(signaling: SignalingClient, stream: CreatedStream, tracks: { video: MediaStreamTrack; audio: MediaStreamTrack | null }) {
    super();
    this.#signaling = signaling;
    this.stream = stream;
    this.#video = tracks.video;
    this.#audio = tracks.audio;
  }

  get state(): PublisherState {
    return this.#state;
  }

  get sessionId(): string | null {
    return this.#sessionId;
  }

  get connectionState(): RTCPeerConnectionState {
    return this.#pc?.connectionState ?? 'new';
  }

  get peerConnection(): RTCPeerConnection | undefined {
    return this.#pc;
  }

  /** The video sender of the current peer connection (a new one after each republish). */
  get videoSender(): RTCRtpSender | undefined {
    return this.#videoSender;
  }

  get reconnects(): number {
    return this.#reconnects;
  }

  /**
   * Publishes; resolves once the offer is answered, or when a retryable failure
   * (busy server, dropped socket) has been scheduled for another attempt, which
   * the 'state' events report. Rejects only when retrying cannot help.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`start() called twice (state ${this.#state}); create a new Publisher`);
    this.#unsubscribe.push(
      this.#signaling.on('stream', (info) => this.#onStreamInfo(info)),
      // The server closes a socket's sessions with it: the media session is gone, publish again once it is back.
      this.#signaling.on('state', (s) => {
        if (s === 'connecting' && (this.#pc || this.#state === 'live')) this.#scheduleRepublish('lost the connection to the server');
      }),
      this.#signaling.on('open', ({ reconnected }) => {
        if (reconnected) this.resume();
      }),
    );
    this.#setState('connecting');
    this.#signaling.follow(this.stream.id).catch((err: Error) => console.warn(`follow failed: ${err.message}`));
    try {
      await this.#publish();
    } catch (err) {
      if ((this.#state as PublisherState) === 'failed') throw err;
    }
  }

  /** Swaps the outgoing video (camera switch, test pattern); no renegotiation. */
  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    this.#video = track;
    await this.#videoSender?.replaceTrack(track);
  }

  async replaceAudioTrack(track: MediaStreamTrack | null): Promise<void> {
    this.#audio = track;
    await this.#audioSender?.replaceTrack(track);
  }

  /**
   * Publish again now rather than at the next backoff step: the socket is back, or the
   * page is visible again after the phone put it in the background. No-op while connected.
   */
  resume(): void {
    if (this.#state === 'idle' || this.#state === 'ended' || this.#state === 'failed') return;
    const pc = this.#pc;
    if (pc && (pc.connectionState === 'connected' || pc.connectionState === 'connecting' || pc.connectionState === 'new')) return;
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#republishNow();
    } else {
      this.#scheduleRepublish('the connection was lost while the page was hidden');
    }
  }

  /** Ends the stream on the server and closes the connection. */
  async stop(): Promise<void> {
    if (this.#state === 'ended' || this.#state === 'failed') return;
    this.#setState('ended', null);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // The server must hear the end before the media goes: a peer connection closing first looks
    // like a dropped streamer, and the stream would sit 'reconnecting' for the grace period.
    // Ending by key works in every state, also while reconnecting, when no session is left to stop.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#signaling
        .request({ type: 'endStream', streamId: this.stream.id, streamKey: this.stream.streamKey })
        .catch((err: Error) => console.warn(`end stream request failed: ${err.message}`)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    this.#teardown();
  }

  async #publish(): Promise<void> {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.#pc = pc;
    pc.addEventListener('connectionstatechange', () => this.#onConnectionState(pc));
    const settings = this.#video.getSettings();
    const video = pc.addTransceiver(this.#video, {
      direction: 'sendonly',
      sendEncodings: sendEncodings(settings.width ?? 640, settings.height ?? 360),
    });
    preferCodec(video, 'send');
    this.#videoSender = video.sender;
    this.#audioSender = pc.addTransceiver(this.#audio ?? 'audio', { direction: 'sendonly' }).sender;
    try {
      const sdp = await createNonTrickleOffer(pc);
      const answer = await this.#signaling.request({ type: 'publish', streamId: this.stream.id, streamKey: this.stream.streamKey, sdp });
      if (this.#pc !== pc) return; // stopped meanwhile
      this.#sessionId = answer.sessionId;
      await applyAnswer(pc, answer.sdp);
    } catch (err) {
      if (this.#pc === pc) this.#onPublishError(err);
      throw err;
    }
  }

  #onPublishError(err: unknown): void {
    const status = err instanceof SignalingError ? err.status : 0;
    const code = err instanceof SignalingError ? err.code : '';
    // 401/404: wrong key or stream gone; 400: the server cannot use this browser's offer. Retrying will not help.
    if (status === 400 || status === 401 || status === 403 || status === 404) {
      this.#teardown();
      this.#setState('failed', (err as Error).message);
    } else if (code === 'stream_ended') {
      this.#teardown();
      this.#setState('ended', 'the stream ended while the connection was down (longer than the server waits); go live again');
    } else {
      // 409 already_publishing after a drop: the server has not noticed the old connection is gone yet.
      this.#scheduleRepublish((err as Error).message);
    }
  }

  #onConnectionState(pc: RTCPeerConnection): void {
    if (pc !== this.#pc) return;
    const s = pc.connectionState;
    this.emit('connection', s);
    clearTimeout(this.#graceTimer);
    if (s === 'connected') {
      this.#attempt = 0;
      this.#outageSince = null;
      this.#setState('live');
    } else if (s === 'failed') {
      this.#scheduleRepublish('the media connection failed');
    } else if (s === 'disconnected') {
      this.#graceTimer = setTimeout(() => this.#scheduleRepublish('the media connection was lost'), DISCONNECTED_GRACE_MS);
    }
  }

  #scheduleRepublish(reason: string): void {
    if (this.#state === 'idle' || this.#state === 'ended' || this.#state === 'failed' || this.#retryTimer !== undefined) return;
    this.#closePeer();
    const now = performance.now();
    this.#outageSince ??= now;
    if (now - this.#outageSince > GIVE_UP_MS) {
      this.#teardown();
      this.#setState('failed', `${reason}; no connection for ${Math.round(GIVE_UP_MS / 1000)} s, gave up: check the network and go live again`);
      return;
    }
    this.#setState('reconnecting', reason);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#republishNow();
    }, backoffDelay(this.#attempt++));
  }

  #republishNow(): void {
    if (this.#state !== 'reconnecting') return;
    this.#reconnects++;
    this.#publish().catch(() => undefined); // #onPublishError already rescheduled or failed
  }

  #onStreamInfo(info: StreamInfo): void {
    if (info.id !== this.stream.id) return;
    this.emit('stream', info);
    if (info.state === 'ended' && this.#state !== 'ended' && this.#state !== 'failed') {
      this.#teardown();
      this.#setState('ended', this.#state === 'reconnecting' ? 'the stream ended while the connection was down (longer than the server waits); go live again' : 'the server ended the stream');
    } else if (info.state === 'reconnecting' && this.#state === 'live') {
      // The server lost this publisher (its socket or media session dropped) before this page noticed.
      this.#scheduleRepublish('the server lost the media connection');
    }
  }

  #setState(state: PublisherState, detail: string | null = null): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, detail);
  }

  #closePeer(): void {
    clearTimeout(this.#graceTimer);
    const pc = this.#pc;
    this.#pc = undefined;
    this.#videoSender = this.#audioSender = undefined;
    pc?.close();
  }

  #teardown(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#closePeer();
    this.#signaling.unfollow(this.stream.id);
    this.#unsubscribe.splice(0).forEach((off) => off());
  }
}
