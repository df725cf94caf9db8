/**
 * Where a consumer's RTP leaves the SFU: SRTP-protected with the viewer
 * connection's keys (SrtpProtector) and written straight to the UDP socket of
 * the ICE-selected candidate pair.
 *
 * werift's own path (RTCDtlsTransport.sendRtp → SrtpSession → IceConnection →
 * StunProtocol → UdpTransport) costs a header object serialisation, three
 * promise-returning calls and an address check per packet per viewer; this one
 * costs one buffer, one SRTP protection and one `socket.send`. It reads
 * werift 0.25 internals (listed in WeriftDtls below), checked again whenever
 * the keys or the selected pair change. A pair that is not plain UDP with an
 * IP address (TCP, TURN, an unresolved name) goes through werift's path.
 * RTCP is untouched: werift's SRTCP context sends it.
 */
import { isIP } from 'node:net';
import type { RTCDtlsTransport } from 'werift';
import { createLogger } from '../signaling/logger.ts';
import { SrtpProtector, SRTP_AEAD_AES_128_GCM } from './SrtpProtector.ts';

const logger = createLogger('sfu:RtpEgress');

/** The parts of a werift RTCDtlsTransport this class reads (werift 0.25.2). */
export interface WeriftDtls {
  readonly state: string;
  /** Undefined until DTLS completes; replaced when keys are renegotiated. */
  readonly srtp?: {
    readonly config: { readonly profile: number; readonly keys: { readonly localMasterKey: Buffer; readonly localMasterSalt: Buffer } };
  };
  readonly iceTransport: { readonly connection: WeriftIceConnection };
  bytesSent?: number;
  packetsSent?: number;
}

interface WeriftIceConnection {
  readonly nominated?: WeriftCandidatePair;
  canSendApplicationData(): boolean;
  send(data: Buffer): Promise<void>;
}

interface WeriftCandidatePair {
  readonly protocol: { readonly type: string; readonly transport?: { readonly socket?: DatagramSocket; readonly closed?: boolean } };
  readonly remoteCandidate: { readonly host: string; readonly port: number };
}

interface DatagramSocket {
  send(msg: Buffer, port: number, address: string): void;
}

/** A direct route: socket and remote address of one selected pair. */
interface Route {
  readonly pair: WeriftCandidatePair;
  /** Set when the pair is plain UDP to an IP address. */
  readonly transport: { readonly socket?: DatagramSocket; readonly closed?: boolean } | undefined;
  readonly host: string;
  readonly port: number;
}

export class RtpEgress {
  readonly #dtls: WeriftDtls;
  readonly #connection: WeriftIceConnection;
  #srtpSession: WeriftDtls['srtp'];
  #protector: SrtpProtector | undefined;
  #route: Route | undefined;

  constructor(dtls: RTCDtlsTransport | WeriftDtls) {
    this.#dtls = dtls as unknown as WeriftDtls;
    this.#connection = this.#dtls.iceTransport.connection;
  }

  /**
   * Protects and sends one RTP packet: `header` holds the serialized RTP header
   * in its first `headerLength` bytes. Returns false (packet dropped) when the
   * connection cannot send yet or any more (no DTLS keys, no ICE consent).
   */
  send(header: Buffer, headerLength: number, payload: Buffer): boolean {
    const dtls = this.#dtls;
    if (dtls.state !== 'connected') return false;
    const protector = dtls.srtp === this.#srtpSession ? this.#protector : this.#rekey();
    const connection = this.#connection;
    if (!protector || !connection.canSendApplicationData()) return false;
    const out = Buffer.allocUnsafe(headerLength + payload.length + protector.tagLength);
    header.copy(out, 0, 0, headerLength);
    protector.protectInto(out, headerLength, payload);
    dtls.bytesSent = (dtls.bytesSent ?? 0) + out.length;
    dtls.packetsSent = (dtls.packetsSent ?? 0) + 1;
    const pair = connection.nominated!;
    const route = pair === this.#route?.pair ? this.#route : this.#routeFor(pair);
    const transport = route.transport;
    if (!transport) connection.send(out).catch(() => {});
    else if (!transport.closed) transport.socket!.send(out, route.port, route.host);
    return true;
  }

  #rekey(): SrtpProtector | undefined {
    const session = this.#dtls.srtp;
    this.#srtpSession = session;
    this.#protector = undefined;
    if (!session) return undefined;
    const { profile, keys } = session.config;
    try {
      this.#protector = new SrtpProtector(profile, keys.localMasterKey, keys.localMasterSalt);
      logger.debug(`keys set [profile:${profile === SRTP_AEAD_AES_128_GCM ? 'AEAD_AES_128_GCM' : 'AES_CM_128_HMAC_SHA1_80'}]`);
    } catch (err) {
      // Only if werift negotiated a profile added after 0.25: this viewer gets no media until SrtpProtector supports it.
      logger.error(`cannot protect RTP for this viewer: ${(err as Error).message}`);
    }
    return this.#protector;
  }

  #routeFor(pair: WeriftCandidatePair): Route {
    const { host, port } = pair.remoteCandidate;
    const udp = pair.protocol.type === 'stun' ? pair.protocol.transport : undefined;
    // Only plain UDP to an IP literal is sent directly; werift resolves names and handles TCP/TURN framing.
    const transport = udp?.socket && isIP(host) !== 0 ? udp : undefined;
    this.#route = { pair, transport, host, port };
    return this.#route;
  }
}
