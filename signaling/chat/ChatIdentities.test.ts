import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { anonymousName } from './anonymous-name.ts';
import { ChatIdentities } from './ChatIdentities.ts';

describe('ChatIdentities', () => {
  test('a token resolves to the same user id and generated name; a forged or foreign token gets a fresh identity', () => {
    const identities = new ChatIdentities(randomBytes(32));
    const first = identities.issue();
    assert.match(first.userId, /^u[A-Za-z0-9_-]{12}$/);
    assert.deepEqual(identities.resolve(first.token), first);

    const forged = `${first.userId}.${'A'.repeat(24)}`;
    assert.notEqual(identities.resolve(forged).userId, first.userId);
    const otherServer = new ChatIdentities(randomBytes(32));
    assert.equal(otherServer.verify(first.token), undefined);
    assert.equal(identities.verify('no-dot'), undefined);
  });

  test('generated names are stable per user id and spread over many names', () => {
    assert.equal(anonymousName('u123'), anonymousName('u123'));
    assert.match(anonymousName('u123'), /^[A-Z][a-z]+[A-Z][a-z]+\d\d$/);
    const names = new Set(Array.from({ length: 1000 }, (_, i) => anonymousName(`u${i}`)));
    assert.ok(names.size > 900, `only ${names.size} distinct names for 1000 ids`);
  });
});
