/**
 * Where a new viewer of a stream goes, decided from the registry alone:
 *  1. a node the request names (benchmarks, debugging), if it is alive, has
 *     room and may serve the stream;
 *  2. else the least-loaded edge that already carries the stream, if it has room;
 *  3. else the least-loaded edge with room (it will pull the stream once);
 *  4. else, in a cluster without edges, the stream's origin while it has room;
 *  5. else nowhere: the WebRTC tier is full (the caller sends viewers to HLS).
 * "Load" is viewers over capacity, then CPU, then the id for a stable order.
 */
import type { NodeRecord } from './node-record.ts';

export interface PlacementRequest {
  readonly streamId: string;
  readonly nodes: readonly NodeRecord[];
  /** A node id the client asked for; ignored when it cannot take the viewer. */
  readonly hint?: string | undefined;
}

export function hasRoom(node: NodeRecord): boolean {
  return node.load.viewers < node.capacity;
}

export function carries(node: NodeRecord, streamId: string): boolean {
  return node.streams[streamId] !== undefined;
}

export function isOriginOf(node: NodeRecord, streamId: string): boolean {
  return node.streams[streamId]?.origin === true;
}

function canServe(node: NodeRecord, streamId: string, edgesExist: boolean): boolean {
  if (node.role === 'edge') return true;
  return isOriginOf(node, streamId) && !edgesExist;
}

function loadOrder(a: NodeRecord, b: NodeRecord): number {
  const la = a.capacity > 0 ? a.load.viewers / a.capacity : Infinity;
  const lb = b.capacity > 0 ? b.load.viewers / b.capacity : Infinity;
  return la - lb || a.load.cpu - b.load.cpu || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The node to serve the viewer, or undefined when no node has room. */
export function chooseViewerNode(request: PlacementRequest): NodeRecord | undefined {
  const { streamId, nodes, hint } = request;
  const edges = nodes.filter((n) => n.role === 'edge');
  if (hint !== undefined) {
    const named = nodes.find((n) => n.id === hint);
    // A named origin may serve its own stream even beside edges: that is how 0-hop delay is measured.
    if (named && hasRoom(named) && (named.role === 'edge' || isOriginOf(named, streamId))) return named;
  }
  const withRoom = edges.filter(hasRoom);
  const carrying = withRoom.filter((n) => carries(n, streamId)).sort(loadOrder);
  if (carrying.length > 0) return carrying[0];
  if (withRoom.length > 0) return [...withRoom].sort(loadOrder)[0];
  return nodes.filter((n) => canServe(n, streamId, edges.length > 0) && hasRoom(n)).sort(loadOrder)[0];
}

/** The node an edge pulls a stream from: its configured parent when alive, else the stream's origin. */
export function chooseUpstream(self: { id: string; parent: string | null }, streamId: string, nodes: readonly NodeRecord[]): NodeRecord | undefined {
  if (self.parent !== null && self.parent !== self.id) {
    const parent = nodes.find((n) => n.id === self.parent);
    if (parent) return parent;
  }
  return nodes.find((n) => n.id !== self.id && isOriginOf(n, streamId));
}
