/**
 * The ChatBus seam without Redis: LocalChatBus keeps one process's behaviour (seq at once,
 * delivered before submit returns), and two ChatServices on separate databases sharing one order
 * (SharedOrderBus, delivery under the test's control) behave like two cluster nodes: one seq
 * order, acks when the event comes back, resume on a node that trails, moderation applied
 * everywhere. ReactionTally combines several nodes' window totals.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { decode } from '@msgpack/msgpack';
import type { ChatEvent, ServerMessage } from '../protocol/messages.ts';
import { StreamRegistry } from '../streams/StreamRegistry.ts';
import type { DeliveredEvent, UnsequencedEvent } from './ChatBus.ts';
import { ChatDatabase } from './ChatDatabase.ts';
import { ChatService } from './ChatService.ts';
import { LocalChatBus } from './LocalChatBus.ts';
import type { ReactionTotals } from './ReactionWindow.ts';
import { ReactionTally } from './ReactionTally.ts';
import { RecordingConnection } from './testing/RecordingConnection.ts';
import { SharedOrder } from './testing/SharedOrderBus.ts';
import { tempDataDir } from './testing/chat-clients.ts';

const dirs: { remove: () => void }[] = [];
const streams = new StreamRegistry();

interface Node {
  readonly chat: ChatService;
  readonly database: ChatDatabase;
  readonly conns: RecordingConnection[];
  connect(): RecordingConnection;
}

/** A ChatService whose topic frames reach the RecordingConnections subscribed to them. */
function node(bus: ConstructorParameters<typeof ChatService>[0]['bus']): Node {
  const data = tempDataDir();
  dirs.push(data);
  const database = ChatDatabase.open(data.dir);
  const conns: RecordingConnection[] = [];
  const publish = (topic: string, frame: Uint8Array): void => {
    for (const c of conns) if (c.topics.has(topic)) c.sent.push(decode(frame) as ServerMessage);
  };
  const chat = new ChatService({ streams, database, publish, ...(bus ? { bus } : {}) });
  return {
    chat,
    database,
    conns,
    connect: () => {
      const c = new RecordingConnection();
      conns.push(c);
      return c;
    },
  };
}

