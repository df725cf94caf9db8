/**
 * Hands each WebRtcTransport its own slice of the UDP range. werift probes a
 * port by binding and closing it, then binds it again later; two transports
 * probing the same range at once can pick the same port and the second bind
 * fails outside any handler. Disjoint two-port slices avoid that, and a rotating
 * cursor spreads reuse so a just-closed port is not handed out at once.
 */
import { ServiceUnavailableError } from '../signaling/errors.ts';

/** Ports per slice: werift rejects a range whose min equals its max. */
const SLICE = 2;

export class PortAllocator {
  readonly #minPort: number;
  readonly #slices: number;
  readonly #inUse = new Set<number>();
  #cursor: number;

  constructor(minPort: number, maxPort: number) {
    if (!Number.isInteger(minPort) || !Number.isInteger(maxPort) || minPort < 1 || maxPort > 65535 || maxPort - minPort + 1 < SLICE) {
      throw new TypeError(`UDP port range ${minPort}-${maxPort} is invalid: it needs at least ${SLICE} ports within 1-65535`);
    }
    this.#minPort = minPort;
    this.#slices = Math.floor((maxPort - minPort + 1) / SLICE);
    // A random start keeps several server processes sharing one range (tests, a cluster on one box)
    // from all probing the same first ports.
    this.#cursor = Math.floor(Math.random() * this.#slices);
  }

  /** How many transports can hold a slice at once. */
  get capacity(): number {
    return this.#slices;
  }

  get used(): number {
    return this.#inUse.size;
  }

  /** Reserves a slice; returns [min, max] for werift's icePortRange. */
  acquire(): [number, number] {
    if (this.#inUse.size >= this.#slices) {
      throw new ServiceUnavailableError(
        `all ${this.#slices} UDP port slices are in use; widen RTC_MIN_PORT..RTC_MAX_PORT or close sessions`,
      );
    }
    while (this.#inUse.has(this.#cursor)) this.#cursor = (this.#cursor + 1) % this.#slices;
    const slice = this.#cursor;
    this.#inUse.add(slice);
    this.#cursor = (this.#cursor + 1) % this.#slices;
    const min = this.#minPort + slice * SLICE;
    return [min, min + SLICE - 1];
  }

  release(range: readonly [number, number]): void {
    this.#inUse.delete((range[0] - this.#minPort) / SLICE);
  }
}
