/**
 * One media session: a publisher or viewer peer connection held by the SFU,
 * as signaling sees it (id, stream, who owns it, which API created it).
 * It also runs the liveness watchdog: a connection that stays disconnected or
 * failed past the grace period, or never connects, is closed, so a vanished
 * publisher ends its stream and a vanished viewer stops being counted.
 */
import { createLogger } from '../logger.ts';
import type { LayerPreference } from '../protocol/messages.ts';
import { SafeEmitter } from '../SafeEmitter.ts';
import type { SfuTransport } from './sfu-types.ts';

const logger = createLogger('signaling:MediaSession');

export type SessionRole = 'publisher' | 'viewer';
/** Which API created the session; WHIP/WHEP sessions are addressed by URL, WS ones by their socket. */
export type SessionVia = 'whip' | 'whep' | 'ws';

/** Who holds a session besides its URL: a WebSocket connection. `closed` lets late answers be dropped. */
export interface SessionOwner {
  readonly closed: boolean;
}

export interface IceCandidateInit {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export interface MediaSessionOptions {
  readonly id: string;
  readonly streamId: string;
  readonly role: SessionRole;
  readonly via: SessionVia;
  /** The WebSocket connection that created it, or undefined for WHIP/WHEP sessions. */
  readonly owner: SessionOwner | undefined;
  readonly transport: SfuTransport;
  readonly iceUfrag: string | undefined;
  readonly layer: LayerPreference;
  /** How long 'disconnected'/'failed' may last before the session is closed. */
  readonly graceMs: number;
  /** How long the first 'connected' may take before the session is given up. */
  readonly connectTimeoutMs: number;
}

export type MediaSessionEvents = {
  close: [reason: string];
  layerchange: [active: string | null];
};

export class MediaSession extends SafeEmitter<MediaSessionEvents> {
  readonly id: string;
  readonly streamId: string;
  readonly role: SessionRole;
  readonly via: SessionVia;
  readonly owner: SessionOwner | undefined;
  readonly transport: SfuTransport;
  /** Entity tag for the WHIP/WHEP resource: identifies the ICE session (RFC 9725 §4.3). */
  readonly etag: string;
  readonly iceUfrag: string | undefined;
  #layer: LayerPreference;
  #closed = false;
  #connected = false;
  #everConnected = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  readonly #graceMs: number;
  readonly #log;

  constructor(options: MediaSessionOptions) {
    super();
    this.id = options.id;
    this.streamId = options.streamId;
    this.role = options.role;
    this.via = options.via;
    this.owner = options.owner;
    this.transport = options.transport;
    this.iceUfrag = options.iceUfrag;
    this.etag = `"${options.iceUfrag ?? options.id}"`;
    this.#layer = options.layer;
    this.#graceMs = options.graceMs;
    this.#log = logger.child(`stream:${options.streamId}`).child(`${options.role}:${options.id.slice(0, 8)}`);

    this.transport.on('connectionstatechange', (state) => this.#onConnectionState(state));
    this.transport.on('close', (reason) => this.#finish(`transport closed (${String(reason)})`));
    this.transport.on('layerchange', (active) => this.safeEmit('layerchange', active));
    this.#connectTimer = setTimeout(() => {
      this.#log.warn(`no connection after ${options.connectTimeoutMs} ms, closing`);
      this.close('never connected');
    }, options.connectTimeoutMs);
    this.#connectTimer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the peer connection is 'connected' right now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Whether the peer connection was ever 'connected' (media may have flowed). */
  get everConnected(): boolean {
    return this.#everConnected;
  }

  get layer(): LayerPreference {
    return this.#layer;
  }

  setLayer(layer: LayerPreference): void {
    this.transport.setLayerPreference(layer);
    this.#layer = layer;
  }

  async addIceCandidates(candidates: readonly IceCandidateInit[]): Promise<void> {
    for (const candidate of candidates) await this.transport.addIceCandidate(candidate);
  }

  /** Idempotent. Closes the SFU transport and emits 'close' once. */
  close(reason: string): void {
    if (this.#closed) return;
    // Finish first so the reason recorded is ours, not the transport's echo of it.
    this.#finish(reason);
    this.transport.close(reason);
  }

  #onConnectionState(state: string): void {
    this.#log.debug(`connectionstatechange [state:${state}]`);
    this.#connected = state === 'connected';
    if (state === 'connected') {
      this.#everConnected = true;
      this.#clearTimers();
    } else if (state === 'disconnected' || state === 'failed') {
      if (this.#graceTimer) return;
      this.#graceTimer = setTimeout(() => {
        this.#log.info(`still ${state} after ${this.#graceMs} ms grace, closing`);
        this.close(`connection ${state}`);
      }, this.#graceMs);
      this.#graceTimer.unref();
    } else if (state === 'closed') {
      this.#finish('connection closed');
    }
  }

  #finish(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    this.#log.debug(`closed [reason:${reason}]`);
    this.safeEmit('close', reason);
  }

  #clearTimers(): void {
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#connectTimer);
    this.#graceTimer = undefined;
    this.#connectTimer = undefined;
  }
}
