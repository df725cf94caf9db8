import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Platform } from '../platform.ts';
import type { ServerMessage, ServerMessageOf } from '../protocol/messages.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';

interface Ctx {
  platform: Platform;
  clients: TestWsClient[];
}
const ctx = { clients: [] } as unknown as Ctx;

async function connect(platform = ctx.platform): Promise<TestWsClient> {
  const client = await TestWsClient.connect(`${platform.url.replace('http', 'ws')}/ws`);
  ctx.clients.push(client);
  return client;
}

function isError(reqId?: number) {
  return (m: ServerMessage): m is ServerMessageOf<'error'> => m.type === 'error' && (reqId === undefined || m.reqId === reqId);
}

async function expectError(client: TestWsClient, reqId?: number): Promise<ServerMessageOf<'error'>> {
  const message = await client.next();
  assert.equal(message.type, 'error', `expected an error frame, got ${JSON.stringify(message)}`);
  const error = message as ServerMessageOf<'error'>;
  if (reqId !== undefined) assert.equal(error.reqId, reqId);
  return error;
}

async function assertAlive(client: TestWsClient, reqId = 999): Promise<void> {
  client.send({ type: 'ping', reqId, t: 1 });
  const pong = await client.nextWhere((m) => m.type === 'pong' && m.reqId === reqId);
  assert.equal(pong.type, 'pong');
}

