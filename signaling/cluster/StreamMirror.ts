/**
 * Makes streams published on other nodes known to this node's StreamRegistry,
 * so a WHEP POST or a /ws watch for them may arrive here (any node is an
 * entry) and `GET /api/streams` lists the cluster's live streams. After each
 * registry read: a stream some other node originates and this node does not
 * know is fetched from that node's public API and mirrored; a mirrored stream
 * no node originates any more is marked ended.
 */
import { createLogger } from '../logger.ts';
import { StreamInfo } from '../protocol/messages.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import type { NodeRecord } from './node-record.ts';

const logger = createLogger('signaling:cluster:StreamMirror');

export class StreamMirror {
  readonly #streams: StreamRegistry;
  readonly #selfId: string;
  readonly #mirrored = new Set<string>();
  readonly #fetching = new Set<string>();

  constructor(options: { streams: StreamRegistry; selfId: string }) {
    this.#streams = options.streams;
    this.#selfId = options.selfId;
  }

  sync(nodes: readonly NodeRecord[]): void {
    const originated = new Map<string, NodeRecord>();
    for (const node of nodes) {
      if (node.id === this.#selfId) continue;
      for (const [id, s] of Object.entries(node.streams)) if (s.origin) originated.set(id, node);
    }
    for (const [id, origin] of originated) {
      const known = this.#streams.get(id);
      // The origin's publisher dropped or came back: followers on this node see it too.
      const state = origin.streams[id]!.reconnecting === true ? 'reconnecting' : 'live';
      if (known && this.#mirrored.has(id) && (known.state === 'live' || known.state === 'reconnecting') && known.state !== state) {
        this.#streams.mirror({ ...toInfo(known), state });
        continue;
      }
      if (known && (known.state !== 'idle' || !this.#mirrored.has(id))) continue;
      if (!this.#fetching.has(id)) void this.#fetch(id, origin);
    }
    for (const id of this.#mirrored) {
      if (originated.has(id)) continue;
      const known = this.#streams.get(id);
      if (known && (known.state === 'live' || known.state === 'reconnecting')) this.#streams.mirror({ ...toInfo(known), state: 'ended', endedAt: new Date().toISOString() });
      this.#mirrored.delete(id);
    }
  }

  async #fetch(id: string, origin: NodeRecord): Promise<void> {
    this.#fetching.add(id);
    try {
      const res = await fetch(new URL(`/api/streams/${encodeURIComponent(id)}`, origin.url), { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return;
      const info = StreamInfo.safeParse(await res.json());
      if (!info.success || info.data.id !== id) return;
      this.#streams.mirror(info.data);
      this.#mirrored.add(id);
    } catch (err) {
      logger.debug(`fetch [stream:${id}] from ${origin.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.#fetching.delete(id);
    }
  }
}

function toInfo(record: { id: string; title: string; state: StreamInfo['state']; viewers: number; startedAt: string | null; endedAt: string | null }): StreamInfo {
  return { id: record.id, title: record.title, state: record.state, viewers: record.viewers, startedAt: record.startedAt, endedAt: record.endedAt };
}
