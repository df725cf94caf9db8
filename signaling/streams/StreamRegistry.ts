/**
 * The streams the platform knows about: ids, titles, publishing keys, and the
 * idle → live → ended lifecycle with viewer counts. In memory for now; every
 * mutation goes through this class and is announced with an 'update' event,
 * so a persistent store can later replace the Map without touching callers.
 */
import { InvalidStateError, NotFoundError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { StreamInfo, StreamState } from '../protocol/messages.ts';
import { SafeEmitter } from '../SafeEmitter.ts';
import { newStreamId, newStreamKey, secretsMatch } from './stream-secrets.ts';

const logger = createLogger('signaling:StreamRegistry');

export interface StreamRecord {
  readonly id: string;
  readonly title: string;
  readonly streamKey: string;
  readonly state: StreamState;
  readonly viewers: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

/** What changed, so listeners can treat lifecycle changes and count changes differently. */
export type StreamChange = 'created' | 'state' | 'viewers' | 'title';

export type StreamRegistryEvents = {
  update: [info: StreamInfo, change: StreamChange];
};

type MutableRecord = { -readonly [K in keyof StreamRecord]: StreamRecord[K] };

export class StreamRegistry extends SafeEmitter<StreamRegistryEvents> {
  readonly #streams = new Map<string, MutableRecord>();
  readonly #now: () => Date;

  constructor(options: { now?: () => Date } = {}) {
    super();
    this.#now = options.now ?? (() => new Date());
  }

  create(title: string): StreamRecord {
    let id = newStreamId();
    while (this.#streams.has(id)) id = newStreamId();
    const record = this.#addIdle(id, title);
    logger.info(`create() [stream:${id}] [title:${JSON.stringify(title)}]`);
    this.safeEmit('update', toStreamInfo(record), 'created');
    return { ...record };
  }

  get(id: string): StreamRecord | undefined {
    const record = this.#streams.get(id);
    return record ? { ...record } : undefined;
  }

  /** Like get(), but an unknown id is a 404 that says what to do. */
  require(id: string): StreamRecord {
    const record = this.get(id);
    if (!record) throw new NotFoundError(`stream "${id}" does not exist; create one with POST /api/streams`);
    return record;
  }

  info(id: string): StreamInfo {
    return toStreamInfo(this.require(id));
  }

  /** Streams in the given states, newest first. */
  list(states: readonly StreamState[] = ['live']): StreamInfo[] {
    const out: StreamInfo[] = [];
    for (const record of this.#streams.values()) {
      if (states.includes(record.state)) out.push(toStreamInfo(record));
    }
    return out.reverse();
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Constant-time check of a presented stream key. Unknown streams never match. */
  verifyKey(id: string, presentedKey: string): boolean {
    const record = this.#streams.get(id);
    // Still hash-compare against a dummy so an unknown id costs the same time.
    return secretsMatch(presentedKey, record?.streamKey ?? 'sk_unknown-stream') && record !== undefined;
  }

  /** idle → live (first publisher), or reconnecting → live (the publisher came back; startedAt is kept). */
  markLive(id: string): void {
    const record = this.#mustGet(id);
    if (record.state !== 'idle' && record.state !== 'reconnecting') {
      throw new InvalidStateError(`stream "${id}" is ${record.state}; only an idle or reconnecting stream can go live`);
    }
    const returning = record.state === 'reconnecting';
    record.state = 'live';
    if (!returning) record.startedAt = this.#now().toISOString();
    logger.info(`markLive() [stream:${id}]${returning ? ' [publisher back]' : ''}`);
    this.safeEmit('update', toStreamInfo(record), 'state');
  }

  /** live → reconnecting: the publisher dropped; the stream waits for it during the grace period. */
  markReconnecting(id: string): void {
    const record = this.#mustGet(id);
    if (record.state !== 'live') {
      throw new InvalidStateError(`stream "${id}" is ${record.state}; only a live stream can be reconnecting`);
    }
    record.state = 'reconnecting';
    logger.info(`markReconnecting() [stream:${id}]`);
    this.safeEmit('update', toStreamInfo(record), 'state');
  }

  /** Idempotent: ending an ended stream does nothing. */
  markEnded(id: string): void {
    const record = this.#mustGet(id);
    if (record.state === 'ended') return;
    record.state = 'ended';
    record.endedAt = this.#now().toISOString();
    logger.info(`markEnded() [stream:${id}]`);
    this.safeEmit('update', toStreamInfo(record), 'state');
  }

  /** Renames a stream (any state but ended); followers get the update. */
  setTitle(id: string, title: string): StreamRecord {
    const record = this.#mustGet(id);
    if (record.state === 'ended') throw new InvalidStateError(`stream "${id}" has ended; its title can no longer change`, 'stream_ended');
    if (record.title !== title) {
      record.title = title;
      logger.info(`setTitle() [stream:${id}] [title:${JSON.stringify(title)}]`);
      this.safeEmit('update', toStreamInfo(record), 'title');
    }
    return { ...record };
  }

  /**
   * Records a stream whose publisher is on another cluster node, so viewers can
   * enter through this node (signaling/cluster/StreamMirror). It gets a fresh
   * random key that nobody holds: it cannot be published to here.
   */
  mirror(info: StreamInfo): void {
    let record = this.#streams.get(info.id);
    if (!record) {
      record = this.#addIdle(info.id, info.title);
      this.safeEmit('update', toStreamInfo(record), 'created');
    }
    if (record.state === info.state || record.state === 'ended') return;
    record.state = info.state;
    record.startedAt = info.startedAt;
    record.endedAt = info.endedAt;
    logger.info(`mirror() [stream:${info.id}] [state:${info.state}]`);
    this.safeEmit('update', toStreamInfo(record), 'state');
  }

  setViewers(id: string, viewers: number): void {
    const record = this.#mustGet(id);
    if (record.viewers === viewers) return;
    record.viewers = viewers;
    this.safeEmit('update', toStreamInfo(record), 'viewers');
  }

  /** A new idle stream with a fresh random key, stored under `id`. */
  #addIdle(id: string, title: string): MutableRecord {
    const record: MutableRecord = {
      id,
      title,
      streamKey: newStreamKey(),
      state: 'idle',
      viewers: 0,
      createdAt: this.#now().toISOString(),
      startedAt: null,
      endedAt: null,
    };
    this.#streams.set(id, record);
    return record;
  }

  #mustGet(id: string): MutableRecord {
    const record = this.#streams.get(id);
    if (!record) throw new NotFoundError(`stream "${id}" does not exist; create one with POST /api/streams`);
    return record;
  }
}

/** The public view of a stream: never includes the key. */
export function toStreamInfo(record: StreamRecord): StreamInfo {
  return {
    id: record.id,
    title: record.title,
    state: record.state,
    viewers: record.viewers,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
  };
}
