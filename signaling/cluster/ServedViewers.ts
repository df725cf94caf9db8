/**
 * Viewer sessions this node serves for other (entry) nodes: the peer
 * connection lives here, the viewer's signalling stays on the entry node.
 * Each is a MediaSession (same liveness watchdog as a local viewer) whose
 * state, layer and close go to the entry over its link. If an entry's link
 * stays away longer than the grace, its sessions are closed: their pages'
 * sockets died with the entry and will re-place from wherever they reconnect.
 */
import type { LayerPreference } from '../../sfu/layer-choice.ts';
import type { Router } from '../../sfu/Router.ts';
import type { IceCandidateInit } from '../../sfu/WebRtcTransport.ts';
import { InvalidStateError, NotFoundError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { MediaSession } from '../streams/MediaSession.ts';
import { checkSdpOffer } from '../streams/sdp-offer.ts';
import type { LinkHub } from './LinkHub.ts';

const logger = createLogger('signaling:cluster:ServedViewers');

export interface ServedViewersOptions {
  readonly links: LinkHub;
  /** The local router for a stream: this node's publisher, or a relay pulled on demand. */
  readonly routerFor: (streamId: string) => Promise<Router>;
  readonly graceMs: number;
  readonly connectTimeoutMs: number;
  /** How long an entry node's link may be away before its sessions are closed. */
  readonly orphanGraceMs: number;
}

interface Served {
  readonly session: MediaSession;
  readonly entry: string;
}

export interface ServeRequest {
  readonly sessionId: string;
  readonly streamId: string;
  readonly sdp: string;
  readonly layer: LayerPreference;
  readonly entry: string;
}

export class ServedViewers {
  readonly #options: ServedViewersOptions;
  readonly #served = new Map<string, Served>();
  readonly #orphanTimers = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(options: ServedViewersOptions) {
    this.#options = options;
    options.links.on('detached', (entry) => this.#onEntryDetached(entry));
  }

  get size(): number {
    return this.#served.size;
  }

  async serve(request: ServeRequest): Promise<{ answerSdp: string }> {
    if (this.#closed) throw new InvalidStateError('this node is shutting down', 'shutting_down');
    if (this.#served.has(request.sessionId)) throw new InvalidStateError(`session "${request.sessionId}" already exists`, 'session_exists');
    if (!this.#options.links.isAttached(request.entry)) {
      throw new InvalidStateError(`no link from node ${request.entry}: open GET /cluster/v1/link before placing viewers`, 'no_link');
    }
    const offer = checkSdpOffer(request.sdp);
    const router = await this.#options.routerFor(request.streamId);
    const { transport, answerSdp } = await router.connectViewer(request.sdp, { layer: request.layer });
    if (this.#closed) {
      transport.close('node shutting down');
      throw new InvalidStateError('this node is shutting down', 'shutting_down');
    }
    const session = new MediaSession({
      id: request.sessionId,
      streamId: request.streamId,
      role: 'viewer',
      via: 'whep',
      owner: undefined,
      transport,
      iceUfrag: offer.iceUfrag,
      layer: request.layer,
      graceMs: this.#options.graceMs,
      connectTimeoutMs: this.#options.connectTimeoutMs,
    });
    const { links } = this.#options;
    const entry = request.entry;
    this.#served.set(session.id, { session, entry });
    transport.on('connectionstatechange', (state) => links.send(entry, { t: 'state', session: session.id, state }));
    session.on('layerchange', (active) => links.send(entry, { t: 'layer', session: session.id, active }));
    session.once('close', (reason) => {
      this.#served.delete(session.id);
      links.send(entry, { t: 'close', session: session.id, reason });
    });
    logger.debug(`serve() [stream:${request.streamId}] [session:${session.id}] [entry:${entry}]`);
    return { answerSdp };
  }

  stop(sessionId: string, reason: string): void {
    this.#require(sessionId).session.close(reason);
  }

  setLayer(sessionId: string, layer: LayerPreference): void {
    this.#require(sessionId).session.setLayer(layer);
  }

  async addCandidate(sessionId: string, candidate: IceCandidateInit): Promise<void> {
    const { session } = this.#require(sessionId);
    await session.addIceCandidates([{ candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null }]);
  }

  closeAll(reason: string): void {
    this.#closed = true;
    for (const timer of this.#orphanTimers.values()) clearTimeout(timer);
    this.#orphanTimers.clear();
    for (const { session } of [...this.#served.values()]) session.close(reason);
  }

  #require(sessionId: string): Served {
    const served = this.#served.get(sessionId);
    if (!served) throw new NotFoundError(`session "${sessionId}" does not exist on this node (it may have ended)`);
    return served;
  }

  #onEntryDetached(entry: string): void {
    if (this.#orphanTimers.has(entry)) return;
    const timer = setTimeout(() => {
      this.#orphanTimers.delete(entry);
      if (this.#options.links.isAttached(entry)) return;
      let closed = 0;
      for (const s of [...this.#served.values()]) {
        if (s.entry !== entry) continue;
        s.session.close(`entry node ${entry} gone`);
        closed++;
      }
      if (closed > 0) logger.info(`closed ${closed} sessions of entry node ${entry}: its link stayed away`);
    }, this.#options.orphanGraceMs);
    timer.unref();
    this.#orphanTimers.set(entry, timer);
  }
}
