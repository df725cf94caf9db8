/**
 * One live stream: at most one publisher transport (its audio/video Producers)
 * and any number of viewer transports (their Consumers). Like a mediasoup
 * Router, it wires producers to consumers and cascades close() downward.
 * If the publisher leaves, viewers stay connected and resume when a new
 * publisher connects with a compatible codec (the app may also close the router).
 */
import { InvalidStateError } from '../signaling/errors.ts';
import { createLogger } from '../signaling/logger.ts';
import type { LayerPreference } from './layer-choice.ts';
import { buildPeerConfig, type NetworkPlan, type Role } from './peer-config.ts';
import type { PortAllocator } from './PortAllocator.ts';
import type { MediaKind, Producer } from './Producer.ts';
import { createProducers, planPublisher } from './publisher-setup.ts';
import { parseOffer, type OfferCodec } from './sdp-offer.ts';
import { rewriteOffer } from './sdp-rewrite.ts';
import { TypedEmitter } from './TypedEmitter.ts';
import { attachConsumers, planViewer } from './viewer-setup.ts';
import { WebRtcTransport } from './WebRtcTransport.ts';

const logger = createLogger('sfu:Router');

export type RouterEvents = {
  /** The publisher's transport closed (the stream has no media until a new publisher connects). */
  publisherclose: [reason: string];
  /** Number of open viewer transports changed. */
  viewercount: [count: number];
  /** A publisher track is available (for the HLS bridge and inter-node pipes). */
  newproducer: [producer: Producer];
  close: [reason: string];
  '@close': [];
};

export interface ConnectResult {
  readonly transport: WebRtcTransport;
  /** SDP answer with the server's ICE candidate (no trickle needed). */
  readonly answerSdp: string;
}

export interface ConnectViewerOptions {
  readonly layer?: LayerPreference;
}

/**
 * What a router needs from an inter-node pipe that feeds it instead of a
 * publisher (sfu/pipe/PipeReceiver): an edge relaying another node's stream.
 */
export interface RouterPipeSource {
  readonly id: string;
  readonly closed: boolean;
  close(reason: string): void;
  once(event: 'close', listener: (reason: string) => void): unknown;
}

/** @internal Settings the Sfu hands to each router. */
export interface RouterSettings {
  readonly network: NetworkPlan;
  readonly ports: PortAllocator;
  readonly keyframeThrottleMs: number;
  readonly publisherStartBitrateKbps: number;
  readonly publisherRembBps: number;
}

export class Router extends TypedEmitter<RouterEvents> {
  readonly id: string;
  readonly #settings: RouterSettings;
  readonly #msid: string;
  readonly #log;
  #publisher: WebRtcTransport | undefined;
  #publisherPending = false;
  /** Set instead of #publisher when another node's stream arrives over a pipe. */
  #pipe: RouterPipeSource | undefined;
  /** What fed the router last: a router waiting for a returning publisher is still that stream's origin. */
  #lastSource: 'publisher' | 'pipe' | undefined;
  readonly #producers = new Map<MediaKind, Producer>();
  readonly #viewers = new Set<WebRtcTransport>();
  readonly #pending = new Set<WebRtcTransport>();
  #closed = false;

  /** @internal Use sfu.createRouter(). */
  constructor(id: string, settings: RouterSettings) {
    super();
    this.id = id;
    this.#settings = settings;
    // msid tokens are restricted (RFC 8830); the stream id may hold anything.
    this.#msid = `stream-${id.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 48)}`;
    this.#log = logger.child(`stream:${id}`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get publisher(): WebRtcTransport | undefined {
    return this.#publisher;
  }

  /** The inter-node pipe feeding this router, when it relays another node's stream. */
  get pipe(): RouterPipeSource | undefined {
    return this.#pipe;
  }

  /** What fed this router last ('publisher' on the origin node, 'pipe' on a relay), even while it waits for the source to come back. */
  get lastSource(): 'publisher' | 'pipe' | undefined {
    return this.#lastSource;
  }

