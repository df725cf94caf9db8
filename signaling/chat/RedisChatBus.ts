/**
 * The cluster's ChatBus: one Redis stream (`<prefix>:events`) holds every room's events in order.
 * A submit runs one Lua script that takes the room's next seq (INCR on `<prefix>:seq:<room>`,
 * never at or below the submitting node's newest) and XADDs the event with it, so the stream order
 * is each room's seq order. Every node reads the whole stream (XREAD, one blocking connection) and
 * delivers each room's events to its own copy of the room, which stores them in the node's SQLite
 * and fans them out to its own sockets; the submitting node recognises its own entries (node id +
 * process incarnation + ticket) and acks their senders.
 *
 * Reactions: each node PUBLISHes its window totals on `<prefix>:reactions`; every node sums what
 * it hears per room and wall-clock window (ReactionTally) and shows that once per window.
 *
 * Commands fail fast while Redis is unreachable (no offline queue), like the node registry: a chat
 * message then gets an error frame instead of hanging, and the reader retries with backoff.
 */
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { createLogger } from '../logger.ts';
import { ChatEvent } from '../protocol/messages.ts';
import type { ChatBus, ChatBusSink, DeliveredEvent, ReactionTotals, SubmitOptions, UnsequencedEvent } from './ChatBus.ts';
import { ReactionTally, type ReactionShare } from './ReactionTally.ts';

const logger = createLogger('signaling:RedisChatBus');

export interface RedisChatBusOptions {
  readonly url: string;
  /** Key prefix, e.g. `live:chat`. */
  readonly prefix: string;
  readonly nodeId: string;
  /** This node's identity key: becomes the cluster's if the cluster has none yet. */
  readonly localIdentityKey: Buffer;
  /** Stores the key the cluster agreed on, so it survives a Redis without persistence. */
  readonly saveIdentityKey: (key: Buffer) => void;
  /** Where this node's reader stopped (a stream entry id), kept across restarts. */
  readonly position: { load(): string | undefined; save(id: string): void };
  readonly reactionWindowMs?: number;
  /** Approximate bound on the stream's length (XADD MAXLEN ~). */
  readonly maxLength?: number;
  readonly readyTimeoutMs?: number;
}

type SubmitCommand = (seqKey: string, streamKey: string, onceKey: string, ...args: (string | number)[]) => Promise<number>;
type StreamEntry = [id: string, fields: string[]];

/**
 * KEYS: seq counter, stream, once-guard. ARGV: floor seq, room, origin tag, ticket, event JSON,
 * max length, whether to guard, guard TTL (s). Returns the seq, or 0 when the guard was taken.
 */
const SUBMIT_LUA = `
if ARGV[7] == '1' and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[8]) then return 0 end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if seq < floor then seq = floor end
seq = seq + 1
redis.call('SET', KEYS[1], seq)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'r', ARGV[2], 's', seq, 'n', ARGV[3], 't', ARGV[4], 'e', ARGV[5])
return seq
`;

const DEFAULT_MAX_LENGTH = 100_000;
const ONCE_TTL_SECONDS = 7 * 24 * 3600;
const READ_COUNT = 1000;
const READ_BLOCK_MS = 2000;
/** Re-read this much of the stream after a restart: what was read but not yet stored is read again (seqs already held are skipped). */
const RESTART_REWIND_MS = 10_000;
const POSITION_SAVE_EVERY_MS = 1000;
/** Time after a reaction window ends that the other nodes' shares may still arrive. */
const REACTION_GRACE_MS = 100;
const WARN_EVERY_MS = 10_000;

