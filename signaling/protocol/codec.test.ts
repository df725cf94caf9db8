import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { decodeClientMessage, decodeServerMessage, encodeMessage } from './codec.ts';
import { ClientMessage, CreateStreamBody } from './messages.ts';

const offer = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n';

describe('wire codec and schemas', () => {
  test('a watch request round-trips through msgpack and gets its default layer', () => {
    const frame = encode({ type: 'watch', reqId: 7, streamId: 'abcd1234', sdp: offer });
    const decoded = decodeClientMessage(frame);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, { type: 'watch', reqId: 7, streamId: 'abcd1234', sdp: offer, layer: 'auto' });
  });

  test('bytes that are not msgpack are refused with a reason, not an exception', () => {
    const decoded = decodeClientMessage(new Uint8Array([0xc1, 0xff, 0x00]));
    assert.equal(decoded.ok, false);
    assert.match(!decoded.ok ? decoded.reason : '', /not valid msgpack/);
  });

  test('a schema violation names the offending field and keeps the request id', () => {
    const decoded = decodeClientMessage(encode({ type: 'publish', reqId: 3, streamId: 'abcd1234', streamKey: '', sdp: offer }));
    assert.equal(decoded.ok, false);
    if (decoded.ok) return;
    assert.equal(decoded.reqId, 3);
    assert.match(decoded.reason, /streamKey/);
  });

  test('an unknown message type is refused', () => {
    const decoded = decodeClientMessage(encode({ type: 'launchMissiles', reqId: 1 }));
    assert.equal(decoded.ok, false);
  });

  test('stream ids outside the issued alphabet are refused (no path tricks through ids)', () => {
    assert.equal(ClientMessage.safeParse({ type: 'follow', reqId: 1, streamId: '../etc' }).success, false);
    assert.equal(ClientMessage.safeParse({ type: 'follow', reqId: 1, streamId: 'ab' }).success, false);
  });

  test('server messages with optional fields left undefined decode on the client side', () => {
    const frame = encodeMessage({ type: 'error', reqId: undefined, status: 400, code: 'bad_request', message: 'x' });
    const decoded = decodeServerMessage(frame);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
  });

  test('stream titles are trimmed and bounded', () => {
    assert.deepEqual(CreateStreamBody.parse({ title: '  hi  ' }), { title: 'hi' });
    assert.equal(CreateStreamBody.safeParse({ title: '   ' }).success, false);
    assert.equal(CreateStreamBody.safeParse({ title: 'x'.repeat(141) }).success, false);
  });
});
