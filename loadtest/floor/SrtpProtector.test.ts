import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, SrtpSession } from 'werift';
import { SrtpProtector, SRTP_AUTH_TAG_BYTES } from './SrtpProtector.ts';

function rtpHeader(seq: number, ssrc: number, timestamp: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 96;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(timestamp, 4);
  h.writeUInt32BE(ssrc, 8);
  return h;
}

function weriftReceiver(masterKey: Buffer, masterSalt: Buffer): SrtpSession {
  return new SrtpSession({
    keys: { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: masterKey, remoteMasterSalt: masterSalt },
    profile: ProtectionProfileAes128CmHmacSha1_80,
  });
}

describe('SrtpProtector', () => {
  test('output decrypts and authenticates with werift\'s SRTP receiver', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const protector = new SrtpProtector(key, salt);
    const receiver = weriftReceiver(key, salt);
    for (let i = 0; i < 5; i++) {
      const header = rtpHeader(1000 + i, 0x1234abcd, 90_000 + i * 3000);
      const payload = randomBytes(1088);
      const srtp = protector.protect(header, payload);
      assert.equal(srtp.length, 12 + 1088 + SRTP_AUTH_TAG_BYTES);
      assert.notDeepEqual(srtp.subarray(12, 12 + 1088), payload, 'payload must be encrypted');
      assert.deepEqual(receiver.decrypt(srtp), Buffer.concat([header, payload]));
    }
  });

  test('keeps werift in step across the sequence-number wrap (rollover counter)', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const protector = new SrtpProtector(key, salt);
    const receiver = weriftReceiver(key, salt);
    for (let i = 0; i < 10; i++) {
      const header = rtpHeader((65_530 + i) & 0xffff, 42, i);
      const payload = randomBytes(100);
      assert.deepEqual(receiver.decrypt(protector.protect(header, payload)), Buffer.concat([header, payload]), `packet ${i}`);
    }
  });

  test('a receiver with another key rejects the packet', () => {
    const protector = new SrtpProtector(randomBytes(16), randomBytes(14));
    const receiver = weriftReceiver(randomBytes(16), randomBytes(14));
    const srtp = protector.protect(rtpHeader(1, 1, 1), randomBytes(200));
    assert.throws(() => receiver.decrypt(srtp));
  });

  test('rejects keys of the wrong size', () => {
    assert.throws(() => new SrtpProtector(randomBytes(32), randomBytes(14)), RangeError);
    assert.throws(() => new SrtpProtector(randomBytes(16), randomBytes(12)), RangeError);
  });
});
