/** Small named values kept in the chat database's chat_meta table (identity key, the cluster bus's read position). */
import type { ChatDatabase } from './ChatDatabase.ts';

export function readChatMeta(database: ChatDatabase, key: string): Buffer | string | undefined {
  const row = database.chat.prepare('SELECT value FROM chat_meta WHERE key = ?').get(key) as { value: Buffer | string } | undefined;
  return row?.value;
}

export function writeChatMeta(database: ChatDatabase, key: string, value: Buffer | string): void {
  database.chat.prepare('INSERT INTO chat_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
