/**
 * Exactly once under kill -9: a real server process (signaling/main.ts) records donations and
 * is SIGKILLed right after acknowledging one; a new process on the same DATA_DIR has every
 * acknowledged donation, once, answers retries from the ledger, and shows each in the chat log once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ChatEvent, CreatedStream, LedgerEntry } from '../protocol/messages.ts';
import { CHAT_DB_FILE } from './ChatDatabase.ts';
import { tempDataDir } from './testing/chat-clients.ts';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../testing/server-process.ts';


function startServer(dataDir: string): Promise<ServerProcess> {
  return startServerProcess({ DATA_DIR: dataDir, HLS: '0' }, 20_000);
}

async function donate(url: string, streamId: string, key: string, amount: string): Promise<Response> {
  return fetch(`${url}/api/streams/${streamId}/donations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ amount, currency: 'USD', name: 'Crash tester' }),
  });
}

describe('ledger durability', () => {
  const data = tempDataDir();
  after(() => {
    killServerProcesses();
    data.remove();
  });

  test('donations acknowledged just before kill -9 are all there after a restart, once each, and retries are answered from the ledger', async () => {
    const first = await startServer(data.dir);
    const created = (await fetch(`${first.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'crash' }) }).then((r) => r.json())) as CreatedStream;

    const acked: { key: string; entry: LedgerEntry }[] = [];
    for (let n = 1; n <= 6; n++) {
      const key = randomUUID();
      const res = await donate(first.url, created.id, key, `${n}.00`);
      assert.equal(res.status, 201);
      if (n === 6) {
        // Killed the moment the acknowledgement's headers arrive: nothing after the ack can run.
        first.child.kill('SIGKILL');
        acked.push({ key, entry: (await res.json().catch(() => null)) as LedgerEntry });
        break;
      }
      acked.push({ key, entry: (await res.json()) as LedgerEntry });
    }
    const [, signal] = (await once(first.child, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL');

    const db = new Database(`${data.dir}/${CHAT_DB_FILE}`, { readonly: true });
    try {
      assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]?.integrity_check, 'ok');
      const rows = db.prepare('SELECT idempotency_key AS key, COUNT(*) AS n FROM ledger WHERE stream_id = ? GROUP BY idempotency_key').all(created.id) as { key: string; n: number }[];
      assert.deepEqual(rows.map((r) => r.key).sort(), acked.map((a) => a.key).sort(), 'every acknowledged donation is on disk');
      assert.ok(rows.every((r) => r.n === 1));
    } finally {
      db.close();
    }

    const second = await startServer(data.dir);
    try {
      for (const [i, { key }] of acked.entries()) {
        const retry = await donate(second.url, created.id, key, `${i + 1}.00`);
        assert.equal(retry.status, 200, `retry of donation ${i + 1} after the restart`);
        assert.equal(retry.headers.get('idempotent-replayed'), 'true');
        const entry = (await retry.json()) as LedgerEntry;
        if (acked[i]!.entry) assert.deepEqual(entry, acked[i]!.entry);
        assert.equal(entry.amount, `${i + 1}.00`);
      }
      const listed = (await fetch(`${second.url}/api/streams/${created.id}/donations`).then((r) => r.json())) as LedgerEntry[];
      assert.equal(listed.length, acked.length);

      // Each donation appears in the chat log exactly once, announced before the crash or on restart.
      const log = (await fetch(`${second.url}/api/streams/${created.id}/chat`).then((r) => r.json())) as { events: ChatEvent[] };
      const announced = log.events.filter((e) => e.kind === 'donation').map((e) => (e.kind === 'donation' ? e.entry.id : ''));
      assert.deepEqual([...announced].sort(), listed.map((e) => e.id).sort());
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });
});
