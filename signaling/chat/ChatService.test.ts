/**
 * ChatService on a real SQLite database across restarts of the chat layer: the sequence
 * continues, history and moderation state come back, and ledger rows whose chat event was
 * lost in a crash are announced exactly once.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { decode } from '@msgpack/msgpack';
import type { ChatEvent, ServerMessage } from '../protocol/messages.ts';
import { StreamRegistry } from '../streams/StreamRegistry.ts';
import { ChatDatabase } from './ChatDatabase.ts';
import { ChatService } from './ChatService.ts';
import { Ledger } from './Ledger.ts';
import { RecordingConnection } from './testing/RecordingConnection.ts';
import { tempDataDir } from './testing/chat-clients.ts';

const data = tempDataDir();
const streams = new StreamRegistry();

function openChat(published: ServerMessage[] = []): { chat: ChatService; database: ChatDatabase } {
  const database = ChatDatabase.open(data.dir);
  const chat = new ChatService({ streams, database, publish: (_topic, frame) => published.push(decode(frame) as ServerMessage) });
  return { chat, database };
}

function shutdown(opened: { chat: ChatService; database: ChatDatabase }): void {
  opened.chat.close();
  opened.database.close();
}

const publishedEvents = (published: ServerMessage[]): ChatEvent[] => published.flatMap((m) => (m.type === 'chat' ? m.events : []));

describe('ChatService across restarts', () => {
  after(() => data.remove());

  test('a reopened room continues its sequence and restores history, slow mode, moderators and bans', async () => {
    const stream = streams.create('restart me');
    const first = openChat();
    const streamer = new RecordingConnection();
    const troll = new RecordingConnection();
    const helper = new RecordingConnection();
    first.chat.join(streamer, { type: 'chatJoin', reqId: 1, streamId: stream.id, streamKey: stream.streamKey, historyLimit: 50 });
    const trollJoin = first.chat.join(troll, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 50 });
    const helperJoin = first.chat.join(helper, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 50 });
    for (let n = 1; n <= 3; n++) first.chat.say(streamer, { type: 'chatSend', reqId: n, streamId: stream.id, text: `hello ${n}`, streamTime: n });
    first.chat.moderate(streamer, stream.id, { op: 'ban', userId: trollJoin.you.id });
    first.chat.moderate(streamer, stream.id, { op: 'addModerator', userId: helperJoin.you.id });
    first.chat.moderate(streamer, stream.id, { op: 'slowMode', seconds: 10 });
    await nextTurn();
    shutdown(first);

    const second = openChat();
    try {
      const viewer = new RecordingConnection();
      const rejoined = second.chat.join(viewer, { type: 'chatJoin', reqId: 2, streamId: stream.id, historyLimit: 50 });
      assert.equal(rejoined.lastSeq, 6);
      assert.deepEqual(rejoined.events.map((e) => e.kind), ['message', 'message', 'message', 'moderation', 'moderation', 'moderation']);
      assert.equal(rejoined.slowModeSeconds, 10);

      const trollAgain = new RecordingConnection();
      second.chat.join(trollAgain, { type: 'chatJoin', reqId: 3, streamId: stream.id, token: trollJoin.token, historyLimit: 0 });
      assert.throws(() => second.chat.say(trollAgain, { type: 'chatSend', reqId: 4, streamId: stream.id, text: 'still banned?', streamTime: 1 }), /banned/);
      const helperAgain = new RecordingConnection();
      assert.equal(second.chat.join(helperAgain, { type: 'chatJoin', reqId: 5, streamId: stream.id, token: helperJoin.token, historyLimit: 0 }).you.role, 'moderator');

      assert.equal(second.chat.say(viewer, { type: 'chatSend', reqId: 6, streamId: stream.id, text: 'after restart', streamTime: 1 }), 7, 'seqs continue, never repeat');
    } finally {
      shutdown(second);
    }
  });

  test('a ledger row whose chat event was lost in a crash is announced once when its room loads, and never again', async () => {
    const stream = streams.create('lost announcement');
    const crashed = ChatDatabase.open(data.dir);
    // What a crash between the ledger commit and the next chat batch leaves behind.
    new Ledger(crashed).insertOnce({
      id: Ledger.newId('donation'),
      streamId: stream.id,
      idempotencyKey: 'key-before-crash',
      kind: 'donation',
      amountMinor: 700,
      currency: 'EUR',
      userId: 'anonymous',
      name: 'Early bird',
      message: null,
      tier: null,
      months: null,
      fingerprint: 'f',
      provider: 'test',
      providerRef: 'test_ref',
      streamTime: 42,
      createdAt: Date.now(),
    });
    crashed.close();

    const published: ServerMessage[] = [];
    const first = openChat(published);
    first.chat.join(new RecordingConnection(), { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 50 });
    await nextTurn();
    const announced = publishedEvents(published);
    assert.equal(announced.length, 1);
    assert.ok(announced[0]?.kind === 'donation' && announced[0].entry.name === 'Early bird' && announced[0].streamTime === 42);
    shutdown(first);

    const again: ServerMessage[] = [];
    const second = openChat(again);
    try {
      const joined = second.chat.join(new RecordingConnection(), { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 50 });
      await nextTurn();
      assert.deepEqual(publishedEvents(again), []);
      assert.deepEqual(joined.events.map((e) => e.kind), ['donation']);
    } finally {
      shutdown(second);
    }
  });
});
