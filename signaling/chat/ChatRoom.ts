/**
 * One stream's chat room on this node: every event (message, delete, donation, sub, moderation
 * change) is handed to the ChatBus, which gives it the room's next seq (in this process, or in
 * Redis for a cluster) and hands it back, in seq order, to every node's copy of the room. Here
 * it is then applied (moderation state, deletes), appended to the stored log and the bounded
 * history, and fanned out through the room's uWebSockets.js topic, so every member on every node
 * receives the same events in the same order. Events delivered close together leave as one batch
 * (one event-loop turn, at most batchIntervalMs): one transaction, one frame serialized once for
 * all members; the sender's chatAck follows its batch.
 * Reactions are not sequenced; they are counted per window, combined through the bus, and
 * published once per window.
 */
import { NotFoundError, ServiceUnavailableError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { encodeMessage } from '../protocol/codec.ts';
import type { ChatEvent, ChatRole, ChatUser, ModerationAction, ReactionEmoji, ServerMessage } from '../protocol/messages.ts';
import { TokenBucket } from '../ws/TokenBucket.ts';
import { anonymousName } from './anonymous-name.ts';
import type { ChatBus, DeliveredEvent, ReactionTotals, UnsequencedEvent } from './ChatBus.ts';
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
type Sender = { readonly conn: ChatConnection; readonly reqId: number };
type PendingAck = Sender & { readonly seq: number };
/** A member resuming from a seq this node's copy has not reached yet (it trails the cluster's order by a moment). */
type CatchUp = { readonly afterSeq: number; readonly untilMs: number };

export interface ChatRoomDeps {
  readonly log: ChatLog;
  readonly publish: Publish;
  readonly bus: ChatBus;
}

/** Submission tickets are unique in the process, so an event delivered to a reloaded room never acks a stale sender. */
let nextTicket = 1;

/** Stream times outside [now - 6 h, now + 1 min] are clamped: a wrong clock must not hold a message back forever. */
const STREAM_TIME_PAST_MS = 6 * 3600_000;
const STREAM_TIME_FUTURE_MS = 60_000;
/** Most events stored and published in one event-loop turn. */
const FLUSH_SLICE_EVENTS = 2048;
/** A flush slower than this delays every member's chat: worth a warning. */
const SLOW_FLUSH_MS = 100;
const SLOW_FLUSH_WARN_EVERY_MS = 10_000;
const RANK: Readonly<Record<ChatRole, number>> = { viewer: 0, moderator: 1, streamer: 2 };
/** How long a resume from a seq this node has not seen waits for its copy to catch up before it is taken as live. */
const CATCH_UP_MS = 5000;

export class ChatRoom {
  readonly streamId: string;
  readonly topic: string;
  readonly moderation: ChatModeration;
  readonly #log: ChatLog;
  readonly #publish: Publish;
  readonly #bus: ChatBus;
  readonly #options: ChatRoomOptions;
  readonly #logger: Logger;
  readonly #history: ChatHistory;
  readonly #members = new Map<ChatConnection, ChatMember>();
  readonly #streamerIds = new Set<string>();
  readonly #flood: TokenBucket;
  readonly #reactions = new ReactionWindow();
  /** Newest seq delivered to this copy (events may still be waiting for their flush). */
  #seq: number;
  #pending: ChatEvent[] = [];
  #acks: PendingAck[] = [];
  /** Senders of submissions not delivered back yet, by ticket. */
  readonly #submitted = new Map<number, Sender | null>();
  #lastDelivered: { ticket: number; seq: number } | undefined;
  readonly #catchingUp = new Map<ChatConnection, CatchUp>();
  #catchUpTimer: NodeJS.Timeout | undefined;
  #flushScheduled = false;
  #lastFlushAt = Number.NEGATIVE_INFINITY;
  #reactionTimer: NodeJS.Timeout | undefined;
  #slowFlushes = 0;
  #slowFlushWarnedAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(streamId: string, deps: ChatRoomDeps, options: ChatRoomOptions) {
    this.streamId = streamId;
    this.topic = chatTopic(streamId);
    this.#log = deps.log;
    this.#publish = deps.publish;
    this.#bus = deps.bus;
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

  /** Newest seq delivered to this copy of the room (events may still be waiting for this turn's flush). */
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
    this.#catchingUp.delete(conn);
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
   * What a joining member gets: every flushed event after `lastSeq` when resuming (plus what is
   * no longer held), or the newest `limit` on a fresh join. Later events reach it through the
   * topic it was subscribed to in join(), so nothing falls between the two.
   * On a distributed bus, a `lastSeq` this copy has not flushed yet was most likely seen on
   * another node a moment ago: the member gets nothing now and is held off the topic until this
   * copy has flushed past it, then sent what follows and subscribed (no gap, no duplicate).
   */
  snapshot(conn: ChatConnection, lastSeq: number | undefined, limit: number): ResumeSlice & { lastSeq: number } {
    const newest = this.#history.lastSeq;
    if (lastSeq !== undefined && lastSeq <= newest) return { ...this.#history.after(lastSeq), lastSeq: newest };
    if (lastSeq !== undefined && this.#bus.distributed && this.#members.has(conn)) {
      conn.unsubscribe(this.topic);
      this.#catchingUp.set(conn, { afterSeq: lastSeq, untilMs: Date.now() + CATCH_UP_MS });
      if (!this.#catchUpTimer) {
        this.#catchUpTimer = setInterval(() => this.#releaseCaughtUp(), 1000);
        this.#catchUpTimer.unref();
      }
      return { events: [], missed: null, lastSeq };
    }
    // A seq from the future (another server's room, a wiped database) cannot be resumed: start over.
    return { events: this.#history.latest(limit), missed: null, lastSeq: newest };
  }

  /**
   * A chat message from a member; the sender gets chatAck with its seq once it is stored and sent.
   * Returns the seq when the bus assigned it at once (one process), else undefined (it comes in the ack).
   */
  say(member: ChatMember, text: string, streamTime: number, reqId: number): number | undefined {
    const now = Date.now();
    const user = this.userOf(member);
    if (user.role === 'viewer') {
      this.#checkRestriction(member.userId, now);
      const wait = this.moderation.slowModeWait(member.userId, now);
      if (wait > 0) {
        throw new ChatLimitError('slow_mode', `slow mode is on (one message every ${this.moderation.slowModeSeconds} s): wait ${Math.ceil(wait / 1000)} s`);
      }
      if (this.#pending.length + this.#submitted.size >= this.#options.maxPendingEvents || !this.#flood.take()) {
        throw new ChatLimitError('room_busy', 'this chat is too busy right now; your message was dropped, try again in a moment');
      }
      this.moderation.noteMessage(member.userId, now);
    }
    const ticket = this.#post({ kind: 'message', streamTime: clampStreamTime(streamTime, now), user, text }, { conn: member.conn, reqId });
    return this.#lastDelivered?.ticket === ticket ? this.#lastDelivered.seq : undefined;
  }

  react(member: ChatMember, emoji: ReactionEmoji, streamTime: number): void {
    const now = Date.now();
    if (this.moderation.restriction(member.userId, now)?.kind === 'ban') return; // silently: reactions have no reply
    this.#reactions.add(emoji, clampStreamTime(streamTime, now));
    this.#reactionTimer ??= setTimeout(() => this.#flushReactions(), this.#options.reactionWindowMs);
  }

  /** Sends one window's totals (from the bus: this node's, or the cluster's combined) to the members here. */
  publishReactions(totals: ReactionTotals): void {
    this.#publish(
      this.topic,
      encodeMessage({ type: 'reactions', streamId: this.streamId, windowMs: this.#options.reactionWindowMs, streamTime: totals.streamTime, counts: totals.counts }),
    );
  }

  /**
   * Checks the actor may do this here, then submits the change; it takes effect (on every node)
   * when the bus delivers it back, which for one process is before this returns.
   */
  moderate(actor: ChatMember, action: ModerationAction): void {
    const by = this.userOf(actor);
    if (by.role === 'viewer') throw new ChatRestrictedError('not_moderator', 'only the streamer and moderators can moderate this chat');
    const now = Date.now();
    if (action.op === 'delete') {
      this.#requestDelete(by, action.seq, now);
      return;
    }
    if (action.op !== 'slowMode') {
      if ((action.op === 'addModerator' || action.op === 'removeModerator') && by.role !== 'streamer') {
        throw new ChatRestrictedError('not_moderator', 'only the streamer can add or remove moderators');
      }
      this.#checkOutranks(by, action.userId);
    }
    const targetName = 'userId' in action ? this.#nameOf(action.userId) : null;
    this.#post({ kind: 'moderation', streamTime: now, action, targetName, by });
    this.#logger.info(`moderate() [op:${action.op}] [by:${by.id}]${'userId' in action ? ` [user:${action.userId}]` : ''}`);
  }

  /**
   * Shows a recorded donation or sub in chat (highlighted by clients, an alert on the streamer's page).
   * Resolves once the bus holds it (false: another node already announced this idempotency key).
   */
  announce(record: LedgerRecord): Promise<boolean> {
    const user: ChatUser = { id: record.userId, name: record.name, role: this.roleOf(record.userId) };
    const entry = toLedgerEntry(record);
    const event: NewEvent = record.kind === 'donation' ? { kind: 'donation', streamTime: record.streamTime, user, entry } : { kind: 'sub', streamTime: record.streamTime, user, entry };
    return this.#submit(event, null, `${record.kind}:${record.idempotencyKey}`);
  }

  /**
   * Events the bus ordered, in seq order: applied (moderation state, deletes), queued for the next
   * flush, and matched with the senders waiting for their ack. Seqs this copy already has are skipped.
   */
  receive(delivered: readonly DeliveredEvent[]): void {
    for (const { event, ticket } of delivered) {
      const sender = ticket === undefined ? undefined : this.#submitted.get(ticket);
      if (ticket !== undefined) this.#submitted.delete(ticket);
      if (event.seq <= this.#seq) {
        this.#logger.warn(`receive() skipped seq ${event.seq}: this copy is already at ${this.#seq}`);
        continue;
      }
      this.#seq = event.seq;
      this.#apply(event, sender === undefined);
      this.#pending.push(event);
      if (sender) this.#acks.push({ ...sender, seq: event.seq });
      if (ticket !== undefined) this.#lastDelivered = { ticket, seq: event.seq };
    }
    if (this.#pending.length === 0) return;
    if (this.#closed) {
      this.flush();
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      const wait = this.#lastFlushAt + this.#options.batchIntervalMs - performance.now();
      if (wait <= 0) setImmediate(() => this.flush());
      else setTimeout(() => this.flush(), wait);
    }
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
    for (const event of events) {
      // A hole in what this copy got (it fell behind the bus's bounded log): resumes from before it are told they missed it.
      if (event.seq > this.#history.lastSeq + 1) {
        this.#logger.warn(`flush(): seqs ${this.#history.lastSeq + 1}..${event.seq - 1} never reached this node`);
        this.#history.restartAt(event.seq - 1);
      }
      this.#history.push(event);
    }
    const max = this.#options.maxBatchEvents;
    for (let i = 0; i < events.length; i += max) {
      const batch = events.length <= max ? events : events.slice(i, i + max);
      this.#publish(this.topic, encodeMessage({ type: 'chat', streamId: this.streamId, events: batch }));
    }
    for (const ack of acks) ack.conn.send({ type: 'chatAck', reqId: ack.reqId, seq: ack.seq });
    if (this.#catchingUp.size > 0) this.#releaseCaughtUp();
    const took = performance.now() - started;
    if (took > SLOW_FLUSH_MS) this.#warnSlowFlush(events.length, took, stored - started);
  }

  /** Flushes what is pending and stops the timers; members stay subscribed until their sockets close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#pending.length > 0) this.flush();
    clearTimeout(this.#reactionTimer);
    clearInterval(this.#catchUpTimer);
    this.#flushReactions();
    for (const conn of [...this.#members.keys()]) this.leave(conn);
  }

  /** Submits an event; returns its ticket (the sender is acked when it comes back). */
  #post(event: NewEvent, sender: Sender | null = null): number {
    const ticket = nextTicket++;
    void this.#submitAs(ticket, event, sender, undefined);
    return ticket;
  }

  #submit(event: NewEvent, sender: Sender | null, onceKey: string | undefined): Promise<boolean> {
    return this.#submitAs(nextTicket++, event, sender, onceKey);
  }

  async #submitAs(ticket: number, event: NewEvent, sender: Sender | null, onceKey: string | undefined): Promise<boolean> {
    this.#submitted.set(ticket, sender);
    const unsequenced = { ...event, at: Date.now() } as UnsequencedEvent;
    try {
      const accepted = await this.#bus.submit(this.streamId, unsequenced, { ticket, floorSeq: this.#seq, ...(onceKey === undefined ? {} : { onceKey }) });
      if (!accepted) this.#submitted.delete(ticket);
      return accepted;
    } catch (err) {
      // Not ordered, so never delivered: the sender hears it now and may send again.
      this.#submitted.delete(ticket);
      this.#logger.warn(`could not order a ${event.kind} event: ${err instanceof Error ? err.message : String(err)}`);
      if (sender && !sender.conn.closed) {
        const failure = new ServiceUnavailableError('chat cannot reach its message order (Redis) right now; send again in a moment', 'chat_unavailable');
        sender.conn.send({ type: 'error', reqId: sender.reqId, status: failure.status, code: failure.code, message: failure.message });
      }
      if (sender === null && onceKey !== undefined) throw err;
      return false;
    }
  }

  /** What an event changes besides the log: moderation state, the deleted message, who the streamer is. */
  #apply(event: ChatEvent, foreign: boolean): void {
    if ('user' in event && event.user.role === 'streamer') this.#streamerIds.add(event.user.id);
    if ('by' in event && event.by.role === 'streamer') this.#streamerIds.add(event.by.id);
    if (event.kind === 'message') {
      // A message sent through another node counts for slow mode here too.
      if (foreign && event.user.role === 'viewer') this.moderation.noteMessage(event.user.id, event.at);
    } else if (event.kind === 'delete') {
      this.#applyDelete(event.targetSeq);
    } else if (event.kind === 'moderation') {
      const action = event.action;
      if (action.op === 'slowMode') this.moderation.setSlowMode(action.seconds);
      else if (action.op === 'timeout') this.moderation.timeout(action.userId, event.at + action.seconds * 1000);
      else if (action.op === 'ban') this.moderation.ban(action.userId);
      else if (action.op === 'unban') this.moderation.lift(action.userId);
      else if (action.op === 'addModerator' || action.op === 'removeModerator') this.moderation.setModerator(action.userId, action.op === 'addModerator');
    }
  }

  /** Members whose resume point this copy has now flushed past get what follows it and join the topic. */
  #releaseCaughtUp(): void {
    const newest = this.#history.lastSeq;
    const now = Date.now();
    for (const [conn, wait] of this.#catchingUp) {
      if (wait.afterSeq > newest && wait.untilMs > now) continue;
      this.#catchingUp.delete(conn);
      if (conn.closed || !this.#members.has(conn)) continue;
      if (wait.afterSeq > newest) {
        this.#logger.warn(`a member resumed from seq ${wait.afterSeq}, which this room never reached (newest ${newest}); it gets live events from here`);
      } else {
        const { events } = this.#history.after(wait.afterSeq);
        if (events.length > 0) conn.send({ type: 'chat', streamId: this.streamId, events });
      }
      conn.subscribe(this.topic);
    }
    if (this.#catchingUp.size === 0) {
      clearInterval(this.#catchUpTimer);
      this.#catchUpTimer = undefined;
    }
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
    if (totals) this.#bus.shareReactions(this.streamId, totals);
  }

  #findEvent(seq: number): { event: ChatEvent | undefined; pendingIndex: number } {
    const pendingIndex = this.#pending.findIndex((e) => e.seq === seq);
    return { event: pendingIndex >= 0 ? this.#pending[pendingIndex] : (this.#history.find(seq) ?? this.#log.get(this.streamId, seq)), pendingIndex };
  }

  #requestDelete(by: ChatUser, seq: number, now: number): void {
    const { event: target } = this.#findEvent(seq);
    if (!target || target.kind !== 'message') throw new NotFoundError(`there is no message ${seq} in this chat`);
    this.#checkOutranks(by, target.user.id);
    if (target.deleted) return;
    this.#post({ kind: 'delete', streamTime: now, targetSeq: seq, by });
  }

  /** Clears the deleted message's text wherever this copy holds it (not yet sent, history, log). */
  #applyDelete(seq: number): void {
    const { event: target, pendingIndex } = this.#findEvent(seq);
    if (!target || target.kind !== 'message' || target.deleted) return;
    const deleted: ChatEvent = { ...target, text: '', deleted: true };
    if (pendingIndex >= 0) this.#pending[pendingIndex] = deleted;
    else {
      this.#history.replace(deleted);
      this.#log.markDeleted(this.streamId, deleted);
    }
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
