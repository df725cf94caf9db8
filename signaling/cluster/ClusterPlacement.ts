/**
 * Viewer placement on a cluster node (the SessionManager's ViewerPlacement):
 * picks the node from the ClusterView (placement.ts rules), then connects the
 * viewer there. This node: the local router (it holds the publisher) or a
 * relay pulled from upstream. Another node: the offer goes over the cluster
 * API and its answer, with that node's ICE candidate, comes back to the
 * client; the session's events come back over a NodeLink. A node that turns
 * out unreachable is evicted and the next choice is tried.
 */
import type { Router } from '../../sfu/Router.ts';
import { AppError, ServiceUnavailableError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { LayerPreference } from '../protocol/messages.ts';
import type { SfuTransport } from '../streams/sfu-types.ts';
import { newSessionId } from '../streams/stream-secrets.ts';
import type { PlacementRequest, ViewerPlacement, ViewerTarget } from '../streams/viewer-placement.ts';
import type { ClusterClient } from './ClusterClient.ts';
import type { ClusterView } from './ClusterView.ts';
import type { NodeRecord } from './node-record.ts';
import type { NodeLinks } from './NodeLinks.ts';
import { chooseViewerNode } from './placement.ts';
import { RemoteTransport } from './RemoteTransport.ts';

const logger = createLogger('signaling:cluster:ClusterPlacement');
/** Nodes tried for one viewer before giving up. */
const MAX_ATTEMPTS = 3;

export interface ClusterPlacementOptions {
  readonly selfId: string;
  readonly view: ClusterView;
  readonly client: ClusterClient;
  readonly links: NodeLinks;
  /** A relay router for a stream this node does not publish (edges); undefined on an origin. */
  readonly relay: ((streamId: string) => Promise<Router>) | undefined;
  /** Where viewers go when the WebRTC tier is full (the HLS playlist), if anywhere. */
  readonly overflowUrl: ((streamId: string) => string | undefined) | undefined;
  /** Told the node each viewer was placed on (metrics). */
  readonly onPlaced?: (node: NodeRecord, self: boolean) => void;
}

export class ClusterPlacement implements ViewerPlacement {
  readonly #options: ClusterPlacementOptions;

  constructor(options: ClusterPlacementOptions) {
    this.#options = options;
  }

  async place(request: PlacementRequest): Promise<ViewerTarget> {
    if (!this.#options.view.healthy) {
      throw new ServiceUnavailableError('the cluster registry (Redis) is unreachable, so new viewers cannot be placed; retry in a few seconds');
    }
    // Placement happens per attempt inside connectViewer, so an unreachable node can be skipped.
    return {
      closed: false,
      connectViewer: (offerSdp, options) => this.#connect(request, offerSdp, options.layer ?? 'auto'),
    };
  }

  async #connect(request: PlacementRequest, offerSdp: string, layer: LayerPreference): Promise<{ transport: SfuTransport; answerSdp: string }> {
    const { view, selfId } = this.#options;
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const node = chooseViewerNode({ streamId: request.streamId, nodes: view.nodes(), hint: request.hint });
      if (!node) throw this.#full(request.streamId);
      view.notePlaced(node.id);
      this.#options.onPlaced?.(node, node.id === selfId);
      if (node.id === selfId) return this.#connectHere(request, offerSdp, layer);
      try {
        return await this.#connectRemote(node, request.streamId, offerSdp, layer);
      } catch (err) {
        lastError = err;
        // Only an unreachable node is worth skipping; a 4xx from it (bad offer, not live) is the answer.
        if (!(err instanceof AppError) || err.status !== 503) throw err;
        logger.warn(`placing on ${node.id} failed, trying another node: ${err.message}`);
        view.evict(node.id);
      }
    }
    throw lastError;
  }

  async #connectHere(request: PlacementRequest, offerSdp: string, layer: LayerPreference): Promise<{ transport: SfuTransport; answerSdp: string }> {
    const router = request.local ?? (await this.#relay(request.streamId));
    return router.connectViewer(offerSdp, { layer });
  }

  #relay(streamId: string): Promise<Router> {
    if (!this.#options.relay) throw new ServiceUnavailableError(`this node cannot relay stream "${streamId}"`);
    return this.#options.relay(streamId);
  }

  async #connectRemote(node: NodeRecord, streamId: string, offerSdp: string, layer: LayerPreference): Promise<{ transport: SfuTransport; answerSdp: string }> {
    const { client, links } = this.#options;
    const link = await links.open(node);
    const transport = new RemoteTransport({ id: newSessionId(), streamId, nodeId: node.id, nodeUrl: node.url, client });
    link.register(transport);
    try {
      const answer = await client.call<{ answerSdp: string }>(node.url, 'POST', '/cluster/v1/viewers', {
        sessionId: transport.id,
        streamId,
        sdp: offerSdp,
        layer,
      });
      return { transport, answerSdp: answer.answerSdp };
    } catch (err) {
      transport.lost('placement failed');
      throw err;
    }
  }

  #full(streamId: string): ServiceUnavailableError {
    const url = this.#options.overflowUrl?.(streamId);
    return new ServiceUnavailableError(
      `webrtc_full: no node of the cluster has room for another WebRTC viewer of stream "${streamId}"; ` + (url ? `watch it over HLS at ${url}` : 'try again later'),
      'webrtc_full',
    );
  }
}
