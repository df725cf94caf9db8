/**
 * PipeTransport on real UDP sockets on 127.0.0.1: peer pinning (datagrams
 * from anyone else are dropped), BYE on close, and the silence timeout.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import { setLogLevel } from '../../signaling/logger.ts';
import { PipeTransport } from './PipeTransport.ts';

interface Ctx {
  a: PipeTransport;
  b: PipeTransport;
  strangers: Socket[];
}

function rtp(seq: number, ssrc = 1234): Buffer {
  return new RtpPacket(new RtpHeader({ payloadType: 102, sequenceNumber: seq, timestamp: seq * 3000, ssrc }), Buffer.from([0x41, 1, 2, 3])).serialize();
}

function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

async function strangerSocket(ctx: Ctx): Promise<Socket> {
  const socket = createSocket('udp4');
  ctx.strangers.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

describe('PipeTransport', () => {
  const ctx = {} as Ctx;

  beforeEach(async () => {
    setLogLevel('error');
    ctx.strangers = [];
    const options = { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', label: 'test' };
    ctx.a = await PipeTransport.create(options);
    ctx.b = await PipeTransport.create(options);
  });

  afterEach(() => {
    ctx.a.close();
    ctx.b.close();
    for (const s of ctx.strangers) s.close();
  });

  test('delivers RTP from the pinned peer and drops datagrams from an unknown peer', async () => {
    ctx.a.connect(ctx.b.localTuple);
    ctx.b.connect(ctx.a.localTuple);
    const received: number[] = [];
    ctx.b.on('rtp', (p) => received.push(p.header.sequenceNumber));

    const stranger = await strangerSocket(ctx);
    for (let seq = 100; seq < 110; seq++) stranger.send(rtp(seq), ctx.b.localTuple.port, '127.0.0.1');
    ctx.a.sendRtp(rtp(1));
    await waitFor(() => received.length >= 1 && ctx.b.stats.droppedUnknownPeer >= 10, 2000, 'the peer packet and the stranger drops');

    assert.deepEqual(received, [1]);
    assert.equal(ctx.b.stats.droppedUnknownPeer, 10);
    assert.equal(ctx.b.stats.rtpIn, 1);
  });

  test('drops everything before connect(), even from the future peer', async () => {
    ctx.a.connect(ctx.b.localTuple);
    const received: number[] = [];
    ctx.b.on('rtp', (p) => received.push(p.header.sequenceNumber));
    ctx.a.sendRtp(rtp(7));
    await waitFor(() => ctx.b.stats.droppedUnknownPeer >= 2, 2000, 'drops (keepalive + rtp)');
    assert.deepEqual(received, []);
  });

  test('a packet from the peer address but another port is dropped', async () => {
    ctx.b.connect(ctx.a.localTuple);
    const sameHost = await strangerSocket(ctx);
    sameHost.send(rtp(5), ctx.b.localTuple.port, '127.0.0.1');
    await waitFor(() => ctx.b.stats.droppedUnknownPeer >= 1, 2000, 'drop');
    assert.equal(ctx.b.stats.rtpIn, 0);
  });

  test('an end that waits for its peer sends nothing until the peer speaks first', async () => {
    ctx.a.connect(ctx.b.localTuple, { waitForPeer: true });
    ctx.a.sendRtp(rtp(1));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ctx.b.stats.droppedUnknownPeer, 0, 'b heard nothing before connecting');
    const received: number[] = [];
    ctx.b.on('rtp', (p) => received.push(p.header.sequenceNumber));
    ctx.b.connect(ctx.a.localTuple); // b's keepalive reaches a, which may now send
    await waitFor(() => ctx.a.stats.rtcpIn >= 1, 2000, 'a to hear b');
    ctx.a.sendRtp(rtp(2));
    await waitFor(() => received.length === 1, 2000, 'the packet sent after the peer spoke');
    assert.deepEqual(received, [2]);
    assert.equal(ctx.b.stats.droppedUnknownPeer, 0);
  });

  test('close() sends BYE and the peer closes at once', async () => {
    ctx.a.connect(ctx.b.localTuple);
    ctx.b.connect(ctx.a.localTuple);
    let reason: string | undefined;
    ctx.b.once('close', (r) => (reason = r));
    ctx.a.close('test done');
    await waitFor(() => ctx.b.closed, 2000, 'the peer to close');
    assert.equal(reason, 'peer closed the pipe');
  });

  test('a pipe whose peer goes silent closes itself', async () => {
    const quiet = await PipeTransport.create({ listenIp: '127.0.0.1', announcedIp: '127.0.0.1', label: 'test', keepaliveMs: 50, timeoutMs: 200 });
    try {
      const silent = await strangerSocket(ctx);
      quiet.connect({ ip: '127.0.0.1', port: silent.address().port });
      let reason: string | undefined;
      quiet.once('close', (r) => (reason = r));
      await waitFor(() => quiet.closed, 3000, 'the timeout');
      assert.equal(reason, 'peer timeout');
    } finally {
      quiet.close();
    }
  });

  test('binds inside the given port range', async () => {
    const ranged = await PipeTransport.create({ listenIp: '127.0.0.1', announcedIp: '127.0.0.1', label: 'test', portRange: [47900, 47949] });
    try {
      const { port } = ranged.localTuple;
      assert.ok(port >= 47900 && port <= 47949, `port ${port} outside the range`);
    } finally {
      ranged.close();
    }
  });
});