describe('/ws gateway', () => {
  before(async () => {
    ctx.platform = await startTestPlatform({ WS_MAX_FRAME_BYTES: '4096' });
  });
  afterEach(async () => {
    await Promise.all(ctx.clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await ctx.platform.close();
  });

  test('ping is answered with pong echoing reqId and t, plus the server time', async () => {
    const client = await connect();
    const before = Date.now();
    client.send({ type: 'ping', reqId: 1, t: 12345.5 });
    const pong = await client.next();
    assert.equal(pong.type, 'pong');
    const { reqId, t, serverTime } = pong as ServerMessageOf<'pong'>;
    assert.equal(reqId, 1);
    assert.equal(t, 12345.5);
    assert.ok(serverTime >= before);
    assert.deepEqual(client.undecodable, []);
  });

  test('a frame that is not msgpack gets an error frame and the socket stays open', async () => {
    const client = await connect();
    client.sendBinary(Uint8Array.of(0xc1)); // 0xc1 is never used in msgpack
    const error = await expectError(client);
    assert.equal(error.status, 400);
    assert.equal(error.reqId, undefined);
    assert.match(error.message, /not valid msgpack/);
    await assertAlive(client);
  });

  test('a schema violation names the offending field and echoes the reqId', async () => {
    const client = await connect();
    client.send({ type: 'watch', reqId: 7, streamId: 'x', sdp: 'v=0 ...........' });
    const error = await expectError(client, 7);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_message');
    assert.match(error.message, /streamId/);

    client.send({ type: 'ping', reqId: 8 });
    assert.match((await expectError(client, 8)).message, /\bt\b/);

    client.send({ type: 'dance', reqId: 9 });
    assert.match((await expectError(client, 9)).message, /type/);
    await assertAlive(client);
  });

  test('text frames are refused with an error frame, not a disconnect', async () => {
    const client = await connect();
    client.sendText('{"type":"ping","reqId":1,"t":0}');
    const error = await expectError(client);
    assert.equal(error.code, 'text_frame');
    await assertAlive(client);
  });

  test('follow of an unknown stream is a 404 error; of a known one, ok then its state', async () => {
    const client = await connect();
    client.send({ type: 'follow', reqId: 1, streamId: 'unknownStream' });
    assert.equal((await expectError(client, 1)).status, 404);

    const stream = ctx.platform.streams.create('Followed');
    client.send({ type: 'follow', reqId: 2, streamId: stream.id });
    assert.deepEqual(await client.next(), { type: 'ok', reqId: 2 });
    const snapshot = await client.next();
    assert.equal(snapshot.type, 'stream');
    assert.equal((snapshot as ServerMessageOf<'stream'>).stream.state, 'idle');
  });

  test('followers get lifecycle changes at once and coalesced viewer counts', async () => {
    const client = await connect();
    const stream = ctx.platform.streams.create('Pushed');
    client.send({ type: 'follow', reqId: 1, streamId: stream.id });
    await client.nextWhere((m) => m.type === 'stream');

    ctx.platform.streams.markLive(stream.id);
    const live = (await client.next()) as ServerMessageOf<'stream'>;
    assert.equal(live.stream.state, 'live');

    for (let n = 1; n <= 20; n++) ctx.platform.streams.setViewers(stream.id, n);
    const counted = (await client.nextWhere((m) => m.type === 'stream' && m.stream.viewers === 20)) as ServerMessageOf<'stream'>;
    assert.equal(counted.stream.state, 'live');
    ctx.platform.streams.markEnded(stream.id);
    const ended = (await client.nextWhere((m) => m.type === 'stream' && m.stream.state === 'ended')) as ServerMessageOf<'stream'>;
    assert.ok(ended.stream.endedAt);
    // 20 count changes must not have produced 20 frames.
    const extra = client.drain().filter((m) => m.type === 'stream');
    assert.ok(extra.length <= 2, `viewer updates were not coalesced: ${extra.length} extra frames`);
  });

  test('publish with a wrong key is a 401 error frame; the socket stays open', async () => {
    const client = await connect();
    const stream = ctx.platform.streams.create('Guarded');
    client.send({ type: 'publish', reqId: 3, streamId: stream.id, streamKey: 'sk_wrong', sdp: 'v=0\r\nnot really sdp' });
    const error = await expectError(client, 3);
    assert.equal(error.status, 401);
    assert.equal(ctx.platform.streams.info(stream.id).state, 'idle');
    await assertAlive(client);
  });

  test('watching a stream that is not live is a 409 with the reason', async () => {
    const client = await connect();
    const stream = ctx.platform.streams.create('Later');
    client.send({ type: 'watch', reqId: 4, streamId: stream.id, sdp: 'v=0\r\nm=video 9 x 96\r\n' });
    const error = await expectError(client, 4);
    assert.equal(error.status, 409);
    assert.match(error.message, /not live/);
  });

  test('stop and setLayer on sessions the socket does not own are 404s', async () => {
    const client = await connect();
    client.send({ type: 'stop', reqId: 5, sessionId: 'no-such-session' });
    assert.equal((await expectError(client, 5)).status, 404);
    client.send({ type: 'setLayer', reqId: 6, sessionId: 'no-such-session', layer: 'low' });
    assert.equal((await expectError(client, 6)).status, 404);
  });

  test('flooding gets 429 error frames, then the socket is closed with a reason', async () => {
    const client = await connect();
    for (let i = 0; i < 400; i++) client.send({ type: 'ping', reqId: i, t: i });
    const closed = await client.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /flooding/);
    const received = client.drain();
    const pongs = received.filter((m) => m.type === 'pong').length;
    const limited = received.filter(isError()).filter((m) => m.status === 429).length;
    assert.ok(pongs >= 100 && pongs < 400, `burst of 100 should pass, the rest not (got ${pongs} pongs)`);
    assert.ok(limited > 0, 'expected 429 error frames before the close');
  });

  test('a frame over WS_MAX_FRAME_BYTES closes the socket (uWS maxPayloadLength)', async () => {
    const client = await connect();
    client.sendBinary(new Uint8Array(8192));
    const closed = await client.closed;
    assert.notEqual(closed.code, 1000);
    assert.ok([1006, 1009].includes(closed.code), `unexpected close code ${closed.code}`);
  });

  test('platform close() closes sockets with 1001', async () => {
    const other = await startTestPlatform();
    const client = await connect(other);
    await assertAlive(client);
    await other.close();
    const closed = await client.closed;
    assert.equal(closed.code, 1001);
  });
});