export class RedisChatBus implements ChatBus {
  readonly distributed = true;
  readonly identityKey: Buffer;
  readonly #options: RedisChatBusOptions;
  readonly #commands: Redis;
  readonly #reader: Redis;
  readonly #subscriber: Redis;
  readonly #submitCommand: SubmitCommand;
  /** This process's tag on its stream entries: the node id alone would match a previous run's tickets. */
  readonly #tag: string;
  readonly #tally: ReactionTally;
  readonly #windowMs: number;
  #sink: ChatBusSink | undefined;
  #position: string;
  #positionSavedAt = 0;
  #reading: Promise<void> | undefined;
  #warnedAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  private constructor(options: RedisChatBusOptions, connections: { commands: Redis; reader: Redis; subscriber: Redis }, identityKey: Buffer, position: string) {
    this.#options = options;
    this.#commands = connections.commands;
    this.#reader = connections.reader;
    this.#subscriber = connections.subscriber;
    this.identityKey = identityKey;
    this.#position = position;
    this.#tag = `${options.nodeId}/${randomBytes(6).toString('base64url')}`;
    this.#commands.defineCommand('chatSubmit', { numberOfKeys: 3, lua: SUBMIT_LUA });
    this.#submitCommand = (this.#commands as unknown as { chatSubmit: SubmitCommand }).chatSubmit.bind(this.#commands);
    this.#windowMs = options.reactionWindowMs ?? 250;
    this.#tally = new ReactionTally({ windowMs: this.#windowMs, graceMs: REACTION_GRACE_MS, emit: (streamId, totals) => this.#sink?.reactions(streamId, totals) });
  }

  /** Connects (three connections: commands, the blocking reader, reactions), agrees on the identity key, finds where to read from. */
  static async connect(options: RedisChatBusOptions): Promise<RedisChatBus> {
    const open = (name: string, failFast: boolean): Redis => {
      const redis = new Redis(options.url, {
        connectionName: `${options.nodeId}:chat-${name}`,
        connectTimeout: 2000,
        retryStrategy: (times: number) => Math.min(100 * times, 2000),
        ...(failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : {}),
      } satisfies RedisOptions);
      // Errors surface on each command; without a listener ioredis prints every retry.
      redis.on('error', () => undefined);
      return redis;
    };
    const connections = { commands: open('commands', true), reader: open('reader', true), subscriber: open('reactions', false) };
    const all = Object.values(connections);
    try {
      const timeoutMs = options.readyTimeoutMs ?? 5000;
      await Promise.all(all.map((r) => ready(r, timeoutMs)));
      const keyName = `${options.prefix}:identity-key`;
      await connections.commands.set(keyName, options.localIdentityKey, 'NX');
      const identityKey = (await connections.commands.getBuffer(keyName)) ?? options.localIdentityKey;
      if (!identityKey.equals(options.localIdentityKey)) options.saveIdentityKey(identityKey);
      const position = await startPosition(connections.commands, `${options.prefix}:events`, options.position.load());
      const bus = new RedisChatBus(options, connections, identityKey, position);
      await connections.subscriber.subscribe(bus.#reactionsChannel);
      connections.subscriber.on('message', (_channel: string, message: string) => bus.#onShare(message));
      logger.info(`connected [node:${options.nodeId}] [stream:${options.prefix}:events] [from:${position}]`);
      return bus;
    } catch (err) {
      for (const r of all) r.disconnect();
      throw err;
    }
  }

  attach(sink: ChatBusSink): void {
    if (this.#sink) throw new Error('RedisChatBus.attach: already attached; create one bus per ChatService');
    this.#sink = sink;
    this.#reading = this.#readLoop();
  }

  async submit(streamId: string, event: UnsequencedEvent, options: SubmitOptions): Promise<boolean> {
    if (this.#closed) throw new Error('the chat bus is closed');
    const p = this.#options.prefix;
    const seq = await this.#submitCommand(
      `${p}:seq:${streamId}`,
      `${p}:events`,
      `${p}:once:${streamId}:${options.onceKey ?? '-'}`,
      options.floorSeq,
      streamId,
      this.#tag,
      options.ticket,
      JSON.stringify(event),
      this.#options.maxLength ?? DEFAULT_MAX_LENGTH,
      options.onceKey === undefined ? '0' : '1',
      ONCE_TTL_SECONDS,
    );
    return Number(seq) > 0;
  }

  shareReactions(streamId: string, totals: ReactionTotals): void {
    if (this.#closed) return;
    const share = this.#tally.shareOf(streamId, totals, Date.now());
    this.#commands.publish(this.#reactionsChannel, JSON.stringify(share)).catch((err: unknown) => this.#warn('sharing reactions failed', err));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tally.close();
    try {
      this.#options.position.save(this.#position);
    } catch {
      // The database may already be closed; the next start re-reads a little more.
    }
    this.#commands.disconnect();
    this.#reader.disconnect();
    this.#subscriber.disconnect();
  }

  /** Resolves when the reader has stopped (after close()). */
  get stopped(): Promise<void> {
    return this.#reading ?? Promise.resolve();
  }

  get #reactionsChannel(): string {
    return `${this.#options.prefix}:reactions`;
  }

  async #readLoop(): Promise<void> {
    const stream = `${this.#options.prefix}:events`;
    let backoffMs = 100;
    while (!this.#closed) {
      try {
        const reply = (await this.#reader.xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', stream, this.#position)) as [string, StreamEntry[]][] | null;
        backoffMs = 100;
        const entries = reply?.[0]?.[1];
        if (!entries || entries.length === 0 || this.#closed) continue;
        this.#position = entries.at(-1)![0];
        this.#deliver(entries);
        if (Date.now() - this.#positionSavedAt >= POSITION_SAVE_EVERY_MS) {
          this.#positionSavedAt = Date.now();
          this.#options.position.save(this.#position);
        }
      } catch (err) {
        if (this.#closed) break;
        this.#warn('reading the chat stream failed; retrying', err);
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
  }

  #deliver(entries: readonly StreamEntry[]): void {
    const byRoom = new Map<string, DeliveredEvent[]>();
    for (const [id, fields] of entries) {
      const f = fieldsOf(fields);
      const parsed = f.e === undefined ? undefined : ChatEvent.safeParse({ ...JSON.parse(f.e), seq: Number(f.s) });
      if (!f.r || !parsed?.success) {
        this.#warn(`stream entry ${id} is not a chat event; skipped`, parsed?.error);
        continue;
      }
      let list = byRoom.get(f.r);
      if (!list) byRoom.set(f.r, (list = []));
      list.push({ event: parsed.data, ticket: f.n === this.#tag ? Number(f.t) : undefined });
    }
    for (const [streamId, events] of byRoom) {
      try {
        this.#sink?.deliver(streamId, events);
      } catch (err) {
        logger.error(`delivering ${events.length} events of stream ${streamId} failed`, err);
      }
    }
  }

  #onShare(message: string): void {
    try {
      this.#tally.add(JSON.parse(message) as ReactionShare);
    } catch (err) {
      this.#warn('a reaction share could not be read', err);
    }
  }

  /** At most one warning per WARN_EVERY_MS: a Redis outage must not flood the log. */
  #warn(what: string, err: unknown): void {
    const now = Date.now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#warnedAt = now;
    logger.warn(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function fieldsOf(fields: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1];
  return out;
}

function ready(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis did not answer within ${timeoutMs} ms; check REDIS_URL and that redis-server runs`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/**
 * Where this node starts reading: a little before where it stopped (so what it read but had not
 * stored yet is read again), or the start of the stream for a new node (it copies the recent chat).
 */
async function startPosition(redis: Redis, stream: string, saved: string | undefined): Promise<string> {
  if (!saved) return '0';
  const ms = Number(saved.split('-')[0]);
  if (!Number.isFinite(ms)) return '0';
  const first = (await redis.xrange(stream, '-', '+', 'COUNT', 1))[0]?.[0];
  if (first && Number(first.split('-')[0]) > ms) {
    logger.warn(`this node stopped reading chat at ${saved}, before the oldest entry still in Redis (${first}): its copy of the chat log has a gap there`);
  }
  return `${Math.max(0, ms - RESTART_REWIND_MS)}-0`;
}
