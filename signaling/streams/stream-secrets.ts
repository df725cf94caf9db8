/**
 * Random identifiers and secrets for streams and sessions, and the
 * constant-time comparison used to check stream keys.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 12 url-safe characters (72 bits): short enough for a watch link, too many to enumerate. */
export function newStreamId(): string {
  return randomBytes(9).toString('base64url');
}

/** 192-bit publishing secret; the prefix makes a leaked key easy to recognise in logs and scanners. */
export function newStreamKey(): string {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

/** 128-bit session id; the session URL is a capability (whoever holds it may PATCH or DELETE it). */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Compares secrets without leaking where they differ. Both sides are hashed first
 * so that inputs of different lengths still take the same path through timingSafeEqual.
 */
export function secretsMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
