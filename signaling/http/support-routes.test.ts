/**
 * Donations and subs through the real platform: idempotent retries (sequential and
 * concurrent), key reuse, validation, declines, ended streams, and the chat announcement.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CHAT_DB_FILE } from '../chat/ChatDatabase.ts';
import { collectUntil, joinChat, reqIdFor, tempDataDir, wsUrl } from '../chat/testing/chat-clients.ts';
import { TEST_DECLINE_TOKEN, TestPaymentProvider } from '../chat/TestPaymentProvider.ts';
import type { Platform } from '../platform.ts';
import type { LedgerEntry, ServerMessageOf } from '../protocol/messages.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';

const ctx = { clients: [] as TestWsClient[] } as { platform: Platform; payments: TestPaymentProvider; dataDir: string; removeDir: () => void; clients: TestWsClient[] };

async function post(streamId: string, path: 'donations' | 'subs', body: unknown, key: string | null = randomUUID()): Promise<{ status: number; replayed: boolean; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['idempotency-key'] = key;
  const res = await fetch(`${ctx.platform.url}/api/streams/${streamId}/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', json: (await res.json()) as Record<string, unknown> };
}

function ledgerRows(streamId: string): { idempotency_key: string; amount_minor: number }[] {
  const db = new Database(`${ctx.dataDir}/${CHAT_DB_FILE}`, { readonly: true });
  try {
    return db.prepare('SELECT idempotency_key, amount_minor FROM ledger WHERE stream_id = ?').all(streamId) as { idempotency_key: string; amount_minor: number }[];
  } finally {
    db.close();
  }
}

describe('donations and subs', () => {
  before(async () => {
    const data = tempDataDir();
    ctx.dataDir = data.dir;
    ctx.removeDir = data.remove;
    ctx.payments = new TestPaymentProvider();
    ctx.platform = await startTestPlatform({ DATA_DIR: data.dir }, { payments: ctx.payments });
  });
  afterEach(async () => {
    await Promise.all(ctx.clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await ctx.platform.close();
    ctx.removeDir();
  });

  test('a donation retried with the same idempotency key, one after another and all at once, makes one ledger row and one capture', async () => {
    const stream = ctx.platform.streams.create('tips');
    const key = randomUUID();
    const body = { amount: '4.99', currency: 'USD', name: 'Ada', message: 'great stream' };
    const capturesBefore = ctx.payments.captureCalls;
    const first = await post(stream.id, 'donations', body, key);
    assert.equal(first.status, 201);
    assert.equal(first.replayed, false);
    assert.equal(first.json['amount'], '4.99');
    assert.equal(first.json['amountMinor'], 499);

    const retries = await Promise.all([post(stream.id, 'donations', body, key), ...Array.from({ length: 5 }, () => post(stream.id, 'donations', body, key))]);
    for (const r of retries) {
      assert.equal(r.status, 200);
      assert.equal(r.replayed, true);
      assert.deepEqual(r.json, first.json);
    }
    const otherKey = randomUUID();
    const together = await Promise.all(Array.from({ length: 6 }, () => post(stream.id, 'donations', { ...body, amount: 3 }, otherKey)));
    assert.deepEqual(together.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(together.map((r) => r.json['id'])).size, 1);

    assert.deepEqual(ledgerRows(stream.id).map((r) => r.idempotency_key).sort(), [key, otherKey].sort());
    assert.equal(ctx.payments.captureCalls - capturesBefore, 2, 'retries never reach the payment provider again');
    const listed = (await fetch(`${ctx.platform.url}/api/streams/${stream.id}/donations`).then((r) => r.json())) as LedgerEntry[];
    assert.equal(listed.length, 2);
  });

  test('reusing a key for a different payment is refused with 422 and changes nothing', async () => {
    const stream = ctx.platform.streams.create('reuse');
    const key = randomUUID();
    assert.equal((await post(stream.id, 'donations', { amount: 5, currency: 'EUR' }, key)).status, 201);
    const reused = await post(stream.id, 'donations', { amount: 50, currency: 'EUR' }, key);
    assert.equal(reused.status, 422);
    assert.equal(reused.json['error'], 'idempotency_key_reused');
    assert.deepEqual(ledgerRows(stream.id).map((r) => r.amount_minor), [500]);
  });

  test('amount, currency and key are validated: positive, bounded, in the currency precision, known currency', async () => {
    const stream = ctx.platform.streams.create('validation');
    const cases: Array<[unknown, RegExp]> = [
      [{ amount: 0, currency: 'USD' }, /positive/],
      [{ amount: '-1', currency: 'USD' }, /amount/],
      [{ amount: -1, currency: 'USD' }, /positive/],
      [{ amount: '10000.01', currency: 'USD' }, /at most 10000\.00 USD/],
      [{ amount: '1.999', currency: 'USD' }, /at most 2 decimals/],
      [{ amount: '100.5', currency: 'JPY' }, /whole numbers/],
      [{ amount: '5', currency: 'XYZ' }, /currency/],
      [{ amount: '5' }, /currency/],
      [{ currency: 'USD' }, /amount/],
    ];
    for (const [body, reason] of cases) {
      const res = await post(stream.id, 'donations', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(String(res.json['message']), reason, JSON.stringify(body));
    }
    const noKey = await post(stream.id, 'donations', { amount: 5, currency: 'USD' }, null);
    assert.equal(noKey.status, 400);
    assert.match(String(noKey.json['message']), /Idempotency-Key/);
    assert.equal((await post('noSuchStream', 'donations', { amount: 5, currency: 'USD' })).status, 404);
    assert.equal((await post(stream.id, 'subs', { amount: 5, currency: 'USD', tier: 4 })).status, 400);
    assert.equal(ledgerRows(stream.id).length, 0);
  });

  test('a declined payment is 402 and leaves no row; an ended stream takes no more donations', async () => {
    const stream = ctx.platform.streams.create('declines');
    const declined = await post(stream.id, 'donations', { amount: 5, currency: 'USD', paymentToken: TEST_DECLINE_TOKEN });
    assert.equal(declined.status, 402);
    assert.equal(declined.json['error'], 'payment_declined');
    ctx.platform.streams.markLive(stream.id);
    ctx.platform.streams.markEnded(stream.id);
    const ended = await post(stream.id, 'donations', { amount: 5, currency: 'USD' });
    assert.equal(ended.status, 409);
    assert.equal(ended.json['error'], 'stream_ended');
    assert.equal(ledgerRows(stream.id).length, 0);
  });

  test('donations and subs show up highlighted in chat for everyone; over the socket they carry the donor chat name and are idempotent too', async () => {
    const stream = ctx.platform.streams.create('alerts');
    const streamer = await TestWsClient.connect(wsUrl(ctx.platform));
    const fan = await TestWsClient.connect(wsUrl(ctx.platform));
    ctx.clients.push(streamer, fan);
    await joinChat(streamer, stream.id, { streamKey: stream.streamKey });
    const fanName = (await joinChat(fan, stream.id)).you.name;

    const sub = await post(stream.id, 'subs', { amount: '4.99', currency: 'USD', tier: 2, months: 3, name: '<i>Bob</i>' });
    assert.equal(sub.status, 201);
    const key = randomUUID();
    const donate = async (): Promise<ServerMessageOf<'ledgerEntry'>> => {
      const reqId = reqIdFor();
      fan.send({ type: 'donate', reqId, streamId: stream.id, idempotencyKey: key, amount: '20', currency: 'GBP', message: 'for the cat', streamTime: 1234 });
      return (await fan.nextWhere((m) => (m.type === 'ledgerEntry' || m.type === 'error') && m.reqId === reqId)) as ServerMessageOf<'ledgerEntry'>;
    };
    const first = await donate();
    assert.equal(first.type, 'ledgerEntry');
    assert.equal(first.replayed, false);
    assert.equal(first.entry.name, fanName);
    const again = await donate();
    assert.equal(again.replayed, true);
    assert.equal(again.entry.id, first.entry.id);

    const events = await collectUntil(streamer, 2);
    assert.deepEqual(events.map((e) => e.kind), ['sub', 'donation']);
    const [subEvent, donation] = events;
    assert.ok(subEvent?.kind === 'sub' && subEvent.entry.tier === 2 && subEvent.entry.months === 3 && subEvent.user.name === '<i>Bob</i>');
    assert.ok(donation?.kind === 'donation' && donation.entry.amount === '20.00' && donation.entry.currency === 'GBP' && donation.streamTime === 1234);
    assert.equal(ledgerRows(stream.id).length, 2);
  });
});
