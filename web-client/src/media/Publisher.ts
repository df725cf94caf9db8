/**
 * Publishes one audio and one video track to a stream over the /ws socket:
 * non-trickle offer (H.264 preferred, simulcast when the source is large
 * enough), follows the stream for viewer counts, swaps tracks without
 * renegotiating, and republishes with backoff if the peer connection fails.
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

const MAX_REPUBLISH_ATTEMPTS = 6;
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

  /**
   * Publishes; resolves once the offer is answered, or when a retryable failure
   * (busy server, dropped socket) has been scheduled for another attempt, which
   * the 'state' events report. Rejects only when retrying cannot help.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`start() called twice (state ${this.#state}); create a new Publisher`);
    this.#unsubscribe.push(this.#signaling.on('stream', (info) => this.#onStreamInfo(info)));
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

  /** Ends the stream on the server and closes the connection. */
  async stop(): Promise<void> {
    if (this.#state === 'ended' || this.#state === 'failed') return;
    const sessionId = this.#sessionId;
    this.#setState('ended', null);
    this.#teardown();
    if (sessionId) await this.#signaling.request({ type: 'stop', sessionId }).catch((err: Error) => console.warn(`stop request failed: ${err.message}`));
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
    // 401/404: wrong key or stream gone; 400: the server cannot use this browser's offer. Retrying will not help.
    if (status === 400 || status === 401 || status === 403 || status === 404) {
      this.#teardown();
      this.#setState('failed', (err as Error).message);
    } else {
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
      this.#setState('live');
    } else if (s === 'failed') {
      this.#scheduleRepublish('the media connection failed');
    } else if (s === 'disconnected') {
      this.#graceTimer = setTimeout(() => this.#scheduleRepublish('the media connection was lost'), DISCONNECTED_GRACE_MS);
    }
  }

  #scheduleRepublish(reason: string): void {
    if (this.#state === 'ended' || this.#state === 'failed' || this.#retryTimer !== undefined) return;
    this.#closePeer();
    if (this.#attempt >= MAX_REPUBLISH_ATTEMPTS) {
      this.#setState('failed', `${reason}; gave up after ${MAX_REPUBLISH_ATTEMPTS} attempts`);
      return;
    }
    this.#setState('reconnecting', reason);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#publish().catch(() => undefined); // #onPublishError already rescheduled or failed
    }, backoffDelay(this.#attempt++));
  }

  #onStreamInfo(info: StreamInfo): void {
    if (info.id !== this.stream.id) return;
    this.emit('stream', info);
    if (info.state === 'ended' && this.#state !== 'ended' && this.#state !== 'failed') {
      this.#teardown();
      this.#setState('ended', 'the server ended the stream');
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
