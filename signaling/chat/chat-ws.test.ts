/**
 * Chat over the real /ws gateway (uWebSockets.js, msgpack, SQLite under a temp DATA_DIR):
 * ordering under concurrent senders, resume without gap or duplicate, bounded history,
 * slow consumers, bad frames and floods, identity, moderation and reactions.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Platform } from '../platform.ts';
import { encodeMessage } from '../protocol/codec.ts';
import type { ChatEvent, ModerationAction, ServerMessage, ServerMessageOf } from '../protocol/messages.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';
import { assertContiguous, collectUntil, joinChat, reqIdFor, say, tempDataDir, wsUrl } from './testing/chat-clients.ts';

interface Ctx {
  platform: Platform;
  removeDir: () => void;
  clients: TestWsClient[];
}

function suiteContext(): Ctx {
  return { clients: [] } as unknown as Ctx;
}

async function connect(ctx: Ctx): Promise<TestWsClient> {
  const client = await TestWsClient.connect(wsUrl(ctx.platform));
  ctx.clients.push(client);
  return client;
}

function texts(events: readonly ChatEvent[]): string[] {
  return events.map((e) => (e.kind === 'message' ? e.text : `<${e.kind}>`));
}

async function expectError(client: TestWsClient, reqId: number | undefined): Promise<ServerMessageOf<'error'>> {
  const m = await client.nextWhere((x) => x.type === 'error' && (reqId === undefined || x.reqId === reqId));
  return m as ServerMessageOf<'error'>;
}

describe('chat with raised rate limits', () => {
  const ctx = suiteContext();
  before(async () => {
    const data = tempDataDir();
    ctx.removeDir = data.remove;
    ctx.platform = await startTestPlatform(
      { DATA_DIR: data.dir },
      {
        ws: { messagesPerSecond: 100_000, messageBurst: 100_000, maxBufferedBytes: 64 * 1024 },
        chat: { messagesPerSecond: 100_000, messageBurst: 100_000, historySize: 50 },
      },
    );
  });
  afterEach(async () => {
    await Promise.all(ctx.clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await ctx.platform.close();
    ctx.removeDir();
  });

  test('with many concurrent senders every member gets every message once, in one seq order, each sender in its own send order', async () => {
    const stream = ctx.platform.streams.create('busy room');
    const receivers = await Promise.all(Array.from({ length: 4 }, () => connect(ctx)));
    for (const r of receivers) await joinChat(r, stream.id);
    const senders = await Promise.all(Array.from({ length: 12 }, () => connect(ctx)));
    const senderIds: string[] = [];
    for (const s of senders) senderIds.push((await joinChat(s, stream.id)).you.id);

    const perSender = 40;
    // Every sender fires all its messages without waiting: the server interleaves them.
    senders.forEach((s, i) => {
      for (let n = 0; n < perSender; n++) s.send({ type: 'chatSend', reqId: n + 1, streamId: stream.id, text: `s${i}-${n}`, streamTime: Date.now() });
    });
    const total = senders.length * perSender;
    const seen = await Promise.all([...receivers, ...senders].map((c) => collectUntil(c, total)));

    for (const [i, events] of seen.entries()) assertContiguous(events, 1, total, `member ${i}`);
    const reference = texts(seen[0]!);
    for (const events of seen) assert.deepEqual(texts(events), reference, 'every member sees the same order');
    for (const [i, userId] of senderIds.entries()) {
      const own = seen[0]!.filter((e) => e.kind === 'message' && e.user.id === userId).map((e) => (e.kind === 'message' ? e.text : ''));
      assert.deepEqual(own, Array.from({ length: perSender }, (_, n) => `s${i}-${n}`), `sender ${i} keeps its order`);
    }
  });

  test('a member that reconnects with its last seq and token gets exactly what it missed, then the live events, with no gap or duplicate', async () => {
    const stream = ctx.platform.streams.create('resume');
    const sender = await connect(ctx);
    await joinChat(sender, stream.id);
    const first = await connect(ctx);
    const joined = await joinChat(first, stream.id);
    for (let n = 1; n <= 10; n++) await say(sender, stream.id, `before ${n}`);
    const before = await collectUntil(first, 10);
    assertContiguous(before, 1, 10, 'before the drop');
    first.destroy(); // like a phone losing signal: no close frame

    for (let n = 1; n <= 15; n++) await say(sender, stream.id, `during ${n}`);
    const again = await connect(ctx);
    const resumed = await joinChat(again, stream.id, { lastSeq: 10, token: joined.token });
    assert.equal(resumed.you.id, joined.you.id, 'same identity after the reconnect');
    assert.equal(resumed.you.name, joined.you.name);
    assert.equal(resumed.missed, null);
    assertContiguous(resumed.events, 11, 25, 'the resume reply');
    assert.equal(resumed.lastSeq, 25);

    for (let n = 1; n <= 5; n++) await say(sender, stream.id, `after ${n}`);
    const live = await collectUntil(again, 30);
    assertContiguous(live, 26, 30, 'live after the resume');
  });

  test('a resume from before the kept history gets the held events and is told exactly which seqs it missed', async () => {
    const stream = ctx.platform.streams.create('long gone');
    const sender = await connect(ctx);
    await joinChat(sender, stream.id);
    for (let n = 1; n <= 80; n++) sender.send({ type: 'chatSend', reqId: n, streamId: stream.id, text: `m${n}`, streamTime: Date.now() });
    await collectUntil(sender, 80);

    const late = await connect(ctx);
    const resumed = await joinChat(late, stream.id, { lastSeq: 10 });
    assert.deepEqual(resumed.missed, { fromSeq: 11, toSeq: 30 }); // history keeps the newest 50
    assertContiguous(resumed.events, 31, 80, 'held events');
    // The missed range is still in the stored log.
    const page = await fetch(`${ctx.platform.url}/api/streams/${stream.id}/chat?after=10&limit=20`).then((r) => r.json() as Promise<{ events: ChatEvent[] }>);
    assertContiguous(page.events, 11, 30, 'the log');
  });

  test('a member that stops reading is dropped while the others keep getting every message at full speed', async () => {
    const stream = ctx.platform.streams.create('slow consumer');
    const slow = await rawMemberThatStopsReading(ctx.platform.port, stream.id);
    const fast = await connect(ctx);
    await joinChat(fast, stream.id);
    const sender = await connect(ctx);
    await joinChat(sender, stream.id);

    const count = 20_000;
    const text = 'x'.repeat(480);
    let lastAckAt = 0;
    const acked = new Promise<void>((resolve) => {
      let acks = 0;
      void (async () => {
        while (acks < count) {
          const m = await sender.nextWhere((x) => x.type === 'chatAck' || x.type === 'error', 30_000);
          assert.equal(m.type, 'chatAck', JSON.stringify(m));
          acks++;
        }
        lastAckAt = Date.now();
        resolve();
      })();
    });
    for (let n = 0; n < count; n++) sender.send({ type: 'chatSend', reqId: n, streamId: stream.id, text: `${n} ${text}`, streamTime: Date.now() });
    const received = await collectUntil(fast, count, 30_000);
    const lastReceivedAt = Date.now();
    await acked;
    assertContiguous(received, 1, count, 'the fast member');
    assert.ok(lastReceivedAt - lastAckAt < 1000, `the fast member finished ${lastReceivedAt - lastAckAt} ms after the last ack`);

    // The slow member's queue passed the limit: the server closed it. Reading now drains what was buffered, then the end.
    const drained = await slow.drainUntilClosed(5000);
    assert.equal(drained.closedBy, 'server', 'the slow member was disconnected');
    assert.ok(drained.bytes < (count * text.length) / 2, `the slow member got ${drained.bytes} bytes before it was dropped`);
  });
});

describe('chat with default limits', () => {
  const ctx = suiteContext();
  before(async () => {
    const data = tempDataDir();
    ctx.removeDir = data.remove;
    ctx.platform = await startTestPlatform({ DATA_DIR: data.dir, WS_MAX_FRAME_BYTES: '4096' });
  });
  afterEach(async () => {
    await Promise.all(ctx.clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await ctx.platform.close();
    ctx.removeDir();
  });

  test('malformed msgpack, a wrong schema, an oversized frame and a flood each get their own answer, and the room keeps flowing', async () => {
    const stream = ctx.platform.streams.create('hostile');
    const speaker = await connect(ctx);
    await joinChat(speaker, stream.id, { streamKey: stream.streamKey }); // the streamer is not rate limited by slow mode or flood control
    const listener = await connect(ctx);
    await joinChat(listener, stream.id);
    let sent = 0;
    const speak = async (): Promise<void> => {
      sent++;
      await say(speaker, stream.id, `still here ${sent}`);
    };

    const bad = await connect(ctx);
    await joinChat(bad, stream.id);
    bad.sendBinary(Uint8Array.of(0xc1));
    const notMsgpack = await expectError(bad, undefined);
    assert.equal(notMsgpack.status, 400);
    assert.match(notMsgpack.message, /not valid msgpack/);
    await speak();

    bad.send({ type: 'chatSend', reqId: 2, streamId: stream.id, text: 'é'.repeat(501), streamTime: 1 });
    const tooLong = await expectError(bad, 2);
    assert.equal(tooLong.code, 'invalid_message');
    assert.match(tooLong.message, /at most 500 characters/);
    bad.send({ type: 'chatSend', reqId: 3, streamId: stream.id, text: 'ok', streamTime: 'yesterday' } as Record<string, unknown>);
    assert.match((await expectError(bad, 3)).message, /streamTime/);
    bad.send({ type: 'react', reqId: 4, streamId: stream.id, emoji: '💩', streamTime: 1 } as Record<string, unknown>);
    assert.match((await expectError(bad, 4)).message, /emoji/);
    bad.send({ type: 'chatSend', reqId: 5, streamId: stream.id, text: 'x'.repeat(500), streamTime: Date.now() });
    assert.equal((await bad.nextWhere((m) => m.type === 'chatAck' && m.reqId === 5)).type, 'chatAck', 'exactly 500 characters is accepted');
    await speak();

    const huge = await connect(ctx);
    huge.sendBinary(randomBytes(8192));
    assert.equal((await huge.closed).code, 1006, 'an oversized frame closes only that socket');
    await speak();

    // Chat's own rate: 5 messages/s per connection with a burst of 5.
    const chatty = await connect(ctx);
    await joinChat(chatty, stream.id);
    for (let n = 0; n < 12; n++) chatty.send({ type: 'chatSend', reqId: 100 + n, streamId: stream.id, text: `chatty ${n}`, streamTime: Date.now() });
    const answers: ServerMessage[] = [];
    while (answers.length < 12) answers.push(await chatty.nextWhere((m) => (m.type === 'chatAck' || m.type === 'error') && (m.reqId ?? 0) >= 100));
    assert.equal(answers.filter((m) => m.type === 'chatAck').length, 5);
    const limited = answers.filter((m): m is ServerMessageOf<'error'> => m.type === 'error');
    assert.equal(limited.length, 7);
    assert.ok(limited.every((e) => e.status === 429 && e.code === 'rate_limited'));
    await speak();

    // A socket flood (past the gateway's 50 frames/s, burst 100, plus 100 tolerated) is closed with 1008.
    const flooder = await connect(ctx);
    for (let n = 0; n < 400; n++) flooder.send({ type: 'ping', reqId: n, t: n });
    const floodClose = await flooder.closed;
    assert.equal(floodClose.code, 1008);
    assert.match(floodClose.reason, /flooding/);
    await speak();

    const heard = await collectUntil(listener, await lastSeqOf(ctx, stream.id));
    const speakerLines = heard.filter((e) => e.kind === 'message' && e.user.role === 'streamer').map((e) => (e.kind === 'message' ? e.text : ''));
    assert.deepEqual(speakerLines, Array.from({ length: sent }, (_, i) => `still here ${i + 1}`));
    assert.deepEqual(listener.undecodable, []);
  });

  test('the streamer deletes a message and it is removed for every member, in history too; viewers cannot delete', async () => {
    const stream = ctx.platform.streams.create('moderated');
    const streamer = await connect(ctx);
    await joinChat(streamer, stream.id, { streamKey: stream.streamKey });
    const viewers = await Promise.all([connect(ctx), connect(ctx), connect(ctx)]);
    for (const v of viewers) await joinChat(v, stream.id);
    const spamSeq = await say(viewers[0]!, stream.id, 'buy followers at spam.example');
    await say(viewers[1]!, stream.id, 'hello');

    viewers[2]!.send({ type: 'chatModerate', reqId: 7, streamId: stream.id, action: { op: 'delete', seq: spamSeq } });
    const refused = await expectError(viewers[2]!, 7);
    assert.equal(refused.status, 403);
    assert.equal(refused.code, 'not_moderator');

    streamer.send({ type: 'chatModerate', reqId: 8, streamId: stream.id, action: { op: 'delete', seq: spamSeq } });
    await streamer.nextWhere((m) => m.type === 'ok' && m.reqId === 8);
    for (const member of [streamer, ...viewers]) {
      const events = await collectUntil(member, 3);
      const deletion = events.find((e) => e.kind === 'delete');
      assert.ok(deletion && deletion.kind === 'delete' && deletion.targetSeq === spamSeq && deletion.by.role === 'streamer');
    }
    const late = await connect(ctx);
    const joined = await joinChat(late, stream.id);
    const stored = joined.events.find((e) => e.seq === spamSeq);
    assert.ok(stored?.kind === 'message' && stored.deleted === true && stored.text === '', 'history keeps no trace of the text');
    const log = await fetch(`${ctx.platform.url}/api/streams/${stream.id}/chat`).then((r) => r.text());
    assert.doesNotMatch(log, /spam\.example/);
  });

  test('timeouts, bans and slow mode stop viewers but not the streamer; a moderator can act on viewers only', async () => {
    const stream = ctx.platform.streams.create('rules');
    const streamer = await connect(ctx);
    const streamerJoin = await joinChat(streamer, stream.id, { streamKey: stream.streamKey });
    const [modClient, troll, regular, listener] = await Promise.all([connect(ctx), connect(ctx), connect(ctx), connect(ctx)]);
    const mod = (await joinChat(modClient, stream.id)).you;
    const trollJoin = await joinChat(troll, stream.id);
    const trollUser = trollJoin.you;
    await joinChat(regular, stream.id);
    await joinChat(listener, stream.id);

    const moderate = async (client: TestWsClient, action: ModerationAction): Promise<ServerMessage> => {
      const reqId = reqIdFor();
      client.send({ type: 'chatModerate', reqId, streamId: stream.id, action });
      return client.nextWhere((m) => (m.type === 'ok' || m.type === 'error') && m.reqId === reqId);
    };
    assert.equal((await moderate(modClient, { op: 'timeout', userId: trollUser.id, seconds: 60 })).type, 'error', 'not a moderator yet');
    assert.equal((await moderate(streamer, { op: 'addModerator', userId: mod.id })).type, 'ok');
    assert.equal((await moderate(modClient, { op: 'timeout', userId: trollUser.id, seconds: 60 })).type, 'ok');
    await assert.rejects(say(troll, stream.id, 'let me talk'), /timed_out/);
    const onStreamer = await moderate(modClient, { op: 'ban', userId: streamerJoin.you.id });
    assert.equal(onStreamer.type === 'error' && onStreamer.code, 'not_moderator');

    assert.equal((await moderate(modClient, { op: 'ban', userId: trollUser.id })).type, 'ok');
    await assert.rejects(say(troll, stream.id, 'again'), /banned/);
    // The ban follows the identity, not the socket.
    const trollAgain = await connect(ctx);
    const rejoined = await joinChat(trollAgain, stream.id, { token: trollJoin.token });
    assert.equal(rejoined.you.id, trollUser.id);
    await assert.rejects(say(trollAgain, stream.id, 'new socket'), /banned/);

    assert.equal((await moderate(streamer, { op: 'slowMode', seconds: 30 })).type, 'ok');
    await say(regular, stream.id, 'first');
    await assert.rejects(say(regular, stream.id, 'second'), /slow_mode/);
    await say(streamer, stream.id, 'streamer one');
    await say(streamer, stream.id, 'streamer two');

    const events = await collectUntil(listener, await lastSeqOf(ctx, stream.id));
    const changes = events.filter((e) => e.kind === 'moderation').map((e) => (e.kind === 'moderation' ? `${e.action.op}:${e.targetName ?? ''}` : ''));
    assert.deepEqual(changes, [`addModerator:${mod.name}`, `timeout:${trollUser.name}`, `ban:${trollUser.name}`, 'slowMode:']);
  });

  test('reactions from many members arrive as a few aggregated counts, not one message per tap', async () => {
    const stream = ctx.platform.streams.create('hype');
    const watcher = await connect(ctx);
    await joinChat(watcher, stream.id);
    const tappers = await Promise.all([connect(ctx), connect(ctx), connect(ctx)]);
    for (const t of tappers) await joinChat(t, stream.id);
    const started = Date.now();
    for (const [i, t] of tappers.entries()) {
      for (let n = 0; n < 40; n++) t.send({ type: 'react', reqId: n, streamId: stream.id, emoji: i === 0 ? '❤️' : '🔥', streamTime: started });
    }
    const totals: Record<string, number> = {};
    let frames = 0;
    while ((totals['❤️'] ?? 0) + (totals['🔥'] ?? 0) < 120) {
      const m = (await watcher.nextWhere((x) => x.type === 'reactions')) as ServerMessageOf<'reactions'>;
      frames++;
      assert.equal(m.windowMs, 250);
      assert.equal(m.streamTime, started);
      for (const [emoji, n] of Object.entries(m.counts)) totals[emoji] = (totals[emoji] ?? 0) + (n ?? 0);
    }
    assert.deepEqual(totals, { '❤️': 40, '🔥': 80 });
    assert.ok(frames <= 2 + Math.ceil((Date.now() - started) / 250), `${frames} reaction frames for 120 taps`);
    for (const t of tappers) assert.equal(t.drain().filter((m) => m.type === 'error').length, 0, 'reactions get no reply');
  });

  test('chat text is carried exactly as typed, markup included, and sending needs a join', async () => {
    const stream = ctx.platform.streams.create('markup');
    const a = await connect(ctx);
    const listener = await connect(ctx);
    await joinChat(listener, stream.id);
    a.send({ type: 'chatSend', reqId: 1, streamId: stream.id, text: 'hi', streamTime: 1 });
    const notJoined = await expectError(a, 1);
    assert.equal(notJoined.code, 'not_joined');
    await joinChat(a, stream.id);
    const html = '<img src=x onerror="alert(1)"> & <b>bold</b>';
    await say(a, stream.id, `  ${html}\n`);
    const [event] = await collectUntil(listener, 1);
    assert.equal(event?.kind === 'message' && event.text, html, 'trimmed, control characters made spaces, markup untouched');
  });

  test('joining with a wrong stream key is refused; the right key gives the streamer role; unknown streams are 404', async () => {
    const stream = ctx.platform.streams.create('keys');
    const client = await connect(ctx);
    client.send({ type: 'chatJoin', reqId: 1, streamId: stream.id, streamKey: 'sk_wrong' });
    assert.equal((await expectError(client, 1)).status, 401);
    client.send({ type: 'chatJoin', reqId: 2, streamId: 'doesNotExist' });
    assert.equal((await expectError(client, 2)).status, 404);
    assert.equal((await joinChat(client, stream.id, { streamKey: stream.streamKey })).you.role, 'streamer');
    const viewer = await connect(ctx);
    assert.equal((await joinChat(viewer, stream.id, { token: 'u123.forged' })).you.role, 'viewer');
  });
});

async function lastSeqOf(ctx: Ctx, streamId: string): Promise<number> {
  const page = await fetch(`${ctx.platform.url}/api/streams/${streamId}/chat?limit=1000`).then((r) => r.json() as Promise<{ next: number }>);
  return page.next;
}

/** A raw WebSocket member that joins a room and then never reads again (paused TCP socket). */
async function rawMemberThatStopsReading(port: number, streamId: string): Promise<{ drainUntilClosed: (timeoutMs: number) => Promise<{ closedBy: 'server' | 'timeout'; bytes: number }> }> {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await once(socket, 'data'); // 101 Switching Protocols
  const payload = Buffer.from(encodeMessage({ type: 'chatJoin', reqId: 1, streamId, historyLimit: 0 }));
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  socket.write(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]));
  await once(socket, 'data'); // chatJoined
  socket.pause();
  return {
    drainUntilClosed: (timeoutMs) =>
      new Promise((resolve) => {
        let bytes = 0;
        socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
        const timer = setTimeout(() => {
          socket.destroy();
          resolve({ closedBy: 'timeout', bytes });
        }, timeoutMs);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve({ closedBy: 'server', bytes });
        });
        socket.on('error', () => undefined);
        socket.resume();
      }),
  };
}

