/**
 * The serving side of node links: each entry node that placed viewers here
 * holds one long-lived `GET /cluster/v1/link` response, and this hub writes
 * that node's session events into it as NDJSON, with a ping every second.
 * If this process dies the kernel closes those sockets, which is how entry
 * nodes learn of an edge's death within milliseconds, not at registry expiry.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { createLogger } from '../logger.ts';
import { SafeEmitter } from '../SafeEmitter.ts';
import { LINK_PING_MS, type LinkEvent } from './link-events.ts';

const logger = createLogger('signaling:cluster:LinkHub');

interface Link {
  readonly res: HttpResponse;
  aborted: boolean;
}

export type LinkHubEvents = {
  /** An entry node's link went away (it closed, crashed, or was replaced). */
  detached: [nodeId: string];
};

export class LinkHub extends SafeEmitter<LinkHubEvents> {
  readonly #selfId: string;
  readonly #links = new Map<string, Link>();
  readonly #timer: NodeJS.Timeout;

  constructor(selfId: string) {
    super();
    this.#selfId = selfId;
    this.#timer = setInterval(() => {
      for (const nodeId of this.#links.keys()) this.send(nodeId, { t: 'ping' });
    }, LINK_PING_MS);
    this.#timer.unref();
  }

  isAttached(nodeId: string): boolean {
    return this.#links.has(nodeId);
  }

  /** Takes over a response the route has checked (secret, node id); replaces that node's older link. */
  attach(nodeId: string, res: HttpResponse): void {
    const link: Link = { res, aborted: false };
    res.onAborted(() => {
      link.aborted = true;
      if (this.#links.get(nodeId) === link) {
        this.#links.delete(nodeId);
        logger.info(`link from ${nodeId} closed`);
        this.safeEmit('detached', nodeId);
      }
    });
    const previous = this.#links.get(nodeId);
    this.#links.set(nodeId, link);
    if (previous) this.#end(previous);
    res.cork(() => {
      res.writeStatus('200 OK');
      res.writeHeader('Content-Type', 'application/x-ndjson');
      res.writeHeader('Cache-Control', 'no-store');
      res.write(`${JSON.stringify({ t: 'hello', node: this.#selfId } satisfies LinkEvent)}\n`);
    });
    logger.info(`link from ${nodeId} open`);
  }

  /** Writes one event to a node's link; false when that node has no link (the event is dropped). */
  send(nodeId: string, event: LinkEvent): boolean {
    const link = this.#links.get(nodeId);
    if (!link || link.aborted) return false;
    link.res.cork(() => link.res.write(`${JSON.stringify(event)}\n`));
    return true;
  }

  close(): void {
    clearInterval(this.#timer);
    for (const link of this.#links.values()) this.#end(link);
    this.#links.clear();
  }

  #end(link: Link): void {
    if (link.aborted) return;
    link.aborted = true;
    link.res.cork(() => link.res.end());
  }
}
