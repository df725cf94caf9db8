/**
 * The chat database: one SQLite file (DATA_DIR/chat.sqlite, WAL) holding the chat log, room
 * moderation state and the donations/subs ledger, opened through two connections with different
 * durability. WAL writes survive a process crash (kill -9) once committed on either; only
 * the ledger's commits are fsync'd (synchronous=FULL), so a donation also survives power loss
 * before it is acknowledged, while chat batches do not pay an fsync each.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLogger } from '../logger.ts';

const logger = createLogger('signaling:ChatDatabase');

export const CHAT_DB_FILE = 'chat.sqlite';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chat_meta (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
-- Every sequenced event of every room; event is the wire event as JSON (text cleared once deleted).
CREATE TABLE IF NOT EXISTS chat_events (
  stream_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  user_id TEXT,
  ledger_id TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  event TEXT NOT NULL,
  PRIMARY KEY (stream_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chat_events_by_ledger ON chat_events (ledger_id) WHERE ledger_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS chat_rooms (
  stream_id TEXT PRIMARY KEY,
  slow_mode_seconds INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chat_moderators (
  stream_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (stream_id, user_id)
) WITHOUT ROWID;
-- until_ms NULL = banned; a number = timed out until then.
CREATE TABLE IF NOT EXISTS chat_restrictions (
  stream_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  until_ms INTEGER,
  PRIMARY KEY (stream_id, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
  id TEXT PRIMARY KEY,
  stream_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('donation', 'sub')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  message TEXT,
  tier INTEGER,
  months INTEGER,
  fingerprint TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_ref TEXT NOT NULL,
  stream_time REAL NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (stream_id, idempotency_key)
);
`;

export class ChatDatabase {
  readonly path: string;
  /** Chat log and room state: WAL, synchronous=NORMAL (crash-safe, no fsync per batch). */
  readonly chat: Database.Database;
  /** Ledger: WAL, synchronous=FULL (each commit fsync'd before the donation is acknowledged). */
  readonly ledger: Database.Database;
  #closed = false;

  private constructor(path: string) {
    this.path = path;
    this.chat = open(path, 'NORMAL');
    this.chat.exec(SCHEMA);
    this.chat.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.ledger = open(path, 'FULL');
  }

  /** Opens (creating if needed) DATA_DIR/chat.sqlite, or an in-memory database for ':memory:'. */
  static open(dataDir: string): ChatDatabase {
    if (dataDir === ':memory:') throw new RangeError('ChatDatabase needs a directory: two connections cannot share an in-memory database');
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new Error(`cannot create DATA_DIR "${dataDir}" for the chat database (${(err as Error).message}); set DATA_DIR to a writable directory`);
    }
    const path = join(dataDir, CHAT_DB_FILE);
    logger.info(`open() [path:${path}]`);
    return new ChatDatabase(path);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.ledger.close();
    this.chat.close();
  }
}

function open(path: string, synchronous: 'NORMAL' | 'FULL'): Database.Database {
  const db = new Database(path);
  // Another process (a second server, a test run, the sqlite3 CLI) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  return db;
}