describe('chat room flood control', () => {
  const ctx = suiteContext();
  before(async () => {
    const data = tempDataDir();
    ctx.removeDir = data.remove;
    ctx.platform = await startTestPlatform({ DATA_DIR: data.dir }, { chat: { messagesPerSecond: 100, messageBurst: 100, roomMessagesPerSecond: 5, roomMessageBurst: 10 } });
  });
  afterEach(async () => {
    await Promise.all(ctx.clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await ctx.platform.close();
    ctx.removeDir();
  });

  test('past the room-wide rate viewers get 429 room_busy while the streamer still gets through', async () => {
    const stream = ctx.platform.streams.create('stampede');
    const streamer = await connect(ctx);
    await joinChat(streamer, stream.id, { streamKey: stream.streamKey });
    const viewers = await Promise.all([connect(ctx), connect(ctx), connect(ctx)]);
    for (const v of viewers) await joinChat(v, stream.id);
    for (const v of viewers) for (let n = 0; n < 8; n++) v.send({ type: 'chatSend', reqId: 500 + n, streamId: stream.id, text: `crowd ${n}`, streamTime: Date.now() });
    const answers = (await Promise.all(viewers.map(async (v) => {
      const got: ServerMessage[] = [];
      while (got.length < 8) got.push(await v.nextWhere((m) => (m.type === 'chatAck' || m.type === 'error') && (m.reqId ?? 0) >= 500));
      return got;
    }))).flat();
    const accepted = answers.filter((m) => m.type === 'chatAck').length;
    const busy = answers.filter((m) => m.type === 'error' && m.code === 'room_busy').length;
    assert.ok(accepted >= 10 && accepted <= 11, `${accepted} of 24 accepted with a burst of 10`);
    assert.equal(accepted + busy, 24);
    await say(streamer, stream.id, 'the streamer is never throttled by the crowd');
  });
});
