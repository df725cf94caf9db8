/**
 * RTP/RTCP over plain UDP between two SFU processes (like mediasoup's
 * PipeTransport without SRTP): one socket per pipe, pinned to one remote
 * tuple learned from the authenticated control request, never from packets.
 * Datagrams from any other address or port are dropped and counted, so a
 * stranger who finds the port cannot inject media. Both ends send a small
 * RTCP keepalive every second; a pipe that hears nothing for `timeoutMs`
 * closes itself, and close() sends an RTCP BYE so the far end stops at once.
 *
 * Plain RTP is a deliberate choice: pipes run on the operator's private
 * network (a VPC, a WireGuard mesh, a compose network), where SRTP would add
 * ~2 µs per packet and a key exchange without buying anything the network
 * does not already give. See signaling/cluster/README.md (pipe security).
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { RtcpPacketConverter, RtpPacket, isRtcp, type RtcpPacket } from 'werift';
import { InvalidStateError, ServiceUnavailableError } from '../../signaling/errors.ts';
import { createLogger } from '../../signaling/logger.ts';
import { TypedEmitter } from '../TypedEmitter.ts';

const logger = createLogger('sfu:PipeTransport');

export interface PipeTuple {
  readonly ip: string;
  readonly port: number;
}

export interface PipeTransportOptions {
  /** Address to bind; undefined or 0.0.0.0 binds every interface. */
  readonly listenIp: string | undefined;
  /** Address the other node sends to (this node's private-network address). */
  readonly announcedIp: string;
  /** Ports to bind from, tried at random; undefined takes an ephemeral port. */
  readonly portRange?: readonly [number, number] | undefined;
  /** Label for logs (the stream id). */
  readonly label: string;
  /** Keepalive period (ms). */
  readonly keepaliveMs?: number;
  /** Silence after which the pipe closes itself (ms). */
  readonly timeoutMs?: number;
}

export interface PipeTransportStats {
  readonly rtpIn: number;
  readonly rtpOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly rtcpIn: number;
  readonly rtcpOut: number;
  /** Datagrams dropped because they came from another address than the pinned peer. */
  readonly droppedUnknownPeer: number;
  /** Datagrams that were neither RTP nor RTCP. */
  readonly droppedMalformed: number;
}

export type PipeTransportEvents = {
  rtp: [packet: RtpPacket];
  rtcp: [packets: RtcpPacket[]];
  close: [reason: string];
  '@close': [];
};

const RTCP_RR = 201;
const RTCP_BYE = 203;
const BIND_ATTEMPTS = 20;
/** Unknown-peer drops are logged at most this often, so a flood cannot flood the log too. */
const DROP_LOG_INTERVAL_MS = 10_000;

type MutableStats = { -readonly [K in keyof PipeTransportStats]: PipeTransportStats[K] };

