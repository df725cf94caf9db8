/**
 * A viewer's peer connection held by another node, as this (entry) node's
 * SessionManager sees it: it has the WebRtcTransport events and methods a
 * MediaSession uses, forwarded over the cluster API (layer, candidates,
 * close) and fed by the node link (state, layer, close). So WHEP DELETE,
 * /ws stop and socket close work the same for local and remote viewers.
 */
import type { LayerPreference } from '../../sfu/layer-choice.ts';
import { TypedEmitter } from '../../sfu/TypedEmitter.ts';
import type { ConnectionState, IceCandidateInit, WebRtcTransportEvents } from '../../sfu/WebRtcTransport.ts';
import { InvalidStateError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { ClusterClient } from './ClusterClient.ts';
import type { LinkEvent } from './link-events.ts';

const logger = createLogger('signaling:cluster:RemoteTransport');

export interface RemoteTransportOptions {
  readonly id: string;
  readonly streamId: string;
  readonly nodeId: string;
  readonly nodeUrl: string;
  readonly client: ClusterClient;
}

export class RemoteTransport extends TypedEmitter<WebRtcTransportEvents> {
  readonly id: string;
  readonly role = 'viewer';
  readonly streamId: string;
  /** The node holding the peer connection. */
  readonly nodeId: string;
  readonly #url: string;
  readonly #client: ClusterClient;
  #state: ConnectionState | 'new' = 'new';
  #closed = false;

  constructor(options: RemoteTransportOptions) {
    super();
    this.id = options.id;
    this.streamId = options.streamId;
    this.nodeId = options.nodeId;
    this.#url = options.nodeUrl;
    this.#client = options.client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get connectionState(): ConnectionState | 'new' {
    return this.#state;
  }

  setLayerPreference(layer: LayerPreference): void {
    if (this.#closed) return;
    this.#client
      .call(this.#url, 'POST', `/cluster/v1/sessions/${encodeURIComponent(this.id)}/layer`, { layer })
      .catch((err: unknown) => logger.warn(`setLayerPreference() on ${this.nodeId} failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  async addIceCandidate(candidate: IceCandidateInit): Promise<void> {
    if (this.#closed) throw new InvalidStateError('the transport is closed');
    await this.#client.call(this.#url, 'POST', `/cluster/v1/sessions/${encodeURIComponent(this.id)}/candidates`, { candidate });
  }

  /** Ends the session on the serving node too (best effort); idempotent. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#finish(reason);
    this.#client.call(this.#url, 'DELETE', `/cluster/v1/sessions/${encodeURIComponent(this.id)}`).catch(() => undefined);
  }

  /** @internal The serving node is gone: close without calling it. */
  lost(reason: string): void {
    if (this.#closed) return;
    this.#state = 'failed';
    this.safeEmit('connectionstatechange', 'failed');
    this.#finish(reason);
  }

  /** @internal An event from the serving node about this session. */
  onLinkEvent(event: LinkEvent): void {
    if (this.#closed) return;
    if (event.t === 'state') {
      if (event.state === 'closed') return; // 'close' follows with the reason
      this.#state = event.state;
      this.safeEmit('connectionstatechange', event.state);
    } else if (event.t === 'layer') {
      this.safeEmit('layerchange', event.active);
    } else if (event.t === 'close') {
      this.#finish(`closed on ${this.nodeId}: ${event.reason}`);
    }
  }

  #finish(reason: string): void {
    this.#closed = true;
    this.#state = 'closed';
    this.safeEmit('close', reason);
    this.safeEmit('connectionstatechange', 'closed');
    this.safeEmit('@close');
  }
}
