/**
 * The HMAC key behind chat identity tokens, created once and kept in the chat database, so
 * tokens (and the names and bans tied to them) stay valid across restarts.
 */
import { randomBytes } from 'node:crypto';
import type { ChatDatabase } from './ChatDatabase.ts';

const KEY_NAME = 'identity_hmac_key';

export function chatIdentityKey(database: ChatDatabase): Buffer {
  const db = database.chat;
  db.prepare('INSERT OR IGNORE INTO chat_meta (key, value) VALUES (?, ?)').run(KEY_NAME, randomBytes(32));
  const row = db.prepare('SELECT value FROM chat_meta WHERE key = ?').get(KEY_NAME) as { value: Buffer } | undefined;
  if (!row || row.value.length < 32) throw new Error('the chat database has no identity key; delete chat_meta row "identity_hmac_key" to regenerate it');
  return row.value;
}
