import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_BITS, crc8, decodeClockBits, encodeClockBits, restoreClockTime } from './clock-code.ts';

const NOW = 1_764_000_000_123; // a late-2025 Date.now()

describe('clock-code', () => {
  test('encodeClockBits gives 40 bits that decode back to the low 32 bits of the time', () => {
    for (const t of [0, 1, NOW, NOW + 33, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345]) {
      const bits = encodeClockBits(t);
      assert.equal(bits.length, CODE_BITS);
      assert.equal(decodeClockBits(bits), t % 2 ** 32);
    }
  });

  test('decodeClockBits rejects every single and double bit flip', () => {
    const bits = encodeClockBits(NOW);
    for (let i = 0; i < CODE_BITS; i++) {
      const one = [...bits];
      one[i] = 1 - one[i]!;
      assert.equal(decodeClockBits(one), null, `flip of bit ${i} went unnoticed`);
      for (let j = i + 1; j < CODE_BITS; j++) {
        const two = [...one];
        two[j] = 1 - two[j]!;
        assert.equal(decodeClockBits(two), null, `flips of bits ${i},${j} went unnoticed`);
      }
    }
  });

  test('all-black and all-white pictures are not valid codes', () => {
    assert.equal(decodeClockBits(new Array(CODE_BITS).fill(0)), null);
    assert.equal(decodeClockBits(new Array(CODE_BITS).fill(1)), null);
  });

  test('decodeClockBits rejects a code of the wrong length', () => {
    assert.equal(decodeClockBits(encodeClockBits(NOW).slice(1)), null);
  });

  test('crc8 matches the CRC-8/I-432-1 check value', () => {
    // Catalogue check value for the ASCII string "123456789".
    assert.equal(crc8([...'123456789'].map((c) => c.charCodeAt(0))), 0xa1);
  });

  test('restoreClockTime recovers the full time from the reader clock, also across a 32-bit wrap', () => {
    assert.equal(restoreClockTime(NOW % 2 ** 32, NOW + 80), NOW);
    assert.equal(restoreClockTime((NOW + 500) % 2 ** 32, NOW), NOW + 500); // reader a bit behind the sender
    const wrap = Math.ceil(NOW / 2 ** 32) * 2 ** 32; // a wrap point after NOW
    assert.equal(restoreClockTime((wrap - 10) % 2 ** 32, wrap + 50), wrap - 10);
    assert.equal(restoreClockTime((wrap + 10) % 2 ** 32, wrap - 50), wrap + 10);
  });
});
