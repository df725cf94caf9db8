/**
 * The HMAC key behind chat identity tokens, created once and kept in the chat database, so
 * tokens (and the names and bans tied to them) stay valid across restarts. In a cluster every
 * node stores the key the cluster agreed on (RedisChatBus), so a token works on any node.
 */
import { randomBytes } from 'node:crypto';
import type { ChatDatabase } from './ChatDatabase.ts';
import { readChatMeta, writeChatMeta } from './chat-meta.ts';

const KEY_NAME = 'identity_hmac_key';

export function chatIdentityKey(database: ChatDatabase): Buffer {
  database.chat.prepare('INSERT OR IGNORE INTO chat_meta (key, value) VALUES (?, ?)').run(KEY_NAME, randomBytes(32));
  const value = readChatMeta(database, KEY_NAME);
  if (!Buffer.isBuffer(value) || value.length < 32) throw new Error('the chat database has no identity key; delete chat_meta row "identity_hmac_key" to regenerate it');
  return value;
}

/** Replaces this database's key (with the one the cluster shares). */
export function saveChatIdentityKey(database: ChatDatabase, key: Buffer): void {
  if (key.length < 32) throw new RangeError('a chat identity key has at least 32 bytes');
  writeChatMeta(database, KEY_NAME, key);
}
