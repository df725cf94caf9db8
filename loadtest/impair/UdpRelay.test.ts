import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { rewriteCandidates } from './relay-answers.ts';
import { UdpRelay } from './UdpRelay.ts';

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

/** An echo server as the target, a client socket, and the relay between them. */
async function rig(): Promise<{ relay: UdpRelay; client: Socket; received: Buffer[]; send(n: number): void; close(): void }> {
  const server = await bound();
  server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  const relay = await UdpRelay.start({ target: { address: '127.0.0.1', port: server.address().port } });
  const client = await bound();
  const received: Buffer[] = [];
  client.on('message', (msg) => received.push(msg));
  return {
    relay,
    client,
    received,
    send: (n) => {
      for (let i = 0; i < n; i++) client.send(Buffer.from([i & 0xff]), relay.port, relay.address);
    },
    close: () => {
      relay.close();
      client.close();
      server.close();
    },
  };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
}

describe('UdpRelay', () => {
  test('forwards both ways to the target and back to the client', async () => {
    const r = await rig();
    try {
      r.send(20);
      await waitFor(() => r.received.length === 20, 2000);
      assert.equal(r.received.length, 20);
      assert.equal(r.relay.counters.up.forwarded, 20);
      assert.equal(r.relay.counters.down.forwarded, 20);
    } finally {
      r.close();
    }
  });

  test('an outage drops everything until it is lifted at runtime', async () => {
    const r = await rig();
    try {
      r.relay.set('up', { outage: true });
      r.send(10);
      await sleep(100);
      assert.equal(r.received.length, 0);
      assert.equal(r.relay.counters.up.dropped, 10);
      r.relay.set('up', { outage: false });
      r.send(5);
      await waitFor(() => r.received.length === 5, 2000);
      assert.equal(r.received.length, 5);
    } finally {
      r.close();
    }
  });

  test('loss drops about the share asked for, per direction', async () => {
    const r = await rig();
    try {
      r.relay.set('down', { lossPercent: 50 });
      // Paced, so no socket buffer overflows on the way.
      for (let i = 0; i < 20; i++) {
        r.send(20);
        await sleep(5);
      }
      await waitFor(() => r.relay.counters.down.forwarded + r.relay.counters.down.dropped === 400, 3000);
      assert.equal(r.relay.counters.up.dropped, 0, 'the other direction is untouched');
      const dropped = r.relay.counters.down.dropped;
      assert.ok(dropped > 120 && dropped < 280, `dropped ${dropped} of 400 at 50 %`);
      assert.equal(r.received.length, 400 - dropped);
    } finally {
      r.close();
    }
  });

  test('delay holds datagrams back', async () => {
    const r = await rig();
    try {
      r.relay.set('both', { delayMs: 150 });
      r.send(1);
      await sleep(60);
      assert.equal(r.received.length, 0, 'still held');
      await waitFor(() => r.received.length === 1, 2000);
      assert.equal(r.received.length, 1);
      assert.throws(() => r.relay.set('up', { lossPercent: 120 }), RangeError);
    } finally {
      r.close();
    }
  });
});

describe('rewriteCandidates', () => {
  test('points every host candidate at what the map returns', async () => {
    const sdp = 'v=0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host\r\na=end-of-candidates\r\n';
    const out = await rewriteCandidates(sdp, async (address, port) => {
      assert.deepEqual([address, port], ['127.0.0.1', 40001]);
      return { address: '127.0.0.1', port: 5555 };
    });
    assert.match(out, /a=candidate:1 1 udp 2130706431 127\.0\.0\.1 5555 typ host\r\n/);
    await assert.rejects(rewriteCandidates('v=0\r\n', async () => ({ address: '', port: 0 })), /no UDP host candidate/);
  });
});
