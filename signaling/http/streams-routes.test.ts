import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreatedStream, StreamInfo, StreamList } from '../protocol/messages.ts';
import type { Platform } from '../platform.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

interface Ctx {
  platform: Platform;
}
const ctx = {} as Ctx;

async function createStream(title: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${ctx.platform.url}/api/streams`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ title }),
    ...init,
  });
}

describe('streams API', () => {
  before(async () => {
    ctx.platform = await startTestPlatform();
  });
  after(async () => {
    await ctx.platform.close();
  });

  test('startPlatform on port 0 reports the real port in its URL', () => {
    assert.ok(ctx.platform.port > 0);
    assert.equal(ctx.platform.url, `http://127.0.0.1:${ctx.platform.port}`);
  });

  test('POST /api/streams answers 201 with id, key and root-relative URLs', async () => {
    const res = await createStream('Morning run');
    assert.equal(res.status, 201);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = CreatedStream.parse(await res.json());
    assert.equal(body.whip, `/whip/${body.id}`);
    assert.equal(body.whep, `/whep/${body.id}`);
    assert.equal(body.watch, `/watch/${body.id}`);
    assert.ok(body.streamKey.length >= 32);
  });

  test('GET /api/streams/:id returns the public state without the key', async () => {
    const created = CreatedStream.parse(await (await createStream('Cooking')).json());
    const res = await fetch(`${ctx.platform.url}/api/streams/${created.id}`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes(created.streamKey), 'the key must never be served to viewers');
    assert.deepEqual(StreamInfo.strict().parse(JSON.parse(text)), {
      id: created.id,
      title: 'Cooking',
      state: 'idle',
      viewers: 0,
      startedAt: null,
      endedAt: null,
    });
  });

  test('GET /api/streams lists live streams only, with viewer counts', async () => {
    const idle = CreatedStream.parse(await (await createStream('Not yet')).json());
    const live = CreatedStream.parse(await (await createStream('On air')).json());
    ctx.platform.streams.markLive(live.id);
    ctx.platform.streams.setViewers(live.id, 7);

    const list = StreamList.parse(await (await fetch(`${ctx.platform.url}/api/streams`)).json());
    const ids = list.map((s) => s.id);
    assert.ok(ids.includes(live.id));
    assert.ok(!ids.includes(idle.id));
    assert.equal(list.find((s) => s.id === live.id)?.viewers, 7);

    const all = StreamList.parse(await (await fetch(`${ctx.platform.url}/api/streams?state=all`)).json());
    assert.ok(all.some((s) => s.id === idle.id));
  });

  test('unknown stream id answers 404 with a JSON error naming the fix', async () => {
    const res = await fetch(`${ctx.platform.url}/api/streams/doesNotExist`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'not_found');
    assert.match(body.message, /POST \/api\/streams/);
  });

  test('invalid bodies answer 400 naming the problem', async () => {
    const empty = await createStream('   ');
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as { message: string }).message, /title/);

    const notJson = await fetch(`${ctx.platform.url}/api/streams`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{title:',
    });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { message: string }).message, /not valid JSON/);
  });

  test('a non-JSON content type answers 415', async () => {
    const res = await fetch(`${ctx.platform.url}/api/streams`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ title: 'x' }),
    });
    assert.equal(res.status, 415);
  });

  test('an oversized body answers 413', async () => {
    const res = await createStream('x'.repeat(64 * 1024));
    assert.equal(res.status, 413);
  });

  test('PUBLIC_URL makes the answered URLs absolute', async () => {
    const other = await startTestPlatform({ PUBLIC_URL: 'https://live.example.org/' });
    try {
      const res = await fetch(`${other.url}/api/streams`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'Abs' }),
      });
      const body = CreatedStream.parse(await res.json());
      assert.equal(body.whip, `https://live.example.org/whip/${body.id}`);
      assert.equal(body.watch, `https://live.example.org/watch/${body.id}`);
    } finally {
      await other.close();
    }
  });

  test('CORS: the API answers preflights and allows any origin', async () => {
    const res = await fetch(`${ctx.platform.url}/api/streams`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
  });

  test('GET /healthz answers ok', async () => {
    const res = await fetch(`${ctx.platform.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
  });

  test('unknown paths answer 404 naming the method and path', async () => {
    const res = await fetch(`${ctx.platform.url}/nope`, { method: 'PUT' });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { message: string }).message, /PUT \/nope/);
  });
});
