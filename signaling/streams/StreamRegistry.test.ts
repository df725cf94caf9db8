import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NotFoundError, InvalidStateError } from '../errors.ts';
import { StreamId } from '../protocol/messages.ts';
import { StreamRegistry, type StreamChange } from './StreamRegistry.ts';
import type { StreamInfo } from '../protocol/messages.ts';

describe('StreamRegistry', () => {
  test('create() returns an idle stream with a url-safe id and a secret key', () => {
    const registry = new StreamRegistry();
    const a = registry.create('First');
    const b = registry.create('Second');
    assert.equal(a.state, 'idle');
    assert.equal(a.viewers, 0);
    assert.equal(a.startedAt, null);
    assert.ok(StreamId.safeParse(a.id).success, `id ${a.id} must match the wire schema`);
    assert.match(a.id, /^[A-Za-z0-9_-]+$/);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.streamKey, b.streamKey);
    assert.ok(a.streamKey.length >= 32, 'stream key must be long enough not to be guessed');
  });

  test('verifyKey() accepts only the exact key of that stream', () => {
    const registry = new StreamRegistry();
    const a = registry.create('A');
    const b = registry.create('B');
    assert.equal(registry.verifyKey(a.id, a.streamKey), true);
    assert.equal(registry.verifyKey(a.id, b.streamKey), false);
    assert.equal(registry.verifyKey(a.id, a.streamKey.slice(0, -1)), false);
    assert.equal(registry.verifyKey(a.id, ''), false);
    assert.equal(registry.verifyKey('unknown-id', a.streamKey), false);
  });

  test('the public info never contains the stream key', () => {
    const registry = new StreamRegistry();
    const a = registry.create('A');
    assert.ok(!JSON.stringify(registry.info(a.id)).includes(a.streamKey));
    assert.ok(!JSON.stringify(registry.list(['idle'])).includes(a.streamKey));
  });

  test('lifecycle idle → live → ended stamps times and emits one update per change', () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const registry = new StreamRegistry({ now: () => new Date(clock) });
    const updates: [StreamInfo, StreamChange][] = [];
    registry.on('update', (info, change) => updates.push([info, change]));
    const { id } = registry.create('Show');
    clock += 1000;
    registry.markLive(id);
    registry.setViewers(id, 3);
    registry.setViewers(id, 3); // unchanged: no event
    clock += 1000;
    registry.markEnded(id);
    registry.markEnded(id); // idempotent: no event

    assert.deepEqual(
      updates.map(([info, change]) => [change, info.state, info.viewers]),
      [
        ['created', 'idle', 0],
        ['state', 'live', 0],
        ['viewers', 'live', 3],
        ['state', 'ended', 3],
      ],
    );
    const info = registry.info(id);
    assert.equal(info.startedAt, '2025-01-01T00:00:01.000Z');
    assert.equal(info.endedAt, '2025-01-01T00:00:02.000Z');
  });

  test('an ended stream cannot go live again', () => {
    const registry = new StreamRegistry();
    const { id } = registry.create('Once');
    registry.markLive(id);
    registry.markEnded(id);
    assert.throws(() => registry.markLive(id), InvalidStateError);
  });

  test('list() returns only live streams by default, newest first', () => {
    const registry = new StreamRegistry();
    const a = registry.create('A');
    const b = registry.create('B');
    const c = registry.create('C');
    registry.markLive(a.id);
    registry.markLive(c.id);
    assert.deepEqual(registry.list().map((s) => s.id), [c.id, a.id]);
    assert.deepEqual(registry.list(['idle']).map((s) => s.id), [b.id]);
  });

  test('unknown ids throw NotFoundError with a hint', () => {
    const registry = new StreamRegistry();
    assert.throws(() => registry.require('nope1234'), (err: unknown) => err instanceof NotFoundError && /POST \/api\/streams/.test(err.message));
    assert.equal(registry.get('nope1234'), undefined);
  });

  test('a throwing listener does not stop other listeners or the mutation', () => {
    const registry = new StreamRegistry();
    const seen: string[] = [];
    registry.on('update', () => {
      throw new Error('broken subscriber');
    });
    registry.on('update', (info) => seen.push(info.state));
    const { id } = registry.create('Robust');
    registry.markLive(id);
    assert.deepEqual(seen, ['idle', 'live']);
    assert.equal(registry.info(id).state, 'live');
  });
});
