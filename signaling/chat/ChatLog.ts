/**
 * The stored chat log: every sequenced event of every room, appended in batches (one
 * transaction per published batch, so what clients saw is what is kept), read back for
 * history after a restart, scroll-back and VOD chat replay. Also the room state that must
 * outlive the process: slow mode, moderators, bans and timeouts.
 */
import type Database from 'better-sqlite3';
import { ChatEvent } from '../protocol/messages.ts';
import type { ChatDatabase } from './ChatDatabase.ts';

export interface StoredRoomState {
  readonly slowModeSeconds: number;
  readonly moderators: string[];
  /** user id → until (ms since epoch), or null for a ban. */
  readonly restrictions: Map<string, number | null>;
}

export interface LogPage {
  readonly events: ChatEvent[];
  readonly hasMore: boolean;
}

type EventRow = { event: string };

export class ChatLog {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, number, string, number, string | null, string | null, string]>;
  readonly #appendMany: (streamId: string, events: readonly ChatEvent[]) => void;
  readonly #lastSeq: Database.Statement<[string], { seq: number | null }>;
  readonly #newest: Database.Statement<[string, number], EventRow>;
  readonly #before: Database.Statement<[string, number, number], EventRow>;
  readonly #after: Database.Statement<[string, number, number], EventRow>;
  readonly #one: Database.Statement<[string, number], EventRow>;
  readonly #markDeleted: Database.Statement<[string, string, number]>;
  readonly #roomRow: Database.Statement<[string], { slow_mode_seconds: number }>;
  readonly #moderators: Database.Statement<[string], { user_id: string }>;
  readonly #restrictions: Database.Statement<[string], { user_id: string; until_ms: number | null }>;

  constructor(database: ChatDatabase) {
    const db = database.chat;
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO chat_events (stream_id, seq, kind, at, user_id, ledger_id, event) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#appendMany = db.transaction((streamId: string, events: readonly ChatEvent[]) => {
      for (const e of events) {
        const userId = 'user' in e ? e.user.id : e.by.id;
        const ledgerId = e.kind === 'donation' || e.kind === 'sub' ? e.entry.id : null;
        this.#insert.run(streamId, e.seq, e.kind, e.at, userId, ledgerId, JSON.stringify(e));
      }
    });
    this.#lastSeq = db.prepare('SELECT MAX(seq) AS seq FROM chat_events WHERE stream_id = ?');
    this.#newest = db.prepare('SELECT event FROM chat_events WHERE stream_id = ? ORDER BY seq DESC LIMIT ?');
    this.#before = db.prepare('SELECT event FROM chat_events WHERE stream_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?');
    this.#after = db.prepare('SELECT event FROM chat_events WHERE stream_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?');
    this.#one = db.prepare('SELECT event FROM chat_events WHERE stream_id = ? AND seq = ?');
    this.#markDeleted = db.prepare('UPDATE chat_events SET deleted = 1, event = ? WHERE stream_id = ? AND seq = ?');
    this.#roomRow = db.prepare('SELECT slow_mode_seconds FROM chat_rooms WHERE stream_id = ?');
    this.#moderators = db.prepare('SELECT user_id FROM chat_moderators WHERE stream_id = ?');
    this.#restrictions = db.prepare('SELECT user_id, until_ms FROM chat_restrictions WHERE stream_id = ?');
  }

  /** Appends events (already in seq order) in one transaction. */
  append(streamId: string, events: readonly ChatEvent[]): void {
    if (events.length > 0) this.#appendMany(streamId, events);
  }

  /** Highest stored seq of a room (0 when it has none). */
  lastSeq(streamId: string): number {
    return this.#lastSeq.get(streamId)?.seq ?? 0;
  }

  /** The newest `limit` events, oldest first. */
  newest(streamId: string, limit: number): ChatEvent[] {
    return this.#newest.all(streamId, limit).map(parse).reverse();
  }

  /** Up to `limit` events before `beforeSeq` (oldest first), for scroll-back. */
  before(streamId: string, beforeSeq: number, limit: number): LogPage {
    const rows = this.#before.all(streamId, beforeSeq, limit + 1);
    return { events: rows.slice(0, limit).map(parse).reverse(), hasMore: rows.length > limit };
  }

  /** Up to `limit` events after `afterSeq`, oldest first, for replay. */
  after(streamId: string, afterSeq: number, limit: number): LogPage {
    const rows = this.#after.all(streamId, afterSeq, limit + 1);
    return { events: rows.slice(0, limit).map(parse), hasMore: rows.length > limit };
  }

  get(streamId: string, seq: number): ChatEvent | undefined {
    const row = this.#one.get(streamId, seq);
    return row ? parse(row) : undefined;
  }

  /** Stores the deleted version of a message (its text cleared). */
  markDeleted(streamId: string, deleted: ChatEvent): void {
    this.#markDeleted.run(JSON.stringify(deleted), streamId, deleted.seq);
  }

  loadRoomState(streamId: string): StoredRoomState {
    const restrictions = new Map<string, number | null>();
    for (const r of this.#restrictions.all(streamId)) restrictions.set(r.user_id, r.until_ms);
    return {
      slowModeSeconds: this.#roomRow.get(streamId)?.slow_mode_seconds ?? 0,
      moderators: this.#moderators.all(streamId).map((r) => r.user_id),
      restrictions,
    };
  }

  saveSlowMode(streamId: string, seconds: number): void {
    this.#db
      .prepare('INSERT INTO chat_rooms (stream_id, slow_mode_seconds) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET slow_mode_seconds = excluded.slow_mode_seconds')
      .run(streamId, seconds);
  }

  saveModerator(streamId: string, userId: string, isModerator: boolean): void {
    if (isModerator) this.#db.prepare('INSERT OR IGNORE INTO chat_moderators (stream_id, user_id) VALUES (?, ?)').run(streamId, userId);
    else this.#db.prepare('DELETE FROM chat_moderators WHERE stream_id = ? AND user_id = ?').run(streamId, userId);
  }

  /** until: ms since epoch for a timeout, null for a ban, undefined to lift either. */
  saveRestriction(streamId: string, userId: string, until: number | null | undefined): void {
    if (until === undefined) this.#db.prepare('DELETE FROM chat_restrictions WHERE stream_id = ? AND user_id = ?').run(streamId, userId);
    else {
      this.#db
        .prepare('INSERT INTO chat_restrictions (stream_id, user_id, until_ms) VALUES (?, ?, ?) ON CONFLICT (stream_id, user_id) DO UPDATE SET until_ms = excluded.until_ms')
        .run(streamId, userId, until);
    }
  }
}

function parse(row: EventRow): ChatEvent {
  // Rows were written from validated events; parsing again guards against a hand-edited database.
  return ChatEvent.parse(JSON.parse(row.event));
}
