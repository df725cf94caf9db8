/**
 * Which node transcodes a stream to HLS: the node whose registry record lists
 * the stream with `origin: true` (the publisher's node, where HlsService runs
 * the bridge). An ended stream leaves the records at once, while its origin
 * keeps serving the ended playlists for a while (HlsService's linger), so the
 * last origin seen is remembered for that long.
 */
import type { ClusterView } from './ClusterView.ts';

export interface HlsOriginNode {
  readonly id: string;
  /** Base URL of the node's HTTP port (its registry `url`). */
  readonly url: string;
  /** Its process start: a restarted origin numbers its segments afresh, so cached media is keyed by it. */
  readonly startedAt: number;
}

/** HlsService keeps an ended stream's playlists served for 5 minutes by default. */
const REMEMBER_MS = 5 * 60_000;

export class HlsOriginLocator {
  readonly #view: ClusterView;
  readonly #selfId: string;
  readonly #rememberMs: number;
  readonly #seen = new Map<string, { node: HlsOriginNode; at: number }>();

  constructor(view: ClusterView, selfId: string, rememberMs = REMEMBER_MS) {
    this.#view = view;
    this.#selfId = selfId;
    this.#rememberMs = rememberMs;
  }

  /** The stream's origin (never this node), or undefined when no node has published it lately. */
  find(streamId: string, now = Date.now()): HlsOriginNode | undefined {
    const record = this.#view.nodes().find((n) => n.id !== this.#selfId && n.streams[streamId]?.origin === true);
    if (this.#seen.size > 256) this.#forgetOld(now);
    if (record) {
      const node = { id: record.id, url: record.url.replace(/\/+$/, ''), startedAt: record.startedAt };
      this.#seen.set(streamId, { node, at: now });
      return node;
    }
    const seen = this.#seen.get(streamId);
    if (!seen) return undefined;
    if (now - seen.at > this.#rememberMs) {
      this.#seen.delete(streamId);
      return undefined;
    }
    return seen.node;
  }

  #forgetOld(now: number): void {
    for (const [id, s] of this.#seen) if (now - s.at > this.#rememberMs) this.#seen.delete(id);
  }
}
