/**
 * Chat across cluster nodes as real processes: Redis (started here on a random port), an origin
 * and two edges, each with its own SQLite. /ws sockets attach to different nodes and must see one
 * room: the same seq order, resume on another node, reactions summed over nodes, donations shown
 * once, moderation everywhere, and acknowledged messages kept when the sender's edge is SIGKILLed.
 * Streams go live on the origin with a canned WHIP offer (no media needed: edges mirror a stream
 * once the origin has its publisher, and chat only needs the stream known).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { CHROMIUM_SIMULCAST_PUBLISHER_OFFER } from '../../sfu/testing/chromium-offers.ts';
import type { ChatEvent, ModerationAction, ReactionEmoji, ServerMessage, ServerMessageOf } from '../protocol/messages.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';
import type { LocalCluster } from './process/LocalCluster.ts';
import { startTestCluster, type TestCluster } from './process/start-test-cluster.ts';
import { pollUntil } from '../testing/poll-until.ts';

const NODES = ['origin', 'edge-a', 'edge-b'] as const;
type NodeName = (typeof NODES)[number];

interface Ctx {
  cluster: LocalCluster;
  testCluster: TestCluster;
  clients: TestWsClient[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let nextReqId = 1;

const until = pollUntil;

/** Reads a client's messages until `done` holds for what was read (every message is kept). */
async function collect(client: TestWsClient, done: (all: ServerMessage[]) => boolean, timeoutMs: number, what: string): Promise<ServerMessage[]> {
  const all: ServerMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(all)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(all).slice(0, 600)}`);
    all.push(await client.next(left).catch((err: Error) => Promise.reject(new Error(`${what}: ${err.message}`))));
  }
  return all;
}

const eventsOf = (messages: readonly ServerMessage[]): ChatEvent[] => messages.flatMap((m) => (m.type === 'chat' ? m.events : []));
const seqsOf = (events: readonly ChatEvent[]): number[] => events.map((e) => e.seq);
const describeEvent = (e: ChatEvent): string => (e.kind === 'message' ? `${e.seq}:${e.user.id}:${e.text}${e.deleted ? ':deleted' : ''}` : `${e.seq}:<${e.kind}>`);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('chat across cluster nodes (Redis + origin + two edges as processes)', { timeout: 240_000 }, () => {
  const ctx = { clients: [] } as unknown as Ctx;

  before(async () => {
    ctx.testCluster = await startTestCluster({
      label: 'chat-cluster',
      nodes: [
        { id: 'origin', role: 'origin' },
        { id: 'edge-a', role: 'edge' },
        { id: 'edge-b', role: 'edge' },
      ],
      env: { HLS: '0', PUBLISHER_GRACE_MS: '600000' },
    });
    ctx.cluster = ctx.testCluster.cluster;
  });

  afterEach(async () => {
    await Promise.all(ctx.clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  after(async () => {
    await ctx.testCluster?.dispose();
  });

  const url = (node: NodeName): string => ctx.cluster.node(node).url;

  async function connect(node: NodeName): Promise<TestWsClient> {
    const client = await TestWsClient.connect(`${url(node).replace(/^http/, 'ws')}/ws`);
    ctx.clients.push(client);
    return client;
  }

  async function joinRoom(client: TestWsClient, streamId: string, extra: Record<string, unknown> = {}): Promise<ServerMessageOf<'chatJoined'>> {
    const reqId = nextReqId++;
    client.send({ type: 'chatJoin', reqId, streamId, historyLimit: 100, ...extra });
    const reply = await client.nextWhere((m) => (m.type === 'chatJoined' || m.type === 'error') && m.reqId === reqId, 10_000);
    assert.equal(reply.type, 'chatJoined', `chatJoin failed: ${JSON.stringify(reply)}`);
    return reply as ServerMessageOf<'chatJoined'>;
  }

  /** A stream live on the origin (canned WHIP offer) and known to both edges. */
  async function liveStream(title: string): Promise<{ id: string; streamKey: string }> {
    const created = await fetch(`${url('origin')}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title }) });
    assert.equal(created.status, 201);
    const stream = (await created.json()) as { id: string; streamKey: string };
    const whip = await fetch(`${url('origin')}/whip/${stream.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${stream.streamKey}` },
      body: CHROMIUM_SIMULCAST_PUBLISHER_OFFER,
    });
    assert.equal(whip.status, 201, await whip.text());
    for (const edge of ['edge-a', 'edge-b'] as const) {
      await until(async () => (await fetch(`${url(edge)}/api/streams/${stream.id}`)).status, (s) => s === 200, 10_000, `${edge} to mirror the stream`);
    }
    return stream;
  }

  test('chat order identical on sockets attached to different nodes: interleaved senders on the origin and both edges', async () => {
    const stream = await liveStream('ordering');
    const receivers: TestWsClient[] = [];
    const senders: { client: TestWsClient; node: NodeName; userId: string }[] = [];
    for (const node of NODES) {
      for (let i = 0; i < 2; i++) receivers.push(await connect(node));
      for (let i = 0; i < 3; i++) senders.push({ client: await connect(node), node, userId: '' });
    }
    for (const r of receivers) await joinRoom(r, stream.id);
    for (const s of senders) s.userId = (await joinRoom(s.client, stream.id)).you.id;

    const perSender = 5; // the default per-connection burst: none is refused
    senders.forEach((s, i) => {
      for (let n = 0; n < perSender; n++) s.client.send({ type: 'chatSend', reqId: 100 + n, streamId: stream.id, text: `${s.node}#${i}-${n}`, streamTime: Date.now() });
    });
    const total = senders.length * perSender;
    const done = (all: ServerMessage[]): boolean => (eventsOf(all).at(-1)?.seq ?? 0) >= total;
    const senderDone = (all: ServerMessage[]): boolean => done(all) && all.filter((m) => m.type === 'chatAck').length === perSender;
    const [fromReceivers, fromSenders] = await Promise.all([
      Promise.all(receivers.map((r, i) => collect(r, done, 20_000, `receiver ${i}`))),
      Promise.all(senders.map((s, i) => collect(s.client, senderDone, 20_000, `sender ${i}`))),
    ]);

    const reference = eventsOf(fromReceivers[0]!);
    assert.deepEqual(seqsOf(reference), range(1, total), 'seqs 1..total exactly once, in order');
    const expected = reference.map(describeEvent);
    for (const [i, messages] of [...fromReceivers, ...fromSenders].entries()) {
      assert.deepEqual(eventsOf(messages).map(describeEvent), expected, `socket ${i} sees the same events in the same order`);
    }
    for (const [i, s] of senders.entries()) {
      const own = reference.filter((e) => e.kind === 'message' && e.user.id === s.userId);
      assert.deepEqual(own.map((e) => (e.kind === 'message' ? e.text : '')), range(0, perSender - 1).map((n) => `${s.node}#${i}-${n}`), `sender ${i} keeps its send order`);
      const acks = fromSenders[i]!.filter((m): m is ServerMessageOf<'chatAck'> => m.type === 'chatAck');
      assert.deepEqual(acks.map((a) => a.seq), seqsOf(own), `sender ${i} is acked with the seqs its messages got`);
    }
    // Several nodes really took part in one order (not one node's messages, then another's).
    const nodesInFirstHalf = new Set(reference.slice(0, total / 2).map((e) => (e.kind === 'message' ? e.text.split('#')[0] : '')));
    assert.ok(nodesInFirstHalf.size >= 2, `the first half of the order mixes nodes: ${[...nodesInFirstHalf].join(', ')}`);
  });

  test('an acknowledged donation on an edge is shown exactly once on every node, also when retried on another node', async () => {
    const stream = await liveStream('donations');
    const listeners = await Promise.all(NODES.map((n) => connect(n)));
    for (const l of listeners) await joinRoom(l, stream.id);
    const donate = (node: NodeName): Promise<Response> =>
      fetch(`${url(node)}/api/streams/${stream.id}/donations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'cluster-donation-0001' },
        body: JSON.stringify({ amount: '4.99', currency: 'EUR', name: 'Edge fan', message: 'from edge-a' }),
      });
    assert.equal((await donate('edge-a')).status, 201);
    assert.equal((await donate('edge-a')).status, 200, 'a retry on the same node is replayed from its ledger');
    const elsewhere = await donate('edge-b');
    assert.ok(elsewhere.status === 200 || elsewhere.status === 201, `retry on edge-b: ${elsewhere.status}`);

    // A message after the retries: once it arrives, anything the retries could have announced has too.
    const sender = await connect('origin');
    await joinRoom(sender, stream.id);
    sender.send({ type: 'chatSend', reqId: 7, streamId: stream.id, text: 'thanks!', streamTime: Date.now() });
    for (const [i, l] of listeners.entries()) {
      const events = eventsOf(await collect(l, (all) => eventsOf(all).some((e) => e.kind === 'message'), 10_000, `listener on ${NODES[i]}`));
      const donations = events.filter((e) => e.kind === 'donation');
      assert.equal(donations.length, 1, `${NODES[i]} shows the donation once`);
      assert.ok(donations[0]?.kind === 'donation' && donations[0].entry.name === 'Edge fan' && donations[0].entry.amount === '4.99');
    }
  });

  test('a member resumes on a different node than it first used: same identity, exactly the missed events, then live ones', async () => {
    const stream = await liveStream('resume');
    // Enough senders that none passes the per-connection burst of 5 messages.
    const pool = await Promise.all(Array.from({ length: 6 }, () => connect('origin')));
    for (const s of pool) await joinRoom(s, stream.id);
    let turn = 0;
    const say = async (text: string): Promise<number> => {
      const sender = pool[turn++ % pool.length]!;
      const reqId = nextReqId++;
      sender.send({ type: 'chatSend', reqId, streamId: stream.id, text, streamTime: Date.now() });
      const reply = await sender.nextWhere((m) => (m.type === 'chatAck' || m.type === 'error') && m.reqId === reqId, 10_000);
      assert.equal(reply.type, 'chatAck', JSON.stringify(reply));
      return (reply as ServerMessageOf<'chatAck'>).seq;
    };
    const first = await connect('edge-a');
    const joined = await joinRoom(first, stream.id);
    for (let n = 1; n <= 4; n++) await say(`before ${n}`);
    const seen = eventsOf(await collect(first, (all) => eventsOf(all).length >= 4, 10_000, 'edge-a member'));
    assert.deepEqual(seqsOf(seen), [1, 2, 3, 4]);
    first.destroy();
    for (let n = 1; n <= 4; n++) await say(`during ${n}`);

    const again = await connect('edge-b');
    const resumed = await joinRoom(again, stream.id, { lastSeq: 4, token: joined.token });
    assert.equal(resumed.you.id, joined.you.id, 'the token from edge-a proves the same identity on edge-b');
    assert.equal(resumed.you.name, joined.you.name);
    assert.equal(resumed.missed, null);
    // edge-b's copy may trail by a moment: what it has not flushed yet follows in a chat frame, in order.
    const rest = resumed.events.length >= 4 ? [] : eventsOf(await collect(again, (all) => resumed.events.length + eventsOf(all).length >= 4, 10_000, 'resume catch-up'));
    assert.deepEqual(seqsOf([...resumed.events, ...rest]), [5, 6, 7, 8], 'exactly the missed events');
    await say('after');
    const live = eventsOf(await collect(again, (all) => eventsOf(all).length >= 1, 10_000, 'live after the resume'));
    assert.deepEqual(seqsOf(live), [9]);

    // Resuming elsewhere right after an ack races that node's copy; the answer is still gapless and duplicate-free.
    const hopper = await connect('origin');
    let token = (await joinRoom(hopper, stream.id)).token;
    let lastSeq = 9;
    for (let round = 0; round < 6; round++) {
      lastSeq = await say(`race ${round}`);
      const node = NODES[round % NODES.length]!;
      const client = await connect(node);
      const reply = await joinRoom(client, stream.id, { lastSeq, token });
      token = reply.token;
      assert.deepEqual(reply.events, [], `round ${round}: nothing after the acked seq yet`);
      assert.equal(reply.lastSeq >= lastSeq, true, `round ${round}: never told to start over`);
      const next = await say(`race ${round} next`);
      const got = eventsOf(await collect(client, (all) => (eventsOf(all).at(-1)?.seq ?? 0) >= next, 10_000, `round ${round} on ${node}`));
      assert.deepEqual(seqsOf(got), [next], `round ${round} on ${node}: only the new event, once`);
      await client.close();
    }
  });

  test('reactions are counted across nodes: every node shows the same cluster-wide totals once per window', async () => {
    const stream = await liveStream('reactions');
    const emojiOf: Record<NodeName, ReactionEmoji> = { origin: '🔥', 'edge-a': '❤️', 'edge-b': '👏' };
    const reactors = await Promise.all(NODES.map((n) => connect(n)));
    const listeners = await Promise.all(NODES.map((n) => connect(n)));
    for (const c of [...reactors, ...listeners]) await joinRoom(c, stream.id);
    const perNode = 20;
    const sum = (all: ServerMessage[]): number => all.reduce((n, m) => n + (m.type === 'reactions' ? Object.values(m.counts).reduce((a, b) => a + b, 0) : 0), 0);
    const collecting = listeners.map((l, i) => collect(l, (all) => sum(all) >= perNode * NODES.length, 15_000, `reactions on ${NODES[i]}`));
    for (let n = 0; n < perNode; n++) {
      reactors.forEach((r, i) => r.send({ type: 'react', reqId: nextReqId++, streamId: stream.id, emoji: emojiOf[NODES[i]!], streamTime: Date.now() }));
      await sleep(40);
    }
    const frames = (await Promise.all(collecting)).map((all) => all.filter((m): m is ServerMessageOf<'reactions'> => m.type === 'reactions'));
    for (const [i, list] of frames.entries()) {
      const totals: Record<string, number> = {};
      for (const f of list) for (const [emoji, n] of Object.entries(f.counts)) totals[emoji] = (totals[emoji] ?? 0) + n;
      assert.deepEqual(totals, { '🔥': perNode, '❤️': perNode, '👏': perNode }, `${NODES[i]} counted every node's reactions`);
      assert.ok(list.some((f) => Object.keys(f.counts).length === NODES.length), `${NODES[i]} got windows combining all three nodes`);
    }
    assert.deepEqual(frames[1], frames[0], 'edge-a shows the same windows as the origin');
    assert.deepEqual(frames[2], frames[0], 'edge-b shows the same windows as the origin');
  });

  test('moderation made on one node applies on every node: ban, moderator appointment, delete', async () => {
    const stream = await liveStream('moderation');
    const streamer = await connect('origin');
    await joinRoom(streamer, stream.id, { streamKey: stream.streamKey });
    const troll = await connect('edge-a');
    const trollJoin = await joinRoom(troll, stream.id);
    const helper = await connect('edge-b');
    const helperJoin = await joinRoom(helper, stream.id);
    const watcher = await connect('edge-a');
    await joinRoom(watcher, stream.id);

    const moderate = async (client: TestWsClient, action: ModerationAction): Promise<void> => {
      const reqId = nextReqId++;
      client.send({ type: 'chatModerate', reqId, streamId: stream.id, action });
      const reply = await client.nextWhere((m) => (m.type === 'ok' || m.type === 'error') && m.reqId === reqId, 10_000);
      assert.equal(reply.type, 'ok', JSON.stringify(reply));
    };
    troll.send({ type: 'chatSend', reqId: 1, streamId: stream.id, text: 'spam', streamTime: Date.now() });
    const spam = eventsOf(await collect(helper, (all) => eventsOf(all).length >= 1, 10_000, 'the spam on edge-b'))[0]!;
    await moderate(streamer, { op: 'addModerator', userId: helperJoin.you.id });
    await collect(helper, (all) => eventsOf(all).some((e) => e.kind === 'moderation'), 10_000, 'the appointment on edge-b');
    // The moderator on edge-b deletes a message sent on edge-a, and bans its author.
    await moderate(helper, { op: 'delete', seq: spam.seq });
    await moderate(helper, { op: 'ban', userId: trollJoin.you.id });
    const seen = eventsOf(await collect(watcher, (all) => eventsOf(all).some((e) => e.kind === 'moderation' && e.action.op === 'ban'), 10_000, 'the ban on edge-a'));
    assert.ok(seen.some((e) => e.kind === 'delete' && e.targetSeq === spam.seq), 'edge-a got the delete');

    const reqId = nextReqId++;
    troll.send({ type: 'chatSend', reqId, streamId: stream.id, text: 'spam again', streamTime: Date.now() });
    const refused = await troll.nextWhere((m) => (m.type === 'error' || m.type === 'chatAck') && m.reqId === reqId, 10_000);
    assert.ok(refused.type === 'error' && refused.code === 'banned', `banned on edge-a by a moderator on edge-b: ${JSON.stringify(refused)}`);
    // The deleted text is gone from every node's copy, stored log included.
    for (const node of NODES) {
      const page = (await (await fetch(`${url(node)}/api/streams/${stream.id}/chat?after=0&limit=50`)).json()) as { events: ChatEvent[] };
      const stored = page.events.find((e) => e.seq === spam.seq);
      assert.ok(stored?.kind === 'message' && stored.deleted === true && stored.text === '', `${node} stored the deletion`);
    }
  });

  test('acknowledged messages survive SIGKILL of the edge the sender used', async () => {
    const stream = await liveStream('kill the edge');
    const sender = await connect('edge-b');
    await joinRoom(sender, stream.id);
    const count = 15;
    const acked: number[] = [];
    for (let n = 0; n < count; n++) {
      sender.send({ type: 'chatSend', reqId: 500 + n, streamId: stream.id, text: `keep ${n}`, streamTime: Date.now() });
      if (n % 5 === 4) {
        // Stay within the per-connection burst of 5 messages/s.
        const acks = await collect(sender, (all) => all.filter((m) => m.type === 'chatAck').length >= 5, 10_000, 'acks');
        acked.push(...acks.filter((m): m is ServerMessageOf<'chatAck'> => m.type === 'chatAck').map((m) => m.seq));
        if (n < count - 1) await sleep(1100);
      }
    }
    assert.deepEqual(acked, range(1, count));
    await ctx.cluster.node('edge-b').process.stop('SIGKILL');

    for (const node of ['origin', 'edge-a'] as const) {
      const page = await until(
        async () => (await (await fetch(`${url(node)}/api/streams/${stream.id}/chat?after=0&limit=100`)).json()) as { events: ChatEvent[] },
        (p) => p.events.length >= count,
        5000,
        `${node}'s stored log to hold every acknowledged message`,
      );
      assert.deepEqual(page.events.map((e) => (e.kind === 'message' ? e.text : '')), range(0, count - 1).map((n) => `keep ${n}`), `${node} stored them in order`);
      const viewer = await connect(node);
      const joined = await joinRoom(viewer, stream.id);
      assert.deepEqual(seqsOf(joined.events), acked, `a member joining on ${node} gets them all`);
    }
  });
});
