/**
 * Joins the stream registry to the SFU: one Router per live stream, one
 * MediaSession per publisher or viewer connection, whichever API (WHIP, WHEP,
 * /ws) created it. Owns the rules both APIs share: key check, one publisher
 * per stream, viewers only while live, viewer counting, and the publisher
 * grace period: a publisher whose connection drops (network change, socket
 * closed, ICE failed) leaves the stream 'reconnecting' with its viewers still
 * attached; the same key may publish again within the grace and the SFU swaps
 * the new tracks in. A deliberate stop (WHIP DELETE, the socket's stop) or the
 * grace running out ends the stream for everyone.
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
const SILENCE_CHECK_MS = 500;
/** Silence checks in a row before a connected publisher shows as reconnecting (on top of the producers' 1 s window). */
const SILENT_CHECKS = 3;

export interface SessionManagerOptions {
  readonly sfu: Sfu;
  readonly streams: StreamRegistry;
  /** Grace for a disconnected/failed connection before its session closes. */
  readonly graceMs?: number;
  /** How long a stream whose publisher dropped stays 'reconnecting' before it ends (0 = ends at once). */
  readonly publisherGraceMs?: number;
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
  readonly #publisherGraceMs: number;
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
  /** Streams waiting for their publisher to come back: the timer ends them. */
  readonly #reconnecting = new Map<string, NodeJS.Timeout>();
  /** Consecutive silence checks per stream whose publisher is connected (#watchSilence). */
  readonly #silentChecks = new Map<string, number>();
  readonly #silenceTimer: NodeJS.Timeout;
  /** Publisher sessions being stopped on purpose: their close ends the stream instead of waiting. */
  readonly #deliberate = new Set<string>();
  /** Publisher sessions that rejoined a 'reconnecting' stream (if they fail, the stream waits again). */
  readonly #returningSessions = new Set<string>();
  #closed = false;

