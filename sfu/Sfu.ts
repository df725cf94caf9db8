/**
 * Entry point of the media plane (like a mediasoup Worker): holds the network
 * settings and the UDP port range, and one Router per live stream.
 *
 *   const sfu = new Sfu({ listenIp, announcedIp, minPort, maxPort, keyframeThrottleMs });
 *   const router = sfu.createRouter(streamId);
 *   const { transport, answerSdp } = await router.connectPublisher(offerSdp);
 */
import { InvalidStateError } from '../signaling/errors.ts';
import { createLogger } from '../signaling/logger.ts';
import { planNetwork, type NetworkPlan } from './peer-config.ts';
import { PortAllocator } from './PortAllocator.ts';
import { Router } from './Router.ts';
import { TypedEmitter } from './TypedEmitter.ts';

const logger = createLogger('sfu:Sfu');

export interface SfuOptions {
  /** Address the UDP sockets bind to; 0.0.0.0 binds all (the candidate then carries the first LAN address). */
  readonly listenIp: string;
  /** Address put in ICE candidates instead of listenIp (public or LAN IP behind NAT). */
  readonly announcedIp?: string | undefined;
  /** UDP port range for media (each transport takes two ports of it). */
  readonly minPort: number;
  readonly maxPort: number;
  /**
   * Keyframe requests relayed to a publisher at most once per this many ms. Default 200;
   * values under 330 act as 330, since libwebrtc publishers ignore faster requests. 0 relays all.
   */
  readonly keyframeThrottleMs?: number;
  /** x-google-start-bitrate told to Chromium publishers, kbps. Default 1000; 0 omits it. */
  readonly publisherStartBitrateKbps?: number;
  /** REMB sent to publishers: the ceiling for their send estimate, bits/s. Default 10 Mbps; 0 disables. */
  readonly publisherRembBps?: number;
}

export type SfuEvents = {
  newrouter: [router: Router];
  close: [];
};

export class Sfu extends TypedEmitter<SfuEvents> {
  readonly #routers = new Map<string, Router>();
  readonly #network: NetworkPlan;
  readonly #ports: PortAllocator;
  readonly #keyframeThrottleMs: number;
  readonly #publisherStartBitrateKbps: number;
  readonly #publisherRembBps: number;
  #closed = false;

  constructor(options: SfuOptions) {
    super();
    this.#network = planNetwork(options.listenIp, options.announcedIp);
    this.#ports = new PortAllocator(options.minPort, options.maxPort);
    this.#keyframeThrottleMs = options.keyframeThrottleMs ?? 200;
    this.#publisherStartBitrateKbps = options.publisherStartBitrateKbps ?? 1000;
    this.#publisherRembBps = options.publisherRembBps ?? 10_000_000;
    if (!(this.#keyframeThrottleMs >= 0)) throw new TypeError('keyframeThrottleMs must be >= 0');
    logger.info(
      `constructor() [candidate:${this.#network.candidateAddress}] [bind:${this.#network.bindAddress ?? '*'}] [ports:${options.minPort}-${options.maxPort}]`,
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The address viewers and publishers connect to (the ICE candidate). */
  get candidateAddress(): string {
    return this.#network.candidateAddress;
  }

  get routers(): Router[] {
    return [...this.#routers.values()];
  }

  /** Creates the router for one stream. Throws InvalidStateError if it exists or the SFU is closed. */
  createRouter(id: string): Router {
    if (this.#closed) throw new InvalidStateError('the SFU is closed', 'sfu_closed');
    if (this.#routers.has(id)) throw new InvalidStateError(`a router for stream "${id}" already exists; close it first`, 'router_exists');
    const router = new Router(id, {
      network: this.#network,
      ports: this.#ports,
      keyframeThrottleMs: this.#keyframeThrottleMs,
      publisherStartBitrateKbps: this.#publisherStartBitrateKbps,
      publisherRembBps: this.#publisherRembBps,
    });
    this.#routers.set(id, router);
    router.once('@close', () => {
      if (this.#routers.get(id) === router) this.#routers.delete(id);
    });
    this.safeEmit('newrouter', router);
    return router;
  }

  getRouter(id: string): Router | undefined {
    return this.#routers.get(id);
  }

  /** Closes every router (and so every transport); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    logger.info(`close() [routers:${this.#routers.size}]`);
    for (const router of [...this.#routers.values()]) router.sfuClosed('sfu closed');
    this.#routers.clear();
    this.safeEmit('close');
  }
}
