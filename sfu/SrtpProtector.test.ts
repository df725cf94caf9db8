/**
 * The SFU's own SRTP protection, checked against werift's SRTP receiver (the
 * same code that decrypts Chromium's packets on the publisher leg) for both
 * profiles, across sequence wraps and with resends of older packets.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, SrtpSession } from 'werift';
import { SrtpProtector, SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, type SrtpProfile } from './SrtpProtector.ts';

/** A header with a one-byte extension block (mid "1", abs-send-time), as the SFU writes them. */
function rtpHeader(seq: number, ssrc: number, timestamp: number): Buffer {
  const h = Buffer.alloc(24);
  h[0] = 0x90;
  h[1] = 96;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(timestamp >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  h.writeUInt16BE(0xbede, 12);
  h.writeUInt16BE(2, 14);
  Buffer.from([0x30, 0x31, 0x52, 0x01, 0x02, 0x03, 0x00, 0x00]).copy(h, 16);
  return h;
}

const PROFILES: ReadonlyArray<{ name: string; profile: SrtpProfile; werift: number; saltBytes: number }> = [
  { name: 'AES_CM_128_HMAC_SHA1_80', profile: SRTP_AES128_CM_HMAC_SHA1_80, werift: ProtectionProfileAes128CmHmacSha1_80, saltBytes: 14 },
  { name: 'AEAD_AES_128_GCM', profile: SRTP_AEAD_AES_128_GCM, werift: ProtectionProfileAeadAes128Gcm, saltBytes: 12 },
];

for (const p of PROFILES) {
  describe(`SrtpProtector ${p.name}`, () => {
    const pair = (): { protector: SrtpProtector; receiver: SrtpSession } => {
      const key = randomBytes(16);
      const salt = randomBytes(p.saltBytes);
      const receiver = new SrtpSession({
        keys: { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(p.saltBytes), remoteMasterKey: key, remoteMasterSalt: salt },
        profile: p.werift as never,
      });
      return { protector: new SrtpProtector(p.profile, key, salt), receiver };
    };

    test("werift's SRTP receiver decrypts and authenticates what it protects, for payloads of any length and alignment", () => {
      const { protector, receiver } = pair();
      for (const [i, size] of [1, 15, 16, 17, 160, 505, 1088, 1200, 161, 506, 1199].entries()) {
        const header = rtpHeader(1000 + i, 0x1234abcd, 90_000 + i * 3000);
        // The last three payloads start at an odd address, as a payload inside a received packet may.
        const payload = i >= 8 ? randomBytes(size + 1).subarray(1) : randomBytes(size);
        const srtp = protector.protect(header, payload);
        assert.equal(srtp.length, header.length + size + protector.tagLength);
        assert.deepEqual(srtp.subarray(0, header.length), header, 'the header stays in the clear');
        assert.notDeepEqual(srtp.subarray(header.length, header.length + size), payload, 'the payload is encrypted');
        assert.deepEqual(receiver.decrypt(srtp), Buffer.concat([header, payload]), `payload of ${size} bytes`);
      }
    });

    test('keeps the rollover counter in step across sequence wraps', () => {
      const { protector, receiver } = pair();
      // Two full wraps in steps of 61 (werift's receiver tolerates gaps below 100 at a wrap), every packet near each wrap.
      for (let n = 65_500; n < 3 * 65_536; n += n % 65_536 > 65_530 || n % 65_536 < 6 ? 1 : 61) {
        const header = rtpHeader(n, 42, n * 10);
        const payload = randomBytes(40);
        assert.deepEqual(receiver.decrypt(protector.protect(header, payload)), Buffer.concat([header, payload]), `index ${n}`);
      }
    });

    test('a resent packet from before the last wrap is protected with its original rollover counter', () => {
      const { protector, receiver } = pair();
      const original = new Map<number, Buffer>();
      for (const seq of [65_533, 65_534, 65_535, 0, 1, 2]) {
        const srtp = protector.protect(rtpHeader(seq, 7, seq), Buffer.from(`packet ${seq}`));
        original.set(seq, srtp);
        receiver.decrypt(srtp);
      }
      // A NACK for 65534 after the wrap: the same bytes as the first time (same key stream and tag).
      const resent = protector.protect(rtpHeader(65_534, 7, 65_534), Buffer.from('packet 65534'));
      assert.deepEqual(resent, original.get(65_534));
      // And the stream carries on after the wrap with the new counter.
      const next = protector.protect(rtpHeader(3, 7, 3), Buffer.from('packet 3'));
      assert.deepEqual(receiver.decrypt(next).subarray(24).toString(), 'packet 3');
    });

    test('streams of different SSRCs keep their own rollover counters', () => {
      const { protector, receiver } = pair();
      for (const seq of [65_535, 0, 1]) receiver.decrypt(protector.protect(rtpHeader(seq, 1, 0), randomBytes(20)));
      const other = rtpHeader(65_535, 2, 0);
      const payload = randomBytes(20);
      assert.deepEqual(receiver.decrypt(protector.protect(other, payload)), Buffer.concat([other, payload]));
    });

    test('a receiver with other keys rejects the packet', () => {
      const { protector } = pair();
      const { receiver } = pair();
      assert.throws(() => receiver.decrypt(protector.protect(rtpHeader(1, 1, 1), randomBytes(200))));
    });
  });
}

describe('SrtpProtector arguments', () => {
  test('rejects keys of the wrong size and unknown profiles', () => {
    assert.throws(() => new SrtpProtector(SRTP_AES128_CM_HMAC_SHA1_80, randomBytes(32), randomBytes(14)), RangeError);
    assert.throws(() => new SrtpProtector(SRTP_AES128_CM_HMAC_SHA1_80, randomBytes(16), randomBytes(12)), RangeError);
    assert.throws(() => new SrtpProtector(SRTP_AEAD_AES_128_GCM, randomBytes(16), randomBytes(14)), RangeError);
    assert.throws(() => new SrtpProtector(0x0002, randomBytes(16), randomBytes(14)), /not supported/);
  });
});
