/**
 * Chat for every stream: loads rooms on demand (one ChatRoom per stream, unloaded when idle),
 * resolves identities and roles on join, applies the per-connection message rate, and exposes
 * the operations the /ws handlers and HTTP routes call. Holds no socket code: members are
 * ChatConnections (WsConnection in production) and frames leave through `publish`.
 * Events are ordered by the ChatBus (in this process by default; RedisChatBus in a cluster),
 * which hands them back here for the room's copy on this node, loading the room if needed.
 */
import { BadRequestError, InvalidStateError, TooManyRequestsError, UnauthorizedError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { cleanChatText, type ClientMessageOf, type ChatUser, type ModerationAction, type ServerMessageOf } from '../protocol/messages.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import { TokenBucket } from '../ws/TokenBucket.ts';
import type { ChatBus, DeliveredEvent } from './ChatBus.ts';
import type { ChatDatabase } from './ChatDatabase.ts';
import { ChatIdentities } from './ChatIdentities.ts';
import { ChatLog, type LogPage } from './ChatLog.ts';
import { ChatRoom, type ChatConnection, type ChatMember, type ChatRoomOptions, type Publish } from './ChatRoom.ts';
import { chatIdentityKey } from './chat-identity-key.ts';
import { Ledger, type LedgerRecord } from './Ledger.ts';
import { LocalChatBus } from './LocalChatBus.ts';

const logger = createLogger('signaling:ChatService');

export interface ChatLimits extends ChatRoomOptions {
  /** Chat messages per second per connection (sustained) and its burst. */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  /** Rooms one connection may be in at once. */
  readonly maxRoomsPerConnection: number;
  /** A room with no members is unloaded after this long. */
  readonly idleRoomUnloadMs: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = Object.freeze({
  messagesPerSecond: 5,
  messageBurst: 5,
  roomMessagesPerSecond: 20_000,
  roomMessageBurst: 20_000,
  historySize: 1000,
  reactionWindowMs: 250,
  maxBatchEvents: 256,
  batchIntervalMs: 10,
  maxPendingEvents: 10_000,
  maxRoomsPerConnection: 8,
  idleRoomUnloadMs: 60_000,
});

export interface ChatServiceDeps {
  readonly streams: StreamRegistry;
  readonly database: ChatDatabase;
  readonly publish: Publish;
  /** Where events get their order; default: this process (LocalChatBus). ChatService closes it. */
  readonly bus?: ChatBus;
}

/** A donation announcement that could not be ordered (bus unreachable) is tried again after this long. */
const ANNOUNCE_RETRY_MS = 2000;

interface ConnectionState {
  readonly bucket: TokenBucket;
  readonly rooms: Map<string, ChatMember>;
}

export class ChatService {
  readonly log: ChatLog;
  readonly ledger: Ledger;
  readonly limits: ChatLimits;
  readonly #streams: StreamRegistry;
  readonly #publish: Publish;
  readonly #identities: ChatIdentities;
  readonly #bus: ChatBus;
  readonly #rooms = new Map<string, ChatRoom>();
  /** Announcements being ordered, by ledger id: a room loading meanwhile does not submit them again. */
  readonly #announcing = new Map<string, Promise<void>>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  readonly #unloadTimers = new Map<string, NodeJS.Timeout>();
  readonly #connections = new WeakMap<ChatConnection, ConnectionState>();
  #closed = false;

  constructor(deps: ChatServiceDeps, limits: Partial<ChatLimits> = {}) {
    this.#streams = deps.streams;
    this.#publish = deps.publish;
    this.limits = { ...DEFAULT_CHAT_LIMITS, ...limits };
    this.log = new ChatLog(deps.database);
    this.ledger = new Ledger(deps.database);
    this.#bus = deps.bus ?? new LocalChatBus();
    this.#identities = new ChatIdentities(this.#bus.identityKey ?? chatIdentityKey(deps.database));
    this.#bus.attach({
      deliver: (streamId, events) => this.#deliver(streamId, events),
      reactions: (streamId, totals) => this.#rooms.get(streamId)?.publishReactions(totals),
    });
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Joins (or re-joins) a stream's room; the reply carries the identity, and history or the resume. */
  join(conn: ChatConnection, request: ClientMessageOf<'chatJoin'>): ServerMessageOf<'chatJoined'> {
    const { streamId } = request;
    this.#streams.require(streamId);
    const state = this.#state(conn);
    if (!state.rooms.has(streamId) && state.rooms.size >= this.limits.maxRoomsPerConnection) {
      throw new TooManyRequestsError(`a connection may be in at most ${this.limits.maxRoomsPerConnection} chat rooms; leave one first`);
    }
    if (request.streamKey !== undefined && !this.#streams.verifyKey(streamId, request.streamKey)) {
      throw new UnauthorizedError('wrong stream key: only the streamer joins with a key; join without one to chat as a viewer');
    }
    const identity = this.#identities.resolve(request.token);
    const room = this.#room(streamId);
    room.leave(conn);
    const member = room.join(conn, identity, request.streamKey !== undefined);
    state.rooms.set(streamId, member);
    const snapshot = room.snapshot(conn, request.lastSeq, request.historyLimit);
    return {
      type: 'chatJoined',
      reqId: request.reqId,
      streamId,
      you: room.userOf(member),
      token: identity.token,
      slowModeSeconds: room.moderation.slowModeSeconds,
      lastSeq: snapshot.lastSeq,
      events: snapshot.events,
      missed: snapshot.missed,
    };
  }

  leave(conn: ChatConnection, streamId: string): void {
    const state = this.#connections.get(conn);
    if (!state?.rooms.delete(streamId)) return;
    const room = this.#rooms.get(streamId);
    if (room) {
      room.leave(conn);
      this.#scheduleUnload(room);
    }
  }

  /**
   * Sequences a chat message; the sender gets chatAck once it is stored and published. Returns the
   * seq when it is known at once (one process), else undefined (a cluster: it comes in the ack).
   */
  say(conn: ChatConnection, request: ClientMessageOf<'chatSend'>): number | undefined {
    const { room, member, state } = this.#membership(conn, request.streamId);
    const text = cleanChatText(request.text);
    if (!text.ok) throw new BadRequestError(`invalid message: ${text.reason}`, 'invalid_message');
    if (!state.bucket.take()) {
      throw new TooManyRequestsError(`rate limit: at most ${this.limits.messagesPerSecond} chat messages/s per connection; message dropped`);
    }
    return room.say(member, text.text, request.streamTime, request.reqId);
  }

  react(conn: ChatConnection, request: ClientMessageOf<'react'>): void {
    const { room, member } = this.#membership(conn, request.streamId);
    room.react(member, request.emoji, request.streamTime);
  }

  moderate(conn: ChatConnection, streamId: string, action: ModerationAction): void {
    const { room, member } = this.#membership(conn, streamId);
    room.moderate(member, action);
  }

  /** Stored events before `beforeSeq` (default: the newest), for scroll-back. */
  history(streamId: string, beforeSeq: number | undefined, limit: number): LogPage {
    this.#streams.require(streamId);
    this.#rooms.get(streamId)?.flush();
    return this.log.before(streamId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit);
  }

  /** Stored events after `afterSeq`, oldest first: VOD chat replay. Works for streams this process no longer knows. */
  replay(streamId: string, afterSeq: number, limit: number): LogPage {
    const room = this.#rooms.get(streamId) ?? (!this.#closed && this.ledger.unannounced(streamId).length > 0 ? this.#loadForAnnouncements(streamId) : undefined);
    room?.flush();
    return this.log.after(streamId, afterSeq, limit);
  }

  /** The chat identity a connection has in a room, if it joined it. */
  userIn(conn: ChatConnection, streamId: string): ChatUser | undefined {
    const member = this.#connections.get(conn)?.rooms.get(streamId);
    const room = this.#rooms.get(streamId);
    return member && room ? room.userOf(member) : undefined;
  }

  /**
   * Shows a new ledger record in its stream's chat, exactly once in the whole cluster (the bus
   * guards the idempotency key). Resolves once the event is ordered, so the payer is acknowledged
   * only after every node will show it; rejects when the bus cannot be reached, and tries again later.
   */
  announce(record: LedgerRecord): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const loaded = this.#rooms.get(record.streamId);
    if (loaded) return this.#announceIn(loaded, record);
    // Loading a room announces every ledger row without a chat event, this one included.
    this.#loadForAnnouncements(record.streamId);
    return this.#announcing.get(record.id) ?? Promise.resolve();
  }

  /** A socket closed: leaves every room it was in. */
  disconnect(conn: ChatConnection): void {
    const state = this.#connections.get(conn);
    if (!state) return;
    for (const streamId of [...state.rooms.keys()]) this.leave(conn, streamId);
    this.#connections.delete(conn);
  }

  /** Flushes and closes every room. Idempotent. The database is closed by its owner. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#unloadTimers.values()) clearTimeout(timer);
    this.#unloadTimers.clear();
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const room of this.#rooms.values()) room.close();
    this.#rooms.clear();
    this.#bus.close();
  }

  /** Events the bus ordered for a room: its copy here takes them (loaded for the moment if nobody here is in it). */
  #deliver(streamId: string, events: readonly DeliveredEvent[]): void {
    if (this.#closed) return;
    const room = this.#room(streamId);
    room.receive(events);
    this.#scheduleUnload(room);
  }

  #announceIn(room: ChatRoom, record: LedgerRecord): Promise<void> {
    const running = this.#announcing.get(record.id);
    if (running) return running;
    const announced = room.announce(record).then(
      () => {
        this.#announcing.delete(record.id);
      },
      (err: unknown) => {
        this.#announcing.delete(record.id);
        logger.warn(`announcing ledger entry ${record.id} failed; trying again in ${ANNOUNCE_RETRY_MS} ms: ${err instanceof Error ? err.message : String(err)}`);
        const timer = setTimeout(() => {
          this.#retryTimers.delete(timer);
          if (this.#closed) return;
          const current = this.#rooms.get(record.streamId);
          const retry = current ? this.#announceIn(current, record) : this.announce(record);
          retry.catch(() => undefined);
        }, ANNOUNCE_RETRY_MS);
        timer.unref();
        this.#retryTimers.add(timer);
        throw err;
      },
    );
    this.#announcing.set(record.id, announced);
    return announced;
  }

  #state(conn: ChatConnection): ConnectionState {
    let state = this.#connections.get(conn);
    if (!state) {
      state = { bucket: new TokenBucket({ ratePerSecond: this.limits.messagesPerSecond, burst: this.limits.messageBurst }), rooms: new Map() };
      this.#connections.set(conn, state);
    }
    return state;
  }

  #membership(conn: ChatConnection, streamId: string): { room: ChatRoom; member: ChatMember; state: ConnectionState } {
    const state = this.#connections.get(conn);
    const member = state?.rooms.get(streamId);
    const room = this.#rooms.get(streamId);
    if (!state || !member || !room) throw new InvalidStateError(`join the chat of stream "${streamId}" first (chatJoin)`, 'not_joined');
    return { room, member, state };
  }

  #room(streamId: string): ChatRoom {
    let room = this.#rooms.get(streamId);
    if (room) {
      clearTimeout(this.#unloadTimers.get(streamId));
      this.#unloadTimers.delete(streamId);
      return room;
    }
    if (this.#closed) throw new InvalidStateError('chat is shutting down; reconnect in a moment', 'shutting_down');
    room = new ChatRoom(streamId, { log: this.log, publish: this.#publish, bus: this.#bus }, this.limits);
    this.#rooms.set(streamId, room);
    // Donations committed before a crash, whose chat event was not yet stored, are shown now.
    const unannounced = this.ledger.unannounced(streamId);
    for (const record of unannounced) this.#announceIn(room, record).catch(() => undefined);
    if (unannounced.length > 0) logger.info(`announced ${unannounced.length} ledger entries left over from before a restart [stream:${streamId}]`);
    return room;
  }

  /** Loads a room nobody is in so that leftover ledger entries get their chat events; it unloads when idle. */
  #loadForAnnouncements(streamId: string): ChatRoom {
    const room = this.#room(streamId);
    this.#scheduleUnload(room);
    return room;
  }

  #scheduleUnload(room: ChatRoom): void {
    if (room.memberCount > 0 || this.#unloadTimers.has(room.streamId) || this.#closed) return;
    const timer = setTimeout(() => {
      this.#unloadTimers.delete(room.streamId);
      if (room.memberCount > 0 || this.#rooms.get(room.streamId) !== room) return;
      room.close();
      this.#rooms.delete(room.streamId);
    }, this.limits.idleRoomUnloadMs);
    timer.unref();
    this.#unloadTimers.set(room.streamId, timer);
  }
}