export class PipeTransport extends TypedEmitter<PipeTransportEvents> {
  readonly id = randomBytes(8).toString('hex');
  /** SSRC of this end's keepalives and BYE. */
  readonly ssrc = randomBytes(4).readUInt32BE(0);
  readonly #socket: Socket;
  readonly #announcedIp: string;
  readonly #keepaliveMs: number;
  readonly #timeoutMs: number;
  readonly #log;
  readonly #stats: MutableStats = {
    rtpIn: 0,
    rtpOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    rtcpIn: 0,
    rtcpOut: 0,
    droppedUnknownPeer: 0,
    droppedMalformed: 0,
  };
  #remote: PipeTuple | undefined;
  /** False until the peer is heard from, when connect() was asked to wait for it. */
  #established = false;
  #lastHeardMs = 0;
  #lastDropLogMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(socket: Socket, options: PipeTransportOptions) {
    super();
    this.#socket = socket;
    this.#announcedIp = options.announcedIp;
    this.#keepaliveMs = options.keepaliveMs ?? 1000;
    // Three missed keepalives: a dead upstream frees its relays (and their viewers re-place) within ~3 s.
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#log = logger.child(`stream:${options.label}`).child(`pipe:${this.id.slice(0, 8)}`);
    socket.on('message', (data, rinfo) => this.#onMessage(data, rinfo));
    // Sends to a peer that just died fail with ECONNREFUSED on loopback; the timeout handles the peer's death.
    socket.on('error', (err) => this.#log.debug(`socket error: ${err.message}`));
  }

  /** Binds a UDP socket (from portRange when given). Throws ServiceUnavailableError when no port is free. */
  static async create(options: PipeTransportOptions): Promise<PipeTransport> {
    const bindIp = options.listenIp === '0.0.0.0' || options.listenIp === '' ? undefined : options.listenIp;
    const range = options.portRange;
    for (let attempt = 0; attempt < (range ? BIND_ATTEMPTS : 1); attempt++) {
      const port = range ? range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1)) : 0;
      const socket = createSocket({ type: 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind({ port, address: bindIp, exclusive: true }, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        return new PipeTransport(socket, options);
      } catch (err) {
        socket.close();
        if (!range) throw err;
      }
    }
    throw new ServiceUnavailableError(`no free UDP port for a pipe in ${range?.[0]}-${range?.[1]}; widen the pipe port range`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Where the other node must send: this node's announced address and the bound port. */
  get localTuple(): PipeTuple {
    return { ip: this.#announcedIp, port: this.#socket.address().port };
  }

  get remoteTuple(): PipeTuple | undefined {
    return this.#remote;
  }

  get stats(): PipeTransportStats {
    return { ...this.#stats };
  }

  /**
   * Pins the peer. Until then every datagram is dropped. Can be called once.
   * With waitForPeer (the end that answers the control request) nothing is
   * sent until the peer's first datagram arrives, so the first packets do not
   * reach a socket that has not pinned this end yet.
   */
  connect(remote: PipeTuple, options: { waitForPeer?: boolean } = {}): void {
    if (this.#closed) throw new InvalidStateError('the pipe is closed', 'pipe_closed');
    if (this.#remote) throw new InvalidStateError('the pipe is already connected', 'pipe_connected');
    this.#remote = { ip: remote.ip, port: remote.port };
    this.#established = !options.waitForPeer;
    this.#lastHeardMs = Date.now();
    this.#log.debug(`connect() [local:${this.localTuple.ip}:${this.localTuple.port}] [remote:${remote.ip}:${remote.port}]`);
    this.#sendKeepalive();
    this.#timer = setInterval(() => this.#onTimer(), this.#keepaliveMs);
    this.#timer.unref();
  }

  /** Sends one serialized RTP packet to the peer (dropped when not connected). */
  sendRtp(packet: Buffer): void {
    if (!this.#send(packet)) return;
    this.#stats.rtpOut++;
    this.#stats.bytesOut += packet.length;
  }

  sendRtcp(packets: readonly { serialize(): Buffer }[]): void {
    if (packets.length === 0) return;
    const data = packets.length === 1 ? packets[0]!.serialize() : Buffer.concat(packets.map((p) => p.serialize()));
    if (this.#send(data)) this.#stats.rtcpOut++;
  }

  /** Closes the socket after telling the peer (RTCP BYE); idempotent. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    if (this.#remote) this.#send(rtcpHeaderOnly(RTCP_BYE, this.ssrc, 1));
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#log.debug(`close() [reason:${reason}] [in:${this.#stats.rtpIn}] [out:${this.#stats.rtpOut}] [dropped:${this.#stats.droppedUnknownPeer}]`);
    // Let the BYE leave before the socket goes.
    setImmediate(() => this.#socket.close());
    this.safeEmit('close', reason);
    this.safeEmit('@close');
  }

  #send(data: Buffer): boolean {
    const remote = this.#remote;
    if (this.#closed || !remote || !this.#established) return false;
    this.#socket.send(data, remote.port, remote.ip);
    return true;
  }

  #onMessage(data: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    const remote = this.#remote;
    if (!remote || rinfo.port !== remote.port || rinfo.address !== remote.ip) {
      this.#stats.droppedUnknownPeer++;
      const now = Date.now();
      if (now - this.#lastDropLogMs >= DROP_LOG_INTERVAL_MS) {
        this.#lastDropLogMs = now;
        this.#log.warn(`dropping datagrams from an unknown peer [from:${rinfo.address}:${rinfo.port}] [dropped:${this.#stats.droppedUnknownPeer}]`);
      }
      return;
    }
    if (data.length < 8 || data[0]! >> 6 !== 2) {
      this.#stats.droppedMalformed++;
      return;
    }
    this.#lastHeardMs = Date.now();
    this.#established = true;
    if (isRtcp(data)) {
      this.#onRtcp(data);
      return;
    }
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(data);
    } catch {
      this.#stats.droppedMalformed++;
      return;
    }
    this.#stats.rtpIn++;
    this.#stats.bytesIn += data.length;
    this.safeEmit('rtp', packet);
  }

  #onRtcp(data: Buffer): void {
    this.#stats.rtcpIn++;
    // werift's converter skips BYE, so look for it first (it may sit anywhere in a compound packet).
    for (let pos = 0; pos + 4 <= data.length; pos += (data.readUInt16BE(pos + 2) + 1) * 4) {
      if (data[pos + 1] === RTCP_BYE) {
        this.close('peer closed the pipe');
        return;
      }
    }
    let packets: RtcpPacket[];
    try {
      packets = RtcpPacketConverter.deSerialize(data);
    } catch {
      this.#stats.droppedMalformed++;
      return;
    }
    if (packets.length > 0) this.safeEmit('rtcp', packets);
  }

  #onTimer(): void {
    if (this.#closed) return;
    if (Date.now() - this.#lastHeardMs > this.#timeoutMs) {
      this.#log.info(`peer silent for ${this.#timeoutMs} ms, closing`);
      this.close('peer timeout');
      return;
    }
    this.#sendKeepalive();
  }

  #sendKeepalive(): void {
    // An empty receiver report: valid RTCP that every parser skips harmlessly.
    if (this.#send(rtcpHeaderOnly(RTCP_RR, this.ssrc, 0))) this.#stats.rtcpOut++;
  }
}

/** An 8-byte RTCP packet: header plus sender SSRC (an empty RR, or a BYE with one source). */
function rtcpHeaderOnly(type: number, ssrc: number, count: number): Buffer {
  const buf = Buffer.alloc(8);
  buf[0] = 0x80 | count;
  buf[1] = type;
  buf.writeUInt16BE(1, 2);
  buf.writeUInt32BE(ssrc, 4);
  return buf;
}
