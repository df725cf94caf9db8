/**
 * The downstream end of this edge's pipes: ensure(streamId) gives a local
 * Router fed by one pipe from upstream (the configured parent edge, else the
 * stream's origin), however many viewers and child pipes then use it.
 * Concurrent callers share one pull. A relay whose source closes keeps its
 * viewers attached and pulls again every second: the publisher may be
 * reconnecting to the origin, and when it is back the new pipe's tracks are
 * swapped in behind the existing consumers (the same path a returning
 * publisher takes on the origin). It gives up, closing the relay (its viewers
 * re-place through their entry node), when the stream has ended or after
 * sourceWaitMs. A relay with no viewers and no child pipes for idleMs is
 * closed to free the upstream.
 */
import { PipeReceiver } from '../../sfu/pipe/PipeReceiver.ts';
import { PipeTransport } from '../../sfu/pipe/PipeTransport.ts';
import type { Router } from '../../sfu/Router.ts';
import type { Sfu } from '../../sfu/Sfu.ts';
import { AppError, InvalidStateError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { ClusterClient } from './ClusterClient.ts';
import type { ClusterView } from './ClusterView.ts';
import { PipeOpenAnswer, type PipeOpenRequest } from './pipe-api.ts';
import type { PipeSettings } from './pipe-settings.ts';
import { chooseUpstream, isOriginOf } from './placement.ts';
import type { NodeRecord } from './node-record.ts';

const logger = createLogger('signaling:cluster:RelayManager');
const IDLE_CHECK_MS = 2000;

export interface RelayManagerOptions {
  readonly sfu: Sfu;
  readonly view: ClusterView;
  readonly client: ClusterClient;
  readonly settings: PipeSettings;
  readonly self: { readonly id: string; readonly parent: string | null };
  /** A relay with no viewers and no child pipes for this long is closed. */
  readonly idleMs: number;
  /** Child pipes this node sends for a stream (they keep the relay alive). */
  readonly childPipes: (streamId: string) => number;
  /** Told when a relay opens or closes (the heartbeat then carries the change soon). */
  readonly onChange: () => void;
  /** How long a relay whose source closed keeps its viewers while pulling again (the publisher grace). */
  readonly sourceWaitMs: number;
  /** Whether the stream has ended for good (then a relay that lost its source closes at once). */
  readonly streamEnded: (streamId: string) => boolean;
}

interface Relay {
  readonly router: Router;
  receiver: PipeReceiver;
  upstream: string;
  idleSince: number;
  /** Set while the source is lost and the relay pulls again. */
  lostSince: number | null;
}
const REPULL_INTERVAL_MS = 1000;

export class RelayManager {
  readonly #options: RelayManagerOptions;
  readonly #relays = new Map<string, Relay>();
  readonly #pulling = new Map<string, Promise<Router>>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RelayManagerOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.#closeIdle(), IDLE_CHECK_MS);
    this.#timer.unref();
  }

  get relays(): ReadonlyArray<{ streamId: string; upstream: string; router: Router; receiver: PipeReceiver }> {
    return [...this.#relays.entries()].map(([streamId, r]) => ({ streamId, upstream: r.upstream, router: r.router, receiver: r.receiver }));
  }

  /**
   * The local router relaying the stream, pulling it if needed. `via` lists the
   * nodes already on the chain (loop guard). Throws InvalidStateError 409
   * not_live when no live node has the stream, or the upstream's error.
   */
  ensure(streamId: string, via: readonly string[] = []): Promise<Router> {
    if (this.#closed) return Promise.reject(new InvalidStateError('this node is shutting down', 'shutting_down'));
    const relay = this.#relays.get(streamId);
    if (relay && !relay.router.closed && relay.router.pipe) {
      relay.idleSince = Date.now();
      return Promise.resolve(relay.router);
    }
    // A relay waiting for its source is pulled into, so its viewers stay.
    const waiting = relay && !relay.router.closed && relay.lostSince !== null ? relay : undefined;
    let pulling = this.#pulling.get(streamId);
    if (!pulling) {
      pulling = this.#pull(streamId, via, waiting).finally(() => this.#pulling.delete(streamId));
      this.#pulling.set(streamId, pulling);
    }
    return pulling;
  }

  closeAll(reason: string): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const relay of [...this.#relays.values()]) relay.router.close(reason);
    this.#relays.clear();
  }

  async #pull(streamId: string, via: readonly string[], into?: Relay): Promise<Router> {
    const { view, self } = this.#options;
    const nodes = view.nodes();
    const candidates: NodeRecord[] = [];
    const preferred = chooseUpstream(self, streamId, nodes);
    if (preferred) candidates.push(preferred);
    // If the parent cannot deliver, go to the origin directly rather than fail the viewer.
    const origin = nodes.find((n) => n.id !== self.id && isOriginOf(n, streamId));
    if (origin && origin.id !== preferred?.id) candidates.push(origin);
    const upstreams = candidates.filter((n) => !via.includes(n.id));
    if (upstreams.length === 0) {
      throw new InvalidStateError(`stream "${streamId}" is not live on any node this edge can pull from; retry when it is live`, 'not_live');
    }
    let lastError: unknown;
    for (const upstream of upstreams) {
      try {
        return await this.#pullFrom(upstream, streamId, via, into);
      } catch (err) {
        lastError = err;
        logger.warn(`pull [stream:${streamId}] from ${upstream.id} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw lastError instanceof AppError ? lastError : new InvalidStateError(`could not pull stream "${streamId}"`, 'not_live');
  }

  async #pullFrom(upstream: NodeRecord, streamId: string, via: readonly string[], into?: Relay): Promise<Router> {
    const { sfu, settings, client, self } = this.#options;
    const transport = await PipeTransport.create({
      listenIp: settings.listenIp,
      announcedIp: settings.announcedIp,
      portRange: settings.portRange,
      label: streamId,
    });
    let receiver: PipeReceiver | undefined;
    try {
      const request: PipeOpenRequest = { streamId, tuple: transport.localTuple, via: via.includes(self.id) ? [...via] : [...via, self.id] };
      const answer = PipeOpenAnswer.parse(await client.call(upstream.url, 'POST', '/cluster/v1/pipes', request));
      transport.connect(answer.tuple);
      receiver = new PipeReceiver({ transport, description: answer.description, keyframeThrottleMs: settings.keyframeThrottleMs });
      if (this.#closed) throw new InvalidStateError('this node is shutting down', 'shutting_down');
      if (into) {
        if (into.router.closed) throw new InvalidStateError(`the relay of stream "${streamId}" closed while pulling again`, 'not_live');
        // The source is back: its new tracks go in behind the viewers that waited.
        into.router.adoptPipe(receiver, receiver.producers);
        into.receiver = receiver;
        into.upstream = upstream.id;
        into.lostSince = null;
        logger.info(`relay source back [stream:${streamId}] [from:${upstream.id}] [pipe:${answer.pipeId}] [viewers:${into.router.viewerCount}]`);
        this.#options.onChange();
        return into.router;
      }
      // A router left from a relay that is closing: replace it.
      sfu.getRouter(streamId)?.close('replaced by a new relay');
      const router = sfu.createRouter(streamId);
      router.adoptPipe(receiver, receiver.producers);
      const relay: Relay = { router, receiver, upstream: upstream.id, idleSince: Date.now(), lostSince: null };
      this.#relays.set(streamId, relay);
      router.on('publisherclose', (reason) => this.#sourceLost(streamId, relay, reason));
      router.once('close', (reason) => {
        if (this.#relays.get(streamId) === relay) this.#relays.delete(streamId);
        logger.info(`relay closed [stream:${streamId}] [reason:${reason}]`);
        this.#options.onChange();
      });
      logger.info(`relay opened [stream:${streamId}] [from:${upstream.id}] [pipe:${answer.pipeId}]`);
      this.#options.onChange();
      return router;
    } catch (err) {
      receiver?.close('relay setup failed');
      transport.close('relay setup failed');
      throw err;
    }
  }

  /** The pipe feeding a relay closed: keep the viewers and pull again until the source is back, ended, or too late. */
  #sourceLost(streamId: string, relay: Relay, reason: string): void {
    if (this.#closed || relay.router.closed) return;
    if (relay.router.viewerCount === 0 && this.#options.childPipes(streamId) === 0) {
      relay.router.close(`relay source closed (${reason})`);
      return;
    }
    relay.lostSince ??= Date.now();
    logger.info(`relay source lost [stream:${streamId}] [reason:${reason}]: keeping ${relay.router.viewerCount} viewers while pulling again`);
    const retryLater = (): void => {
      setTimeout(retry, REPULL_INTERVAL_MS).unref();
    };
    const retry = (): void => {
      if (this.#closed || relay.router.closed || relay.lostSince === null || relay.router.pipe) return;
      if (this.#options.streamEnded(streamId) || Date.now() - relay.lostSince > this.#options.sourceWaitMs) {
        relay.router.close(`relay source closed (${reason}) and did not come back`);
        return;
      }
      this.ensure(streamId).catch(retryLater);
    };
    retryLater();
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [streamId, relay] of this.#relays) {
      if (relay.router.viewerCount > 0 || this.#options.childPipes(streamId) > 0) {
        relay.idleSince = now;
      } else if (now - relay.idleSince >= this.#options.idleMs) {
        relay.router.close('relay idle');
      }
    }
  }
}
