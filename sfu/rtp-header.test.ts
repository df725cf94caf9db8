import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RtpHeader } from 'werift';
import { maxRtpHeaderLength, writeRtpHeader, type HeaderExtension } from './rtp-header.ts';

function parse(buf: Buffer, length: number): RtpHeader {
  return RtpHeader.deSerialize(buf.subarray(0, length));
}

describe('writeRtpHeader', () => {
  test("writes fields that werift's parser reads back, without extensions", () => {
    const buf = Buffer.alloc(64, 0xff);
    const length = writeRtpHeader(buf, true, 111, 65_535, 0xfffffff0, 0x89abcdef, [], 0, false);
    assert.equal(length, 12);
    const h = parse(buf, length);
    assert.equal(h.marker, true);
    assert.equal(h.payloadType, 111);
    assert.equal(h.sequenceNumber, 65_535);
    assert.equal(h.timestamp, 0xfffffff0);
    assert.equal(h.ssrc, 0x89abcdef);
    assert.equal(h.extension, false);
  });

  test('writes one-byte extensions padded to a 32-bit boundary, skipping empty payloads', () => {
    const exts: HeaderExtension[] = [
      { id: 3, payload: Buffer.from('1') },
      { id: 5, payload: Buffer.from([1, 2, 3]) },
      { id: 9, payload: Buffer.alloc(0) },
      { id: 7, payload: Buffer.from([0x90]) },
    ];
    const buf = Buffer.alloc(maxRtpHeaderLength(exts), 0xff);
    const length = writeRtpHeader(buf, false, 96, 7, 90_000, 42, exts, exts.length, false);
    assert.equal(length % 4, 0);
    assert.equal(buf.readUInt16BE(12), 0xbede);
    const h = parse(buf, length);
    assert.deepEqual(
      h.extensions.map((e) => [e.id, [...e.payload]]),
      [
        [3, [0x31]],
        [5, [1, 2, 3]],
        [7, [0x90]],
      ],
    );
  });

  test('writes two-byte extensions with ids above 14 and long payloads', () => {
    const exts: HeaderExtension[] = [
      { id: 15, payload: Buffer.alloc(20, 0xab) },
      { id: 200, payload: Buffer.from([4]) },
    ];
    const buf = Buffer.alloc(maxRtpHeaderLength(exts));
    const length = writeRtpHeader(buf, false, 96, 1, 2, 3, exts, 1, true);
    assert.equal(buf.readUInt16BE(12), 0x1000);
    const h = parse(buf, length);
    assert.deepEqual(h.extensions.map((e) => [e.id, e.payload.length]), [[15, 20]], 'only the first `count` entries');
  });
});
