/**
 * Relays one generation's RTP to ffmpeg on loopback UDP. Packets that arrive while
 * ffmpeg is still opening its input are held (in order) and flushed the moment its
 * sockets are bound, so the keyframe that started the generation is not lost.
 * The hold is bounded: a stalled start drops the oldest packets rather than growing.
 */
import dgram from 'node:dgram';
import type { MediaKind } from '../types.ts';

export interface RtpForwarderOptions {
  readonly ports: Partial<Record<MediaKind, number>>;
  readonly host?: string;
  /** Packets held before live; about 10 s of 2.5 Mbit/s video. */
  readonly maxHeldPackets?: number;
}

export class RtpForwarder {
  readonly #socket: dgram.Socket;
  readonly #ports: Partial<Record<MediaKind, number>>;
  readonly #host: string;
  readonly #maxHeld: number;
  #held: { kind: MediaKind; packet: Buffer }[] = [];
  #live = false;
  #closed = false;
  #sent = 0;
  #dropped = 0;

  constructor(options: RtpForwarderOptions) {
    this.#ports = options.ports;
    this.#host = options.host ?? '127.0.0.1';
    this.#maxHeld = options.maxHeldPackets ?? 3000;
    this.#socket = dgram.createSocket('udp4');
    // A send to a port nobody listens on reports ECONNREFUSED asynchronously; it is not fatal here.
    this.#socket.on('error', () => {});
    this.#socket.unref();
  }

  get stats(): { sent: number; dropped: number; held: number } {
    return { sent: this.#sent, dropped: this.#dropped, held: this.#held.length };
  }

  push(kind: MediaKind, packet: Buffer): void {
    if (this.#closed) return;
    if (!this.#live) {
      if (this.#held.length >= this.#maxHeld) {
        this.#held.shift();
        this.#dropped++;
      }
      this.#held.push({ kind, packet });
      return;
    }
    this.#send(kind, packet);
  }

  /** ffmpeg is listening: flush what was held and forward from now on. */
  goLive(): void {
    if (this.#closed || this.#live) return;
    this.#live = true;
    const held = this.#held;
    this.#held = [];
    for (const { kind, packet } of held) this.#send(kind, packet);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#socket.close();
  }

  #send(kind: MediaKind, packet: Buffer): void {
    const port = this.#ports[kind];
    if (port === undefined) return;
    this.#sent++;
    this.#socket.send(packet, port, this.#host);
  }
}
