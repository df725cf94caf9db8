/**
 * Bit logic of the frame clock: the sender's wall clock (Date.now(), ms) is
 * sent as 32 time bits + an 8-bit CRC. Only the low 32 bits travel (they wrap
 * every ~49.7 days); the reader restores the full time from its own clock,
 * which is fine because both ends share (or closely track) one wall clock.
 */

export const TIME_BITS = 32;
export const CHECK_BITS = 8;
export const CODE_BITS = TIME_BITS + CHECK_BITS;

const TWO_32 = 2 ** 32;

/**
 * CRC-8/I-432-1 (poly 0x07, xorout 0x55) over the 4 time bytes. The xorout
 * makes an all-black frame (every bit 0) fail the check.
 */
export function crc8(bytes: ArrayLike<number>): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= (bytes[i] ?? 0) & 0xff;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc ^ 0x55;
}

function timeBytes(time32: number): number[] {
  return [(time32 >>> 24) & 0xff, (time32 >>> 16) & 0xff, (time32 >>> 8) & 0xff, time32 & 0xff];
}

/** The 40 code bits for a wall-clock time, most significant first; 1 = white block. */
export function encodeClockBits(timeMs: number): number[] {
  const time32 = Math.floor(timeMs) % TWO_32 >>> 0;
  const check = crc8(timeBytes(time32));
  const bits: number[] = [];
  for (let i = TIME_BITS - 1; i >= 0; i--) bits.push((time32 >>> i) & 1);
  for (let i = CHECK_BITS - 1; i >= 0; i--) bits.push((check >>> i) & 1);
  return bits;
}

/** The low 32 time bits carried by `bits`, or null when the check value does not match. */
export function decodeClockBits(bits: ArrayLike<number>): number | null {
  if (bits.length !== CODE_BITS) return null;
  let time32 = 0;
  for (let i = 0; i < TIME_BITS; i++) time32 = (time32 * 2 + (bits[i] ? 1 : 0));
  let check = 0;
  for (let i = TIME_BITS; i < CODE_BITS; i++) check = (check << 1) | (bits[i] ? 1 : 0);
  return crc8(timeBytes(time32)) === check ? time32 : null;
}

/** Full wall-clock ms for the low 32 bits `time32`: the candidate nearest to `nowMs`. */
export function restoreClockTime(time32: number, nowMs: number): number {
  const base = nowMs - (((nowMs % TWO_32) + TWO_32) % TWO_32);
  let best = base + time32;
  for (const candidate of [best - TWO_32, best + TWO_32]) {
    if (Math.abs(candidate - nowMs) < Math.abs(best - nowMs)) best = candidate;
  }
  return best;
}
