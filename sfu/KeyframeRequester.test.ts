import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { KeyframeRequester } from './KeyframeRequester.ts';

describe('KeyframeRequester', () => {
  let sent: number[];

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    sent = [];
  });

  afterEach(() => {
    mock.timers.reset();
  });

  const requester = (throttleMs = 200): KeyframeRequester => new KeyframeRequester({ throttleMs, send: () => sent.push(Date.now()) > 0 });

  test('the first request goes upstream at once', () => {
    const r = requester();
    r.request();
    assert.deepEqual(sent, [1_000_000]);
  });

  test('100 viewers joining over one second cause a handful of PLIs, spaced by the throttle', () => {
    const r = requester(200);
    for (let i = 0; i < 100; i++) {
      r.request();
      mock.timers.tick(10);
    }
    mock.timers.tick(1000);
    assert.equal(r.requestCount, 100);
    assert.ok(sent.length >= 5 && sent.length <= 6, `sent ${sent.length} PLIs`);
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i]! - sent[i - 1]! >= 200, 'at most one per 200 ms');
  });

  test('a request inside the window is sent once at its end, not dropped', () => {
    const r = requester(200);
    r.request();
    mock.timers.tick(50);
    r.request();
    r.request();
    assert.equal(sent.length, 1, 'nothing more inside the window');
    assert.equal(r.pending, true);
    mock.timers.tick(149);
    assert.equal(sent.length, 1);
    mock.timers.tick(1);
    assert.deepEqual(sent, [1_000_000, 1_000_200]);
    assert.equal(r.pending, false);
  });

  test('requests after a quiet period go out at once again', () => {
    const r = requester(200);
    r.request();
    mock.timers.tick(500);
    r.request();
    assert.deepEqual(sent, [1_000_000, 1_000_500]);
  });

  test('throttle 0 relays every request', () => {
    const r = requester(0);
    for (let i = 0; i < 5; i++) r.request();
    assert.equal(sent.length, 5);
  });

  test('a request that could not be sent (publisher SSRC unknown yet) does not hold back the next one', () => {
    let ready = false;
    const r = new KeyframeRequester({ throttleMs: 200, send: () => ready && sent.push(Date.now()) > 0 });
    r.request();
    ready = true;
    mock.timers.tick(10);
    r.request();
    assert.deepEqual(sent, [1_000_010]);
    assert.equal(r.sentCount, 1);
  });

  test('close() cancels a pending trailing request and ignores later ones', () => {
    const r = requester(200);
    r.request();
    r.request();
    r.close();
    mock.timers.tick(1000);
    r.request();
    assert.equal(sent.length, 1);
  });
});
