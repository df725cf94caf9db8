/**
 * One stream's chat room and its single source of truth: every event (message, delete,
 * donation, sub, moderation change) gets the next seq here, is appended to the stored log
 * and the bounded history, then fanned out through the room's uWebSockets.js topic, so every
 * member receives the same events in the same order. Events sequenced close together leave
 * as one batch (one event-loop turn, at most batchIntervalMs): one transaction, one frame
 * serialized once for all members.
 * Reactions are not sequenced; they are counted per window and published once per window.
 */
import { NotFoundError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { encodeMessage } from '../protocol/codec.ts';
import type { ChatEvent, ChatRole, ChatUser, ModerationAction, ReactionEmoji, ServerMessage } from '../protocol/messages.ts';
import { TokenBucket } from '../ws/TokenBucket.ts';
import { anonymousName } from './anonymous-name.ts';
import { ChatLimitError, ChatRestrictedError } from './chat-errors.ts';
import { ChatHistory, type ResumeSlice } from './ChatHistory.ts';
import type { ChatIdentity } from './ChatIdentities.ts';
import type { ChatLog } from './ChatLog.ts';
import { ChatModeration } from './ChatModeration.ts';
import { toLedgerEntry, type LedgerRecord } from './Ledger.ts';
import { ReactionWindow } from './ReactionWindow.ts';

const baseLogger = createLogger('signaling:ChatRoom');

export function chatTopic(streamId: string): string {
  return `chat/${streamId}`;
}

/** What a room needs from a socket (WsConnection provides it). */
export interface ChatConnection {
  readonly id: number;
  readonly closed: boolean;
  send(message: ServerMessage): boolean;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
}

export interface ChatMember {
  readonly conn: ChatConnection;
  readonly userId: string;
  readonly name: string;
}

export interface ChatRoomOptions {
  /** Events kept in memory for joins and resumes. */
  readonly historySize: number;
  /** Reaction aggregation window. */
  readonly reactionWindowMs: number;
  /** Room-wide flood control for viewers' messages (streamer and moderators are exempt). */
  readonly roomMessagesPerSecond: number;
  readonly roomMessageBurst: number;
  /** Largest number of events in one published frame. */
  readonly maxBatchEvents: number;
  /**
   * Least time between two published batches. A quiet room publishes at once; a busy one
   * gathers what arrives within this window into one frame, so the per-member send cost is
   * paid per batch, not per message (at most this much added delay).
   */
  readonly batchIntervalMs: number;
  /**
   * Events sequenced but not yet sent beyond which viewers' messages are refused (room_busy):
   * when the process cannot keep up, the queue must not grow until every flush takes seconds.
   */
  readonly maxPendingEvents: number;
}

/** Sends frames to every subscriber of a topic (uWS app.publish). */
export type Publish = (topic: string, frame: Uint8Array) => void;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type NewEvent = DistributiveOmit<ChatEvent, 'seq' | 'at'>;
type PendingAck = { readonly conn: ChatConnection; readonly reqId: number; readonly seq: number };

/** Stream times outside [now - 6 h, now + 1 min] are clamped: a wrong clock must not hold a message back forever. */
const STREAM_TIME_PAST_MS = 6 * 3600_000;
const STREAM_TIME_FUTURE_MS = 60_000;
/** Most events stored and published in one event-loop turn. */
const FLUSH_SLICE_EVENTS = 2048;
/** A flush slower than this delays every member's chat: worth a warning. */
const SLOW_FLUSH_MS = 100;
const SLOW_FLUSH_WARN_EVERY_MS = 10_000;
const RANK: Readonly<Record<ChatRole, number>> = { viewer: 0, moderator: 1, streamer: 2 };

export class ChatRoom {
  readonly streamId: string;
  readonly topic: string;
  readonly moderation: ChatModeration;
  readonly #log: ChatLog;
  readonly #publish: Publish;
  readonly #options: ChatRoomOptions;
  readonly #logger: Logger;
  readonly #history: ChatHistory;
  readonly #members = new Map<ChatConnection, ChatMember>();
  readonly #streamerIds = new Set<string>();
  readonly #flood: TokenBucket;
  readonly #reactions = new ReactionWindow();
  #seq: number;
  #pending: ChatEvent[] = [];
  #acks: PendingAck[] = [];
  #flushScheduled = false;
  #lastFlushAt = Number.NEGATIVE_INFINITY;
  #reactionTimer: NodeJS.Timeout | undefined;
  #slowFlushes = 0;
  #slowFlushWarnedAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(streamId: string, deps: { log: ChatLog; publish: Publish }, options: ChatRoomOptions) {
    this.streamId = streamId;
    this.topic = chatTopic(streamId);
    this.#log = deps.log;
    this.#publish = deps.publish;
    this.#options = options;
    this.#logger = baseLogger.child(`stream:${streamId}`);
    this.moderation = new ChatModeration(streamId, deps.log);
    this.#flood = new TokenBucket({ ratePerSecond: options.roomMessagesPerSecond, burst: options.roomMessageBurst });
    // Continue the stored sequence: seqs never repeat across restarts.
    this.#seq = deps.log.lastSeq(streamId);
    const recent = deps.log.newest(streamId, options.historySize);
    this.#history = new ChatHistory(options.historySize, recent.length > 0 ? recent[0]!.seq - 1 : this.#seq);
    for (const event of recent) this.#history.push(event);
    this.#logger.debug(`open [lastSeq:${this.#seq}] [history:${recent.length}]`);
  }

  get memberCount(): number {
    return this.#members.size;
  }

  /** Newest seq handed out (events may still be waiting for this turn's flush). */
  get lastSeq(): number {
    return this.#seq;
  }

  get closed(): boolean {
    return this.#closed;
  }

  join(conn: ChatConnection, identity: ChatIdentity, isStreamer: boolean): ChatMember {
    const member: ChatMember = { conn, userId: identity.userId, name: identity.name };
    this.#members.set(conn, member);
    if (isStreamer) this.#streamerIds.add(identity.userId);
    conn.subscribe(this.topic);
    return member;
  }

  leave(conn: ChatConnection): void {
    if (!this.#members.delete(conn)) return;
    if (!conn.closed) conn.unsubscribe(this.topic);
  }

  roleOf(userId: string): ChatRole {
    if (this.#streamerIds.has(userId)) return 'streamer';
    return this.moderation.isModerator(userId) ? 'moderator' : 'viewer';
  }

  userOf(member: ChatMember): ChatUser {
    return { id: member.userId, name: member.name, role: this.roleOf(member.userId) };
  }

  /**
   * What a joining client gets: every flushed event after `lastSeq` when resuming (plus what is
   * no longer held), or the newest `limit` on a fresh join. Later events reach it through the
   * topic it was subscribed to in join(), so nothing falls between the two.
   */
  snapshot(lastSeq: number | undefined, limit: number): ResumeSlice & { lastSeq: number } {
    const newest = this.#history.lastSeq;
    // A seq from the future (another server's room, a wiped database) cannot be resumed: start over.
    if (lastSeq !== undefined && lastSeq <= newest) return { ...this.#history.after(lastSeq), lastSeq: newest };
    return { events: this.#history.latest(limit), missed: null, lastSeq: newest };
  }

  /** A chat message from a member; the sender gets chatAck with its seq once it is stored and sent. */
  say(member: ChatMember, text: string, streamTime: number, reqId: number): number {
    const now = Date.now();
    const user = this.userOf(member);
    if (user.role === 'viewer') {
      this.#checkRestriction(member.userId, now);
      const wait = this.moderation.slowModeWait(member.userId, now);
      if (wait > 0) {
        throw new ChatLimitError('slow_mode', `slow mode is on (one message every ${this.moderation.slowModeSeconds} s): wait ${Math.ceil(wait / 1000)} s`);
      }
      if (this.#pending.length >= this.#options.maxPendingEvents || !this.#flood.take()) throw new ChatLimitError('room_busy', 'this chat is too busy right now; your message was dropped, try again in a moment');
      this.moderation.noteMessage(member.userId, now);
    }
    const seq = this.#post({ kind: 'message', streamTime: clampStreamTime(streamTime, now), user, text });
    this.#acks.push({ conn: member.conn, reqId, seq });
    return seq;
  }

  react(member: ChatMember, emoji: ReactionEmoji, streamTime: number): void {
    const now = Date.now();
    if (this.moderation.restriction(member.userId, now)?.kind === 'ban') return; // silently: reactions have no reply
    this.#reactions.add(emoji, clampStreamTime(streamTime, now));
    this.#reactionTimer ??= setTimeout(() => this.#flushReactions(), this.#options.reactionWindowMs);
  }

  moderate(actor: ChatMember, action: ModerationAction): void {
    const by = this.userOf(actor);
    if (by.role === 'viewer') throw new ChatRestrictedError('not_moderator', 'only the streamer and moderators can moderate this chat');
    const now = Date.now();
    if (action.op === 'delete') {
      this.#deleteMessage(by, action.seq, now);
      return;
    }
    if (action.op === 'slowMode') {
      this.moderation.setSlowMode(action.seconds);
    } else {
      if ((action.op === 'addModerator' || action.op === 'removeModerator') && by.role !== 'streamer') {
        throw new ChatRestrictedError('not_moderator', 'only the streamer can add or remove moderators');
      }
      this.#checkOutranks(by, action.userId);
      if (action.op === 'timeout') this.moderation.timeout(action.userId, now + action.seconds * 1000);
      else if (action.op === 'ban') this.moderation.ban(action.userId);
      else if (action.op === 'unban') this.moderation.lift(action.userId);
      else this.moderation.setModerator(action.userId, action.op === 'addModerator');
    }
    const targetName = 'userId' in action ? this.#nameOf(action.userId) : null;
    this.#post({ kind: 'moderation', streamTime: now, action, targetName, by });
    this.#logger.info(`moderate() [op:${action.op}] [by:${by.id}]${'userId' in action ? ` [user:${action.userId}]` : ''}`);
  }

  /** Shows a recorded donation or sub in chat (highlighted by clients, an alert on the streamer's page). */
  announce(record: LedgerRecord): void {
    const user: ChatUser = { id: record.userId, name: record.name, role: this.roleOf(record.userId) };
    const entry = toLedgerEntry(record);
    this.#post(record.kind === 'donation' ? { kind: 'donation', streamTime: record.streamTime, user, entry } : { kind: 'sub', streamTime: record.streamTime, user, entry });
  }

  /**
   * Stores and publishes what was sequenced (normally once per batch interval). A backlog is sent
   * in slices of FLUSH_SLICE_EVENTS, one per event-loop turn, so incoming frames are still read in between.
   */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const started = performance.now();
    this.#lastFlushAt = started;
    const events = this.#pending.length <= FLUSH_SLICE_EVENTS ? this.#pending : this.#pending.slice(0, FLUSH_SLICE_EVENTS);
    const lastSeq = events.at(-1)!.seq;
    const ackCount = this.#acks.findIndex((a) => a.seq > lastSeq);
    const acks = ackCount < 0 ? this.#acks : this.#acks.slice(0, ackCount);
    this.#pending = events === this.#pending ? [] : this.#pending.slice(events.length);
    this.#acks = acks === this.#acks ? [] : this.#acks.slice(acks.length);
    if (this.#pending.length > 0 && !this.#closed) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
    try {
      this.#log.append(this.streamId, events);
    } catch (err) {
      // Chat stays up when the disk fails; the log has a hole the operator must look at.
      this.#logger.error(`flush() could not store seqs ${events[0]!.seq}..${events.at(-1)!.seq}`, err);
    }
    const stored = performance.now();
    for (const event of events) this.#history.push(event);
    const max = this.#options.maxBatchEvents;
    for (let i = 0; i < events.length; i += max) {
      const batch = events.length <= max ? events : events.slice(i, i + max);
      this.#publish(this.topic, encodeMessage({ type: 'chat', streamId: this.streamId, events: batch }));
    }
    for (const ack of acks) ack.conn.send({ type: 'chatAck', reqId: ack.reqId, seq: ack.seq });
    const took = performance.now() - started;
    if (took > SLOW_FLUSH_MS) this.#warnSlowFlush(events.length, took, stored - started);
  }

  /** Flushes what is pending and stops the timers; members stay subscribed until their sockets close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#pending.length > 0) this.flush();
    clearTimeout(this.#reactionTimer);
    this.#flushReactions();
    for (const conn of [...this.#members.keys()]) this.leave(conn);
  }

  #post(event: NewEvent): number {
    const seq = ++this.#seq;
    this.#pending.push({ ...event, seq, at: Date.now() } as ChatEvent);
    if (!this.#flushScheduled && !this.#closed) {
      this.#flushScheduled = true;
      const wait = this.#lastFlushAt + this.#options.batchIntervalMs - performance.now();
      if (wait <= 0) setImmediate(() => this.flush());
      else setTimeout(() => this.flush(), wait);
    }
    if (this.#closed) this.flush();
    return seq;
  }

  /** At most one warning per SLOW_FLUSH_WARN_EVERY_MS, counting the slow flushes in between. */
  #warnSlowFlush(events: number, tookMs: number, storingMs: number): void {
    this.#slowFlushes++;
    const now = performance.now();
    if (now - this.#slowFlushWarnedAt < SLOW_FLUSH_WARN_EVERY_MS) return;
    this.#logger.warn(
      `flush() of ${events} events took ${Math.round(tookMs)} ms (storing ${Math.round(storingMs)} ms); ${this.#slowFlushes} slow flushes since the last warning: the disk or the CPU is overloaded`,
    );
    this.#slowFlushWarnedAt = now;
    this.#slowFlushes = 0;
  }

  #flushReactions(): void {
    this.#reactionTimer = undefined;
    const totals = this.#reactions.take();
    if (!totals) return;
    this.#publish(
      this.topic,
      encodeMessage({ type: 'reactions', streamId: this.streamId, windowMs: this.#options.reactionWindowMs, streamTime: totals.streamTime, counts: totals.counts }),
    );
  }

  #deleteMessage(by: ChatUser, seq: number, now: number): void {
    const pendingIndex = this.#pending.findIndex((e) => e.seq === seq);
    const target = pendingIndex >= 0 ? this.#pending[pendingIndex] : (this.#history.find(seq) ?? this.#log.get(this.streamId, seq));
    if (!target || target.kind !== 'message') throw new NotFoundError(`there is no message ${seq} in this chat`);
    this.#checkOutranks(by, target.user.id);
    if (target.deleted) return;
    const deleted: ChatEvent = { ...target, text: '', deleted: true };
    if (pendingIndex >= 0) this.#pending[pendingIndex] = deleted;
    else {
      this.#history.replace(deleted);
      this.#log.markDeleted(this.streamId, deleted);
    }
    this.#post({ kind: 'delete', streamTime: now, targetSeq: seq, by });
  }

  #checkRestriction(userId: string, now: number): void {
    const restriction = this.moderation.restriction(userId, now);
    if (restriction?.kind === 'ban') throw new ChatRestrictedError('banned', 'you are banned from this chat');
    if (restriction?.kind === 'timeout') {
      throw new ChatRestrictedError('timed_out', `you are timed out in this chat for another ${Math.ceil((restriction.untilMs - now) / 1000)} s`);
    }
  }

  /** Moderators act on viewers only; the streamer on anyone. */
  #checkOutranks(by: ChatUser, targetUserId: string): void {
    if (by.role === 'streamer' || RANK[by.role] > RANK[this.roleOf(targetUserId)]) return;
    throw new ChatRestrictedError('not_moderator', 'moderators cannot act on the streamer or other moderators');
  }

  #nameOf(userId: string): string {
    for (const member of this.#members.values()) if (member.userId === userId) return member.name;
    return anonymousName(userId);
  }
}

export function clampStreamTime(streamTime: number, now: number): number {
  return Math.min(Math.max(streamTime, now - STREAM_TIME_PAST_MS), now + STREAM_TIME_FUTURE_MS);
}
