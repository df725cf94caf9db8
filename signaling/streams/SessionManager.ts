/**
 * Joins the stream registry to the SFU: one Router per live stream, one
 * MediaSession per publisher or viewer connection, whichever API (WHIP, WHEP,
 * /ws) created it. Owns the rules both APIs share: key check, one publisher
 * per stream, viewers only while live, viewer counting, and "publisher gone
 * means the stream has ended for everyone".
 */
import { InvalidStateError, NotFoundError, ServiceUnavailableError, TooManyRequestsError, UnauthorizedError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { LayerPreference } from '../protocol/messages.ts';
import type { Sfu } from '../../sfu/Sfu.ts';
import { MediaSession, type SessionOwner, type SessionRole, type SessionVia } from './MediaSession.ts';
import { checkSdpOffer } from './sdp-offer.ts';
import type { SfuRouter, SfuTransport } from './sfu-types.ts';
import { newSessionId } from './stream-secrets.ts';
import type { StreamRegistry } from './StreamRegistry.ts';
import type { ViewerPlacement } from './viewer-placement.ts';

const logger = createLogger('signaling:SessionManager');

export interface SessionManagerOptions {
  readonly sfu: Sfu;
  readonly streams: StreamRegistry;
  /** Grace for a disconnected/failed connection before its session closes. */
  readonly graceMs?: number;
  /** Time allowed to reach 'connected' after the answer was sent. */
  readonly connectTimeoutMs?: number;
  /** Upper bound on concurrent sessions (open or negotiating) per owner, i.e. per WebSocket. */
  readonly maxSessionsPerOwner?: number;
  /** Upper bound on all sessions; each holds UDP ports and SRTP state. */
  readonly maxSessions?: number;
  /** WebRTC viewers per stream (open or negotiating); past it watch fails with 503 webrtc_full. */
  readonly maxViewersPerStream?: number;
  /** Where viewers turned away by maxViewersPerStream can watch instead (the HLS playlist), if anywhere. */
  readonly overflowUrl?: (streamId: string) => string | undefined;
  /** Cluster placement: where each viewer's peer connection is made (signaling/cluster). Without it, the local router. */
  readonly placement?: ViewerPlacement;
  /** Viewers of a stream signalled by other cluster nodes, added to the count followers see. */
  readonly remoteViewers?: (streamId: string) => number;
}

export interface PublishParams {
  readonly streamId: string;
  readonly streamKey: string;
  readonly offerSdp: string;
  readonly via: SessionVia;
  readonly owner?: SessionOwner;
}

export interface WatchParams {
  readonly streamId: string;
  readonly offerSdp: string;
  readonly layer: LayerPreference;
  readonly via: SessionVia;
  readonly owner?: SessionOwner;
  /** A cluster node the client asked to be served by (benchmarks, debugging); placement may ignore it. */
  readonly node?: string;
}

export interface SessionLookup {
  readonly streamId?: string;
  readonly role?: SessionRole;
  /** Sessions are reachable only through the API that created them (a WS session has no URL). */
  readonly via?: SessionVia;
  /** When set, only sessions of this owner match (a socket may not stop another socket's sessions). */
  readonly owner?: SessionOwner;
}

export interface ConnectedSession {
  readonly session: MediaSession;
  readonly answerSdp: string;
}

export class SessionManager {
  readonly #sfu: Sfu;
  readonly #streams: StreamRegistry;
  readonly #graceMs: number;
  readonly #connectTimeoutMs: number;
  readonly #maxSessionsPerOwner: number;
  readonly #maxSessions: number;
  readonly #maxViewersPerStream: number;
  readonly #overflowUrl: ((streamId: string) => string | undefined) | undefined;
  readonly #placement: ViewerPlacement | undefined;
  readonly #remoteViewers: ((streamId: string) => number) | undefined;
  /** Viewer negotiations in flight per stream, counted against maxViewersPerStream. */
  readonly #pendingViewers = new Map<string, number>();
  /** Negotiations in flight, counted against the limits like open sessions. */
  #pendingTotal = 0;
  readonly #pendingByOwner = new Map<SessionOwner, number>();
  readonly #routers = new Map<string, SfuRouter>();
  readonly #sessions = new Map<string, MediaSession>();
  /** Streams with a publish in flight, so two racing publishers cannot both pass the "not live" check. */
  readonly #publishing = new Set<string>();
  #closed = false;

  constructor(options: SessionManagerOptions) {
    this.#sfu = options.sfu;
    this.#streams = options.streams;
    this.#graceMs = options.graceMs ?? 5000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.#maxSessionsPerOwner = options.maxSessionsPerOwner ?? 8;
    this.#maxSessions = options.maxSessions ?? 5000;
    this.#maxViewersPerStream = options.maxViewersPerStream ?? Infinity;
    this.#overflowUrl = options.overflowUrl;
    this.#placement = options.placement;
    this.#remoteViewers = options.remoteViewers;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Open viewer sessions of a stream signalled by this node (wherever their media is served). */
  viewerSessions(streamId: string): number {
    let viewers = 0;
    for (const session of this.#sessions.values()) {
      if (session.streamId === streamId && session.role === 'viewer') viewers++;
    }
    return viewers;
  }

  /** Recomputes a stream's viewer count (the cluster calls it when other nodes' counts change). */
  refreshViewerCount(streamId: string): void {
    this.#updateViewerCount(streamId);
  }

  async publish(params: PublishParams): Promise<ConnectedSession> {
    this.#assertOpen();
    const stream = this.#streams.require(params.streamId);
    // The key is checked before the state, so a wrong key never learns whether the stream is live.
    if (!this.#streams.verifyKey(stream.id, params.streamKey)) throw new UnauthorizedError();
    if (stream.state === 'ended') {
      throw new InvalidStateError(`stream "${stream.id}" has ended; create a new stream with POST /api/streams`, 'stream_ended');
    }
    if (stream.state === 'live' || this.#publishing.has(stream.id)) {
      throw new InvalidStateError(
        `stream "${stream.id}" already has a publisher; stop that one first (DELETE its session URL)`,
        'already_publishing',
      );
    }
    const offer = checkSdpOffer(params.offerSdp);
    const release = this.#reserve(params.owner);

    this.#publishing.add(stream.id);
    let router: SfuRouter | undefined;
    try {
      router = this.#sfu.createRouter(stream.id);
      const { transport, answerSdp } = await router.connectPublisher(params.offerSdp);
      if (this.#closed || params.owner?.closed) {
        transport.close('requester gone');
        throw this.#closed ? shuttingDown() : new ServiceUnavailableError('the connection that asked to publish has closed');
      }
      this.#routers.set(stream.id, router);
      router.on('publisherclose', (reason) => this.#endStream(stream.id, `publisher closed (${String(reason)})`));
      const session = this.#adopt(
        new MediaSession({
          id: newSessionId(),
          streamId: stream.id,
          role: 'publisher',
          via: params.via,
          owner: params.owner,
          transport,
          iceUfrag: offer.iceUfrag,
          layer: 'auto',
          graceMs: this.#graceMs,
          connectTimeoutMs: this.#connectTimeoutMs,
        }),
      );
      this.#streams.markLive(stream.id);
      logger.info(`publish() [stream:${stream.id}] [session:${session.id}] [via:${params.via}]`);
      return { session, answerSdp };
    } catch (err) {
      // A failed negotiation leaves the stream idle and must not leave a half-built router behind.
      if (router && this.#routers.get(stream.id) !== router) router.close('publish failed');
      throw err;
    } finally {
      this.#publishing.delete(stream.id);
      release();
    }
  }

  async watch(params: WatchParams): Promise<ConnectedSession> {
    this.#assertOpen();
    const stream = this.#streams.require(params.streamId);
    const router = this.#routers.get(stream.id);
    // In a cluster a live stream may have its publisher on another node: placement finds where to connect.
    if (stream.state !== 'live' || (!router && !this.#placement)) throw notLive(stream.id, stream.state);
    const offer = checkSdpOffer(params.offerSdp);
    const releaseSeat = this.#reserveViewerSeat(stream.id, stream.viewers);
    let release: () => void;
    try {
      release = this.#reserve(params.owner);
    } catch (err) {
      releaseSeat();
      throw err;
    }

    let connected: { transport: SfuTransport; answerSdp: string };
    let target: { readonly closed: boolean } | undefined = router;
    try {
      if (this.#placement) {
        const placed = await this.#placement.place({ streamId: stream.id, local: router, hint: params.node });
        target = placed;
        connected = await placed.connectViewer(params.offerSdp, { layer: params.layer });
      } else {
        connected = await router!.connectViewer(params.offerSdp, { layer: params.layer });
      }
    } finally {
      release();
      releaseSeat();
    }
    const { transport, answerSdp } = connected;
    // The publisher may have left while the viewer negotiated.
    const sourceGone = target === router ? this.#routers.get(stream.id) !== router : target?.closed !== false || transport.closed;
    if (this.#closed || params.owner?.closed || sourceGone) {
      transport.close('requester gone');
      if (this.#closed) throw shuttingDown();
      if (params.owner?.closed) throw new ServiceUnavailableError('the connection that asked to watch has closed');
      throw notLive(stream.id, 'ended');
    }
    const session = this.#adopt(
      new MediaSession({
        id: newSessionId(),
        streamId: stream.id,
        role: 'viewer',
        via: params.via,
        owner: params.owner,
        transport,
        iceUfrag: offer.iceUfrag,
        layer: params.layer,
        graceMs: this.#graceMs,
        connectTimeoutMs: this.#connectTimeoutMs,
      }),
    );
    this.#updateViewerCount(stream.id);
    logger.info(`watch() [stream:${stream.id}] [session:${session.id}] [via:${params.via}]`);
    return { session, answerSdp };
  }

  /** Finds a session or throws a 404 that does not reveal whether the id exists under another stream/owner. */
  require(sessionId: string, lookup: SessionLookup = {}): MediaSession {
    const session = this.#sessions.get(sessionId);
    if (
      !session ||
      (lookup.streamId !== undefined && session.streamId !== lookup.streamId) ||
      (lookup.role !== undefined && session.role !== lookup.role) ||
      (lookup.via !== undefined && session.via !== lookup.via) ||
      (lookup.owner !== undefined && session.owner !== lookup.owner)
    ) {
      throw new NotFoundError(`session "${sessionId}" does not exist (it may have ended already)`);
    }
    return session;
  }

  /** Ends one session. A publisher session ending ends its stream. */
  stop(sessionId: string, reason: string, lookup: SessionLookup = {}): void {
    this.require(sessionId, lookup).close(reason);
  }

  closeOwnedBy(owner: SessionOwner, reason: string): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.owner === owner) session.close(reason);
    }
  }

  /** Ends every stream and session; used on shutdown. New requests fail with 503 afterwards. */
  closeAll(reason: string): void {
    this.#closed = true;
    for (const streamId of [...this.#routers.keys()]) this.#endStream(streamId, reason);
    for (const session of [...this.#sessions.values()]) session.close(reason);
  }

  #adopt(session: MediaSession): MediaSession {
    this.#sessions.set(session.id, session);
    session.once('close', (reason) => {
      this.#sessions.delete(session.id);
      if (session.role === 'publisher') this.#endStream(session.streamId, reason);
      else this.#updateViewerCount(session.streamId);
    });
    return session;
  }

  /** The publisher left: the stream is over for everyone. Idempotent. */
  #endStream(streamId: string, reason: string): void {
    const router = this.#routers.get(streamId);
    if (!router) return;
    this.#routers.delete(streamId);
    logger.info(`endStream() [stream:${streamId}] [reason:${reason}]`);
    // Mark ended first so viewer-count updates emitted while viewers close already carry state 'ended'.
    this.#streams.markEnded(streamId);
    for (const session of [...this.#sessions.values()]) {
      if (session.streamId === streamId) session.close('stream ended');
    }
    router.close('stream ended');
  }

  #updateViewerCount(streamId: string): void {
    const viewers = this.viewerSessions(streamId) + (this.#remoteViewers?.(streamId) ?? 0);
    if (this.#streams.get(streamId)) this.#streams.setViewers(streamId, viewers);
  }

  /** Counts a viewer negotiation against the stream's WebRTC capacity until the returned release() is called. */
  #reserveViewerSeat(streamId: string, openViewers: number): () => void {
    const pending = this.#pendingViewers.get(streamId) ?? 0;
    if (openViewers + pending >= this.#maxViewersPerStream) {
      const url = this.#overflowUrl?.(streamId);
      throw new ServiceUnavailableError(
        `webrtc_full: the WebRTC tier of stream "${streamId}" is full (${this.#maxViewersPerStream} viewers); ` +
          (url ? `watch it over HLS at ${url}` : 'try again later'),
        'webrtc_full',
      );
    }
    this.#pendingViewers.set(streamId, pending + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#pendingViewers.get(streamId) ?? 1) - 1;
      if (left > 0) this.#pendingViewers.set(streamId, left);
      else this.#pendingViewers.delete(streamId);
    };
  }

  /** Counts a negotiation against the limits until the returned release() is called. */
  #reserve(owner: SessionOwner | undefined): () => void {
    if (this.#sessions.size + this.#pendingTotal >= this.#maxSessions) {
      throw new ServiceUnavailableError(`server is at its limit of ${this.#maxSessions} media sessions; try again later`);
    }
    if (owner !== undefined) {
      let owned = this.#pendingByOwner.get(owner) ?? 0;
      for (const session of this.#sessions.values()) if (session.owner === owner) owned++;
      if (owned >= this.#maxSessionsPerOwner) {
        throw new TooManyRequestsError(`at most ${this.#maxSessionsPerOwner} media sessions per connection; stop one first`);
      }
      this.#pendingByOwner.set(owner, (this.#pendingByOwner.get(owner) ?? 0) + 1);
    }
    this.#pendingTotal++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#pendingTotal--;
      if (owner === undefined) return;
      const left = (this.#pendingByOwner.get(owner) ?? 1) - 1;
      if (left > 0) this.#pendingByOwner.set(owner, left);
      else this.#pendingByOwner.delete(owner);
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw shuttingDown();
  }
}

function notLive(streamId: string, state: string): InvalidStateError {
  return state === 'ended'
    ? new InvalidStateError(`stream "${streamId}" has ended`, 'stream_ended')
    : new InvalidStateError(`stream "${streamId}" is not live yet; retry when it goes live (follow it on /ws)`, 'not_live');
}

function shuttingDown(): ServiceUnavailableError {
  return new ServiceUnavailableError('server is shutting down; try again in a moment');
}