  constructor(options: SessionManagerOptions) {
    this.#sfu = options.sfu;
    this.#streams = options.streams;
    this.#graceMs = options.graceMs ?? 5000;
    this.#publisherGraceMs = options.publisherGraceMs ?? 30_000;
    this.#silenceTimer = setInterval(() => this.#watchSilence(), SILENCE_CHECK_MS);
    this.#silenceTimer.unref();
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
    if (this.#publishing.has(stream.id) || !this.#replaceStalePublisher(stream.id, stream.state)) {
      throw new InvalidStateError(
        `stream "${stream.id}" already has a publisher; stop that one first (DELETE its session URL)`,
        'already_publishing',
      );
    }
    const offer = checkSdpOffer(params.offerSdp);
    const release = this.#reserve(params.owner);

    this.#publishing.add(stream.id);
    // A returning publisher joins the router its viewers are still attached to.
    const existing = this.#routers.get(stream.id);
    let router: SfuRouter | undefined;
    try {
      router = existing && !existing.closed ? existing : this.#sfu.createRouter(stream.id);
      const { transport, answerSdp } = await router.connectPublisher(params.offerSdp);
      if (this.#closed || params.owner?.closed || router.closed) {
        transport.close('requester gone');
        if (router.closed) throw notLive(stream.id, 'ended');
        throw this.#closed ? shuttingDown() : new ServiceUnavailableError('the connection that asked to publish has closed');
      }
      this.#routers.set(stream.id, router);
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
      const returning = this.#stopWaiting(stream.id);
      if (returning) this.#returningSessions.add(session.id);
      this.#streams.markLive(stream.id);
      logger.info(`publish() [stream:${stream.id}] [session:${session.id}] [via:${params.via}]${returning ? ' [publisher back]' : ''}`);
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

  /** Ends one session on purpose. A publisher stopped this way ends its stream at once (no reconnect grace). */
  stop(sessionId: string, reason: string, lookup: SessionLookup = {}): void {
    const session = this.require(sessionId, lookup);
    if (session.role === 'publisher') this.#deliberate.add(session.id);
    session.close(reason);
  }

  /**
   * Ends a stream for good on the key holder's word, in any state (a
   * 'reconnecting' stream has no publisher session to stop). Idempotent.
   */
  endWithKey(streamId: string, streamKey: string, reason: string): void {
    const stream = this.#streams.require(streamId);
    if (!this.#streams.verifyKey(stream.id, streamKey)) throw new UnauthorizedError();
    if (stream.state === 'ended') return;
    if (this.#routers.has(stream.id)) this.#endStream(stream.id, reason);
    else this.#streams.markEnded(stream.id);
  }

  closeOwnedBy(owner: SessionOwner, reason: string): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.owner === owner) session.close(reason);
    }
  }

  /** Ends every stream and session; used on shutdown. New requests fail with 503 afterwards. */
  closeAll(reason: string): void {
    this.#closed = true;
    clearInterval(this.#silenceTimer);
    for (const streamId of [...this.#routers.keys()]) this.#endStream(streamId, reason);
    for (const timer of this.#reconnecting.values()) clearTimeout(timer);
    this.#reconnecting.clear();
    for (const session of [...this.#sessions.values()]) session.close(reason);
  }

  #adopt(session: MediaSession): MediaSession {
    this.#sessions.set(session.id, session);
    session.once('close', (reason) => {
      this.#sessions.delete(session.id);
      if (session.role === 'publisher') this.#publisherGone(session, reason);
      else this.#updateViewerCount(session.streamId);
    });
    return session;
  }

  /** A publisher session closed: end the stream, or hold it 'reconnecting' for the grace period. */
  #publisherGone(session: MediaSession, reason: string): void {
    const deliberate = this.#deliberate.delete(session.id);
    const router = this.#routers.get(session.streamId);
    // Already ended, or a new publisher already took over (the closing session's own transport may not have closed yet).
    if (!router || router.closed || (router.publisher && router.publisher !== session.transport)) return;
    const returning = this.#returningSessions.delete(session.id);
    // A first publisher that never got its media connected never really went live: nothing to wait for.
    if (deliberate || this.#closed || this.#publisherGraceMs <= 0 || (!session.everConnected && !returning)) {
      this.#endStream(session.streamId, reason);
      return;
    }
    if (this.#reconnecting.has(session.streamId)) return;
    const timer = setTimeout(() => {
      this.#reconnecting.delete(session.streamId);
      this.#endStream(session.streamId, `publisher did not come back within ${this.#publisherGraceMs} ms (${reason})`);
    }, this.#publisherGraceMs);
    timer.unref();
    this.#reconnecting.set(session.streamId, timer);
    logger.info(`publisher gone, waiting ${this.#publisherGraceMs} ms for it [stream:${session.streamId}] [reason:${reason}]`);
    if (this.#streams.get(session.streamId)?.state === 'live') this.#streams.markReconnecting(session.streamId);
  }

  #publisherSession(streamId: string): MediaSession | undefined {
    for (const session of this.#sessions.values()) if (session.streamId === streamId && session.role === 'publisher') return session;
    return undefined;
  }

  /** Stops the grace timer of a stream whose publisher came back; true when it was waiting. */
  #stopWaiting(streamId: string): boolean {
    const timer = this.#reconnecting.get(streamId);
    if (!timer) return false;
    clearTimeout(timer);
    this.#reconnecting.delete(streamId);
    return true;
  }

  /**
   * A publish with the right key while an old publisher connection still
   * exists: a phone that switched networks comes back before the server
   * noticed it left. The old connection is replaced unless it is connected and
   * its media flows (a healthy publisher keeps its stream: false, 409).
   */
  #replaceStalePublisher(streamId: string, state: string): boolean {
    const old = this.#publisherSession(streamId);
    if (!old) return state !== 'live';
    const router = this.#routers.get(streamId);
    if (state === 'live' && old.connected && router?.receivingMedia) return false;
    logger.info(`replacing a stale publisher connection [stream:${streamId}] [session:${old.id}] [connected:${old.connected}]`);
    old.close('replaced by a new connection with the stream key');
    return true;
  }

  /**
   * Media silence from a connected publisher (camera stopped in the
   * background, uplink gone but ICE not failed yet) shows as 'reconnecting'
   * within about two seconds, so viewers wait instead of giving up; media
   * flowing again shows as 'live'. The grace timer starts only when the
   * connection itself is gone.
   */
  #watchSilence(): void {
    for (const [streamId, router] of this.#routers) {
      const session = router.publisher ? this.#publisherSession(streamId) : undefined;
      const state = this.#streams.get(streamId)?.state;
      if (!session?.everConnected || router.closed) {
        this.#silentChecks.delete(streamId);
        continue;
      }
      if (router.receivingMedia) {
        this.#silentChecks.delete(streamId);
        if (state === 'reconnecting' && !this.#reconnecting.has(streamId)) {
          logger.info(`publisher media flows again [stream:${streamId}]`);
          this.#streams.markLive(streamId);
        }
        continue;
      }
      const checks = (this.#silentChecks.get(streamId) ?? 0) + 1;
      this.#silentChecks.set(streamId, checks);
      if (checks === SILENT_CHECKS && state === 'live') {
        logger.info(`publisher connected but silent [stream:${streamId}]: reconnecting`);
        this.#streams.markReconnecting(streamId);
      }
    }
  }

  /** The publisher left: the stream is over for everyone. Idempotent. */
  #endStream(streamId: string, reason: string): void {
    const router = this.#routers.get(streamId);
    if (!router) return;
    this.#routers.delete(streamId);
    this.#stopWaiting(streamId);
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
  if (state === 'reconnecting') {
    return new InvalidStateError(`stream "${streamId}" is reconnecting (its publisher dropped); retry in a few seconds`, 'reconnecting');
  }
  return state === 'ended'
    ? new InvalidStateError(`stream "${streamId}" has ended`, 'stream_ended')
    : new InvalidStateError(`stream "${streamId}" is not live yet; retry when it goes live (follow it on /ws)`, 'not_live');
}

function shuttingDown(): ServiceUnavailableError {
  return new ServiceUnavailableError('server is shutting down; try again in a moment');
}
