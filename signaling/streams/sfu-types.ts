/**
 * Names for the SFU objects signaling holds, derived from the `Sfu` entry point
 * so signaling depends only on the contract in ARCHITECTURE.md, not on sfu/ file layout.
 */
import type { Sfu } from '../../sfu/Sfu.ts';
import type { IceCandidateInit, LayerPreference, WebRtcTransportEvents } from '../../sfu/types.ts';

export type SfuRouter = ReturnType<Sfu['createRouter']>;

type TransportListener<K extends keyof WebRtcTransportEvents> = (...args: WebRtcTransportEvents[K]) => void;

/**
 * What a session uses of a peer connection: a WebRtcTransport here, or a
 * cluster proxy for one held by another node (signaling/cluster/RemoteTransport).
 */
export interface SfuTransport {
  readonly closed: boolean;
  on<K extends keyof WebRtcTransportEvents & string>(event: K, listener: TransportListener<K>): unknown;
  once<K extends keyof WebRtcTransportEvents & string>(event: K, listener: TransportListener<K>): unknown;
  off<K extends keyof WebRtcTransportEvents & string>(event: K, listener: TransportListener<K>): unknown;
  close(reason?: string): void;
  setLayerPreference(layer: LayerPreference): void;
  addIceCandidate(candidate: IceCandidateInit): Promise<void>;
}
