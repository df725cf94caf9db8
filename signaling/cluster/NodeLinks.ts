/**
 * This entry node's links, one per node it placed viewers on, opened on first
 * use and reopened after a drop. A drop means the node died or is cut off:
 * onDown evicts it from placement at once (and from the registry, so other
 * entry nodes stop placing there too) instead of waiting for its record to expire.
 */
import { createLogger } from '../logger.ts';
import type { ClusterClient } from './ClusterClient.ts';
import { NodeLink } from './NodeLink.ts';
import type { NodeRecord } from './node-record.ts';

const logger = createLogger('signaling:cluster:NodeLinks');

export class NodeLinks {
  readonly #client: ClusterClient;
  readonly #onDown: (nodeId: string, reason: string) => void;
  readonly #links = new Map<string, NodeLink>();
  #closed = false;

  constructor(options: { client: ClusterClient; onDown: (nodeId: string, reason: string) => void }) {
    this.#client = options.client;
    this.#onDown = options.onDown;
  }

  get size(): number {
    return this.#links.size;
  }

  /** The open link to a node (opening it if needed); rejects with 503 when the node does not answer. */
  async open(node: NodeRecord): Promise<NodeLink> {
    let link = this.#links.get(node.id);
    if (!link || link.isDown) {
      if (this.#closed) throw new Error('node links closed');
      const created = new NodeLink({ nodeId: node.id, url: node.url, headers: this.#client.headers });
      link = created;
      this.#links.set(node.id, created);
      created.once('down', (reason) => {
        if (this.#links.get(node.id) === created) this.#links.delete(node.id);
        if (!this.#closed) {
          logger.info(`node ${node.id} evicted from placement: ${reason}`);
          this.#onDown(node.id, reason);
        }
      });
    }
    await link.ready;
    return link;
  }

  closeAll(): void {
    this.#closed = true;
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