  /**
   * Whether the video track delivered packets in its last measuring window (about a second).
   * Only video producers measure windows; an audio-only stream always counts as receiving.
   */
  get receivingMedia(): boolean {
    const video = this.#producers.get('video');
    return video ? video.layers.some((l) => l.active) : this.#producers.size > 0;
  }

  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** Open viewer transports. */
  get viewers(): WebRtcTransport[] {
    return [...this.#viewers];
  }

  /** The publisher's open tracks. */
  get producers(): Producer[] {
    return [...this.#producers.values()];
  }

  /**
   * Accepts the stream's publisher. Throws BadRequestError for a malformed offer
   * or one without a usable codec, InvalidStateError when a publisher is
   * already connected (or connecting) or the router is closed.
   */
  async connectPublisher(offerSdp: string): Promise<ConnectResult> {
    this.#assertOpen();
    if (this.#publisher || this.#publisherPending || this.#pipe) {
      throw new InvalidStateError(`stream "${this.id}" already has a publisher; stop that one first`, 'already_publishing');
    }
    const plan = planPublisher(parseOffer(offerSdp), { startBitrateKbps: this.#settings.publisherStartBitrateKbps });
    this.#publisherPending = true;
    let transport: WebRtcTransport | undefined;
    try {
      transport = this.#createTransport('publisher', plan.audio?.codec, plan.video?.codec, 'auto');
      const answerSdp = await transport.answer(rewriteOffer(offerSdp, plan.rewrites), 'recvonly', this.#msid);
      this.#assertOpen();
      const producers = createProducers(transport, plan, {
        streamId: this.id,
        keyframeThrottleMs: this.#settings.keyframeThrottleMs,
        rembBps: this.#settings.publisherRembBps,
      });
      this.#adoptPublisher(transport, producers);
      this.#log.info(`connectPublisher() [transport:${transport.id}] [tracks:${producers.map((p) => `${p.kind}:${p.codec.mimeType}${p.simulcast ? `x${p.rids.length}` : ''}`).join(',')}]`);
      return { transport, answerSdp };
    } catch (err) {
      transport?.close('negotiation failed');
      throw err;
    } finally {
      this.#publisherPending = false;
    }
  }

  /**
   * Adds a viewer. Throws BadRequestError for a malformed offer or one that
   * cannot receive the stream's codec, InvalidStateError when the stream has no
   * publisher yet or the router is closed.
   */
  async connectViewer(offerSdp: string, options: ConnectViewerOptions = {}): Promise<ConnectResult> {
    this.#assertOpen();
    this.#assertLive();
    const plan = planViewer(parseOffer(offerSdp), this.#producers);
    const transport = this.#createTransport('viewer', plan.audio?.codec, plan.video?.codec, options.layer ?? 'auto');
    this.#pending.add(transport);
    try {
      const answerSdp = await transport.answer(rewriteOffer(offerSdp, plan.rewrites), 'sendonly', this.#msid);
      this.#assertOpen();
      this.#assertLive();
      attachConsumers(transport, this.#producers, this.id);
      this.#pending.delete(transport);
      this.#viewers.add(transport);
      transport.once('close', () => {
        if (this.#viewers.delete(transport) && !this.#closed) this.safeEmit('viewercount', this.#viewers.size);
      });
      this.#log.debug(`connectViewer() [transport:${transport.id}] [layer:${options.layer ?? 'auto'}] [viewers:${this.#viewers.size}]`);
      this.safeEmit('viewercount', this.#viewers.size);
      return { transport, answerSdp };
    } catch (err) {
      this.#pending.delete(transport);
      transport.close('negotiation failed');
      throw err;
    }
  }

  /**
   * Takes producers fed by an inter-node pipe as this stream's source, so the
   * router forwards them to its viewers as if a publisher were connected here.
   * Throws InvalidStateError when the router is closed or already has a source.
   */
  adoptPipe(pipe: RouterPipeSource, producers: readonly Producer[]): void {
    this.#assertOpen();
    if (this.#publisher || this.#publisherPending || this.#pipe) {
      throw new InvalidStateError(`stream "${this.id}" already has a source; close it before piping another in`, 'already_publishing');
    }
    if (pipe.closed) throw new InvalidStateError('the pipe closed before the router could adopt it', 'pipe_closed');
    this.#pipe = pipe;
    this.#lastSource = 'pipe';
    pipe.once('close', (reason) => {
      if (this.#pipe !== pipe) return;
      this.#pipe = undefined;
      this.#producers.clear();
      if (!this.#closed) this.safeEmit('publisherclose', reason);
    });
    this.#adoptProducers(producers);
    this.#log.info(`adoptPipe() [pipe:${pipe.id}] [tracks:${producers.map((p) => `${p.kind}:${p.codec.mimeType}`).join(',')}]`);
  }

  /** Closes the publisher and every viewer transport; idempotent. */
  close(reason = 'router closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log.info(`close() [reason:${reason}] [viewers:${this.#viewers.size}]`);
    const transports = [...(this.#publisher ? [this.#publisher] : []), ...this.#viewers, ...this.#pending];
    this.#viewers.clear();
    this.#pending.clear();
    for (const transport of transports) transport.routerClosed(reason);
    const pipe = this.#pipe;
    this.#pipe = undefined;
    pipe?.close(reason);
    this.#producers.clear();
    this.#publisher = undefined;
    this.safeEmit('close', reason);
    this.safeEmit('@close');
  }

  /** @internal Called by the Sfu when it closes. */
  sfuClosed(reason: string): void {
    this.close(reason);
  }

  #adoptPublisher(transport: WebRtcTransport, producers: Producer[]): void {
    this.#publisher = transport;
    this.#lastSource = 'publisher';
    transport.once('close', (reason) => {
      if (this.#publisher !== transport) return;
      this.#publisher = undefined;
      this.#producers.clear();
      if (!this.#closed) this.safeEmit('publisherclose', reason);
    });
    this.#adoptProducers(producers);
  }

  /** Shared by a publisher and a pipe: index the tracks, resume waiting viewers, announce. */
  #adoptProducers(producers: readonly Producer[]): void {
    for (const producer of producers) {
      this.#producers.set(producer.kind, producer);
      producer.once('@close', () => {
        if (this.#producers.get(producer.kind) === producer) this.#producers.delete(producer.kind);
      });
    }
    // A returning publisher: viewers that stayed connected resume on their existing senders.
    for (const viewer of this.#viewers) {
      const unserved = attachConsumers(viewer, this.#producers, this.id);
      if (unserved.length > 0) {
        this.#log.warn(`viewer cannot receive the new publisher's ${unserved.join('+')} codec [transport:${viewer.id}]; it must reconnect`);
      }
    }
    for (const producer of producers) this.safeEmit('newproducer', producer);
  }

  #createTransport(role: Role, audio: OfferCodec | undefined, video: OfferCodec | undefined, layer: LayerPreference): WebRtcTransport {
    const { ports, network } = this.#settings;
    const portRange = ports.acquire();
    return new WebRtcTransport({
      role,
      streamId: this.id,
      peerConfig: buildPeerConfig({ role, network, portRange, audio, video }),
      layerPreference: layer,
      onRelease: () => ports.release(portRange),
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError(`stream "${this.id}" has ended (its router is closed)`, 'stream_ended');
  }

  #assertLive(): void {
    if ((!this.#publisher && !this.#pipe) || this.#producers.size === 0) {
      throw new InvalidStateError(`stream "${this.id}" has no publisher yet; retry when it is live`, 'not_live');
    }
  }
}