/** Past one batch interval (10 ms): a room flushes at most once per interval. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 25));
const eventsOf = (c: RecordingConnection): ChatEvent[] => c.sent.flatMap((m) => (m.type === 'chat' ? m.events : []));
const acksOf = (c: RecordingConnection): number[] => c.sent.flatMap((m) => (m.type === 'chatAck' ? [m.seq] : []));
const textsOf = (events: ChatEvent[]): string[] => events.map((e) => (e.kind === 'message' ? `${e.seq}:${e.text}` : `${e.seq}:<${e.kind}>`));
const message = (text: string): UnsequencedEvent => ({ kind: 'message', at: 1, streamTime: 1, user: { id: 'u1', name: 'A', role: 'viewer' }, text });

describe('ChatBus seam', () => {
  const nodes: Node[] = [];
  after(() => {
    for (const n of nodes) {
      n.chat.close();
      n.database.close();
    }
    for (const d of dirs) d.remove();
  });

  test('LocalChatBus gives the next seq above the floor and delivers it before submit returns', async () => {
    const bus = new LocalChatBus();
    await assert.rejects(bus.submit('s', message('early'), { ticket: 1, floorSeq: 0 }), /before attach/);
    const delivered: DeliveredEvent[] = [];
    bus.attach({ deliver: (_id, events) => delivered.push(...events), reactions: () => undefined });
    const pending = bus.submit('s', message('hi'), { ticket: 9, floorSeq: 41 });
    assert.equal(delivered.length, 1, 'delivered synchronously');
    assert.equal(delivered[0]!.event.seq, 42);
    assert.equal(delivered[0]!.ticket, 9);
    assert.equal(await pending, true);
  });

  test('ChatService on the in-process bus returns the seq from say() and acks after the batch is stored', async () => {
    const n = node(undefined);
    nodes.push(n);
    const stream = streams.create('local');
    const c = n.connect();
    n.chat.join(c, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 10 });
    assert.equal(n.chat.say(c, { type: 'chatSend', reqId: 2, streamId: stream.id, text: 'one', streamTime: 1 }), 1);
    assert.deepEqual(acksOf(c), [], 'no ack before the flush');
    await nextTurn();
    assert.deepEqual(acksOf(c), [1]);
    assert.deepEqual(textsOf(n.chat.log.newest(stream.id, 10)), ['1:one']);
  });

  test('two nodes sharing one order: every member sees the same seqs, and a sender is acked only when its event comes back', async () => {
    const order = new SharedOrder();
    const a = node(order.node());
    const b = node(order.node());
    nodes.push(a, b);
    const stream = streams.create('two nodes');
    const onA = a.connect();
    const onB = b.connect();
    a.chat.join(onA, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 10 });
    b.chat.join(onB, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 10 });
    assert.equal(a.chat.say(onA, { type: 'chatSend', reqId: 10, streamId: stream.id, text: 'from a', streamTime: 1 }), undefined, 'the seq is not known at once');
    b.chat.say(onB, { type: 'chatSend', reqId: 20, streamId: stream.id, text: 'from b', streamTime: 1 });
    a.chat.say(onA, { type: 'chatSend', reqId: 11, streamId: stream.id, text: 'a again', streamTime: 1 });
    await settle();
    assert.deepEqual(eventsOf(onA), [], 'nothing is shown before the order hands it back');
    order.deliverAll();
    await settle();
    const expected = ['1:from a', '2:from b', '3:a again'];
    assert.deepEqual(textsOf(eventsOf(onA)), expected);
    assert.deepEqual(textsOf(eventsOf(onB)), expected);
    assert.deepEqual(acksOf(onA), [1, 3]);
    assert.deepEqual(acksOf(onB), [2]);
    assert.deepEqual(textsOf(b.chat.log.newest(stream.id, 10)), expected, "each node stores the room's events");
  });

  test('a resume on a node that trails the order waits off the topic, then gets exactly what follows its seq', async () => {
    const order = new SharedOrder();
    const a = node(order.node());
    const b = node(order.node());
    nodes.push(a, b);
    const [nodeA, nodeB] = order.nodes as [NonNullable<(typeof order.nodes)[0]>, NonNullable<(typeof order.nodes)[0]>];
    const stream = streams.create('trailing node');
    const sender = a.connect();
    const first = a.chat.join(sender, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 10 });
    for (let i = 1; i <= 3; i++) a.chat.say(sender, { type: 'chatSend', reqId: i, streamId: stream.id, text: `m${i}`, streamTime: 1 });
    nodeA.deliver(); // node b has not read the order yet
    await settle();
    assert.deepEqual(acksOf(sender), [1, 2, 3]);

    const mover = b.connect();
    const resumed = b.chat.join(mover, { type: 'chatJoin', reqId: 5, streamId: stream.id, lastSeq: 2, token: first.token, historyLimit: 10 });
    assert.equal(resumed.you.id, first.you.id, 'the shared identity key proves the token on the other node');
    assert.deepEqual(resumed.events, []);
    assert.equal(resumed.lastSeq, 2, 'not told to start over');
    a.chat.say(sender, { type: 'chatSend', reqId: 4, streamId: stream.id, text: 'm4', streamTime: 1 });
    order.deliverAll();
    await settle();
    assert.deepEqual(textsOf(eventsOf(mover)), ['3:m3', '4:m4'], 'no gap, no duplicate');
    b.chat.say(mover, { type: 'chatSend', reqId: 6, streamId: stream.id, text: 'm5', streamTime: 1 });
    order.deliverAll();
    await settle();
    assert.deepEqual(textsOf(eventsOf(mover)), ['3:m3', '4:m4', '5:m5'], 'then live through the topic');
  });

  test('moderation submitted on one node applies on the other: a ban there refuses the user, a delete clears the text', async () => {
    const order = new SharedOrder();
    const a = node(order.node());
    const b = node(order.node());
    nodes.push(a, b);
    const stream = streams.create('moderated');
    const streamer = a.connect();
    a.chat.join(streamer, { type: 'chatJoin', reqId: 1, streamId: stream.id, streamKey: stream.streamKey, historyLimit: 0 });
    const troll = b.connect();
    const trollJoin = b.chat.join(troll, { type: 'chatJoin', reqId: 1, streamId: stream.id, historyLimit: 0 });
    b.chat.say(troll, { type: 'chatSend', reqId: 2, streamId: stream.id, text: 'spam', streamTime: 1 });
    order.deliverAll();
    await settle();
    a.chat.moderate(streamer, stream.id, { op: 'delete', seq: 1 });
    a.chat.moderate(streamer, stream.id, { op: 'ban', userId: trollJoin.you.id });
    assert.doesNotThrow(() => b.chat.say(troll, { type: 'chatSend', reqId: 3, streamId: stream.id, text: 'before the ban arrives', streamTime: 1 }));
    order.deliverAll();
    await settle();
    assert.throws(() => b.chat.say(troll, { type: 'chatSend', reqId: 4, streamId: stream.id, text: 'after', streamTime: 1 }), /banned/);
    const stored = b.chat.log.get(stream.id, 1);
    assert.ok(stored?.kind === 'message' && stored.deleted === true && stored.text === '', 'node b stored the deletion');
  });
});

describe('ReactionTally', () => {
  test("sums several nodes' shares of one window into one total, emitted once; a late share counts in the next window", async () => {
    const emitted: ReactionTotals[] = [];
    const windowMs = 40;
    const tally = new ReactionTally({ windowMs, graceMs: 10, emit: (_id, totals) => emitted.push(totals) });
    try {
      const window = Math.floor(Date.now() / windowMs);
      tally.add({ streamId: 's', window, counts: { '🔥': 2 }, total: 2, streamTimeSum: 200 });
      tally.add({ streamId: 's', window, counts: { '🔥': 1, '❤️': 3 }, total: 4, streamTimeSum: 200 });
      await new Promise((r) => setTimeout(r, windowMs * 2 + 20));
      assert.deepEqual(emitted, [{ counts: { '🔥': 3, '❤️': 3 }, total: 6, streamTime: 67 }]);
      tally.add({ streamId: 's', window, counts: { '👏': 1 }, total: 1, streamTimeSum: 5 });
      await new Promise((r) => setTimeout(r, windowMs * 2 + 20));
      assert.deepEqual(emitted.at(-1), { counts: { '👏': 1 }, total: 1, streamTime: 5 });
      assert.equal(emitted.length, 2);
    } finally {
      tally.close();
    }
  });
});
