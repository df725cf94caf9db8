/**
 * The hook a cluster installs in the SessionManager: where a viewer's peer
 * connection is made. Without it (the one-box platform) every viewer joins
 * the local router. With it (signaling/cluster) the viewer may be served by a
 * relay on this node or by another node, whose answer carries that node's
 * ICE candidate; signalling stays here either way.
 */
import type { LayerPreference } from '../protocol/messages.ts';
import type { SfuRouter, SfuTransport } from './sfu-types.ts';

/** Something a viewer can connect to: a local Router, or a proxy for another node. */
export interface ViewerTarget {
  readonly closed: boolean;
  connectViewer(offerSdp: string, options: { layer?: LayerPreference }): Promise<{ transport: SfuTransport; answerSdp: string }>;
}

export interface PlacementRequest {
  readonly streamId: string;
  /** This node's router for the stream when it holds the publisher. */
  readonly local: SfuRouter | undefined;
  /** A node id the client asked for (benchmarks, debugging); honoured only when that node can take the viewer. */
  readonly hint: string | undefined;
}

export interface ViewerPlacement {
  /** Throws an AppError when no node can take the viewer (503 webrtc_full, 503 cluster_unavailable, 409 not_live). */
  place(request: PlacementRequest): Promise<ViewerTarget>;
}
