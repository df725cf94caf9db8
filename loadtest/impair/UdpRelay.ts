/**
 * A UDP forwarder in the media path that impairs it: loss, delay, jitter and outages, per
 * direction, changeable at runtime (this kernel's tc has no netem). Clients send to the relay's
 * port; each client address gets its own upstream socket towards the target (the SFU), so the SFU
 * sees every client as a distinct peer. ICE works through it: the SFU learns the upstream socket
 * as a peer-reflexive candidate, and the client checks the relay port it was given in place of
 * the SFU's candidate (see relayAnswers()).
 * 'up' = client → target (a publisher's media), 'down' = target → client.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface Impairment {
  /** Share of datagrams dropped, 0–100. */
  readonly lossPercent: number;
  /** Added one-way delay, ms. */
  readonly delayMs: number;
  /** Uniform extra delay in [-jitterMs, +jitterMs] (never below 0 in total); reorders like netem does. */
  readonly jitterMs: number;
  /** Drop everything (a tunnel, a lift). */
  readonly outage: boolean;
}

export type RelayDirection = 'up' | 'down' | 'both';

export interface UdpRelayOptions {
  readonly target: { readonly address: string; readonly port: number };
  /** Where clients send; default 127.0.0.1, a random port. */
  readonly listenAddress?: string;
  readonly listenPort?: number;
  readonly up?: Partial<Impairment>;
  readonly down?: Partial<Impairment>;
}

export interface RelayCounters {
  forwarded: number;
  dropped: number;
}

const NONE: Impairment = Object.freeze({ lossPercent: 0, delayMs: 0, jitterMs: 0, outage: false });

interface Client {
  readonly address: string;
  readonly port: number;
  readonly upstream: Socket;
}

export class UdpRelay {
  readonly target: { readonly address: string; readonly port: number };
  readonly #socket: Socket;
  readonly #clients = new Map<string, Client>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #up: Impairment;
  #down: Impairment;
  readonly counters: { readonly up: RelayCounters; readonly down: RelayCounters } = {
    up: { forwarded: 0, dropped: 0 },
    down: { forwarded: 0, dropped: 0 },
  };
  #closed = false;

  private constructor(socket: Socket, options: UdpRelayOptions) {
    this.#socket = socket;
    this.target = options.target;
    this.#up = { ...NONE, ...options.up };
    this.#down = { ...NONE, ...options.down };
    socket.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo.address, rinfo.port));
  }

  static async start(options: UdpRelayOptions): Promise<UdpRelay> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.listenPort ?? 0, options.listenAddress ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpRelay(socket, options);
  }

  /** Where clients send (put this in place of the target's ICE candidate). */
  get address(): string {
    return this.#socket.address().address;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Current settings of one direction. */
  impairment(direction: 'up' | 'down'): Impairment {
    return direction === 'up' ? this.#up : this.#down;
  }

  /** Changes some settings of one or both directions; unspecified ones keep their value. Applies to the next datagram. */
  set(direction: RelayDirection, change: Partial<Impairment>): void {
    if (change.lossPercent !== undefined && !(change.lossPercent >= 0 && change.lossPercent <= 100)) {
      throw new RangeError(`lossPercent must be within 0–100 (got ${change.lossPercent})`);
    }
    if (direction !== 'down') this.#up = { ...this.#up, ...change };
    if (direction !== 'up') this.#down = { ...this.#down, ...change };
  }

  /** Closes every socket and drops datagrams still delayed. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#socket.close();
    for (const client of this.#clients.values()) client.upstream.close();
    this.#clients.clear();
  }

  #fromClient(msg: Buffer, address: string, port: number): void {
    if (this.#closed) return;
    const key = `${address}:${port}`;
    let client = this.#clients.get(key);
    if (!client) {
      const upstream = createSocket('udp4');
      upstream.on('message', (reply) => this.#forward('down', reply, (m) => this.#socket.send(m, port, address)));
      upstream.on('error', () => undefined);
      upstream.bind(0, this.target.address === '127.0.0.1' ? '127.0.0.1' : undefined);
      client = { address, port, upstream };
      this.#clients.set(key, client);
    }
    const upstream = client.upstream;
    this.#forward('up', msg, (m) => upstream.send(m, this.target.port, this.target.address));
  }

  #forward(direction: 'up' | 'down', msg: Buffer, send: (m: Buffer) => void): void {
    if (this.#closed) return;
    const imp = direction === 'up' ? this.#up : this.#down;
    const counters = this.counters[direction];
    if (imp.outage || (imp.lossPercent > 0 && Math.random() * 100 < imp.lossPercent)) {
      counters.dropped++;
      return;
    }
    counters.forwarded++;
    const wait = imp.delayMs + (imp.jitterMs > 0 ? (Math.random() * 2 - 1) * imp.jitterMs : 0);
    if (wait <= 0) {
      safeSend(send, msg);
      return;
    }
    // dgram hands each datagram its own buffer, so holding it is safe.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) safeSend(send, msg);
    }, wait);
    this.#timers.add(timer);
  }
}

function safeSend(send: (m: Buffer) => void, msg: Buffer): void {
  try {
    send(msg);
  } catch {
    // socket closed meanwhile
  }
}
