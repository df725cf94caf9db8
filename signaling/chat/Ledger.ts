/**
 * The durable ledger of donations and subs. A row is written in its own transaction on the
 * synchronous=FULL connection, so insert() returns only after the commit is fsync'd: the caller
 * acknowledges after that, and the row survives kill -9 (or power loss) right after the ack.
 * (stream, idempotency key) is unique: a retry finds the first row instead of adding one.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Currency, LedgerEntry } from '../protocol/messages.ts';
import type { ChatDatabase } from './ChatDatabase.ts';
import { formatMinor } from './money.ts';

export type LedgerKind = LedgerEntry['kind'];

/** Everything stored for one payment (public entry fields plus what only the server sees). */
export interface LedgerRecord {
  readonly id: string;
  readonly streamId: string;
  readonly idempotencyKey: string;
  readonly kind: LedgerKind;
  readonly amountMinor: number;
  readonly currency: Currency;
  readonly userId: string;
  readonly name: string;
  readonly message: string | null;
  readonly tier: 1 | 2 | 3 | null;
  readonly months: number | null;
  /** Hash of the request's money fields: a reused key with another payload is refused. */
  readonly fingerprint: string;
  readonly provider: string;
  readonly providerRef: string;
  readonly streamTime: number;
  readonly createdAt: number;
}

type Row = {
  id: string;
  stream_id: string;
  idempotency_key: string;
  kind: LedgerKind;
  amount_minor: number;
  currency: Currency;
  user_id: string;
  name: string;
  message: string | null;
  tier: 1 | 2 | 3 | null;
  months: number | null;
  fingerprint: string;
  provider: string;
  provider_ref: string;
  stream_time: number;
  created_at: number;
};

export class Ledger {
  readonly #insert: Database.Statement<Row>;
  readonly #byKey: Database.Statement<[string, string], Row>;
  readonly #byStream: Database.Statement<[string, number], Row>;
  readonly #unannounced: Database.Statement<[string], Row>;
  readonly #count: Database.Statement<[string], { n: number }>;

  constructor(database: ChatDatabase) {
    const db = database.ledger;
    this.#insert = db.prepare(
      `INSERT INTO ledger (id, stream_id, idempotency_key, kind, amount_minor, currency, user_id, name, message, tier, months,
         fingerprint, provider, provider_ref, stream_time, created_at)
       VALUES (@id, @stream_id, @idempotency_key, @kind, @amount_minor, @currency, @user_id, @name, @message, @tier, @months,
         @fingerprint, @provider, @provider_ref, @stream_time, @created_at)
       ON CONFLICT (stream_id, idempotency_key) DO NOTHING`,
    );
    this.#byKey = db.prepare('SELECT * FROM ledger WHERE stream_id = ? AND idempotency_key = ?');
    this.#byStream = db.prepare('SELECT * FROM ledger WHERE stream_id = ? ORDER BY created_at, id LIMIT ?');
    // Rows whose chat announcement never made it into the log (a crash between commit and the next chat batch).
    this.#unannounced = db.prepare(
      `SELECT l.* FROM ledger l WHERE l.stream_id = ?
         AND NOT EXISTS (SELECT 1 FROM chat_events c WHERE c.stream_id = l.stream_id AND c.ledger_id = l.id)
       ORDER BY l.created_at, l.id`,
    );
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM ledger WHERE stream_id = ?');
  }

  static newId(kind: LedgerKind): string {
    return `${kind === 'donation' ? 'don' : 'sub'}_${randomBytes(12).toString('base64url')}`;
  }

  /**
   * Writes the record unless its (stream, key) is already there; returns the stored row and
   * whether this call created it. Durable (fsync'd) when it returns.
   */
  insertOnce(record: LedgerRecord): { record: LedgerRecord; created: boolean } {
    const created = this.#insert.run(toRow(record)).changes === 1;
    const stored = this.find(record.streamId, record.idempotencyKey);
    if (!stored) throw new Error(`ledger row for key ${record.idempotencyKey} vanished right after insert`);
    return { record: stored, created };
  }

  find(streamId: string, idempotencyKey: string): LedgerRecord | undefined {
    const row = this.#byKey.get(streamId, idempotencyKey);
    return row ? fromRow(row) : undefined;
  }

  list(streamId: string, limit = 1000): LedgerRecord[] {
    return this.#byStream.all(streamId, limit).map(fromRow);
  }

  count(streamId: string): number {
    return this.#count.get(streamId)?.n ?? 0;
  }

  unannounced(streamId: string): LedgerRecord[] {
    return this.#unannounced.all(streamId).map(fromRow);
  }
}

/** The public view of a ledger row. */
export function toLedgerEntry(record: LedgerRecord): LedgerEntry {
  return {
    id: record.id,
    kind: record.kind,
    streamId: record.streamId,
    amount: formatMinor(record.amountMinor, record.currency),
    amountMinor: record.amountMinor,
    currency: record.currency,
    name: record.name,
    message: record.message,
    tier: record.tier,
    months: record.months,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}

function toRow(r: LedgerRecord): Row {
  return {
    id: r.id,
    stream_id: r.streamId,
    idempotency_key: r.idempotencyKey,
    kind: r.kind,
    amount_minor: r.amountMinor,
    currency: r.currency,
    user_id: r.userId,
    name: r.name,
    message: r.message,
    tier: r.tier,
    months: r.months,
    fingerprint: r.fingerprint,
    provider: r.provider,
    provider_ref: r.providerRef,
    stream_time: r.streamTime,
    created_at: r.createdAt,
  };
}

function fromRow(r: Row): LedgerRecord {
  return {
    id: r.id,
    streamId: r.stream_id,
    idempotencyKey: r.idempotency_key,
    kind: r.kind,
    amountMinor: r.amount_minor,
    currency: r.currency,
    userId: r.user_id,
    name: r.name,
    message: r.message,
    tier: r.tier,
    months: r.months,
    fingerprint: r.fingerprint,
    provider: r.provider,
    providerRef: r.provider_ref,
    streamTime: r.stream_time,
    createdAt: r.created_at,
  };
}
