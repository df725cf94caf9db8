/**
 * Anonymous chat identities: a random user id plus an HMAC token that proves it, handed to the
 * client on its first join and presented on later joins, so the same person keeps the same name,
 * and the same bans, across reconnects and server restarts (the key is kept in the database).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { anonymousName } from './anonymous-name.ts';

export interface ChatIdentity {
  readonly userId: string;
  readonly name: string;
  readonly token: string;
}

const MAC_BYTES = 18;

export class ChatIdentities {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new RangeError('ChatIdentities needs a key of at least 32 bytes');
    this.#key = key;
  }

  /** A fresh identity. */
  issue(): ChatIdentity {
    return this.#identity(`u${randomBytes(9).toString('base64url')}`);
  }

  /** The identity a token proves, or a fresh one when the token is missing or forged. */
  resolve(token: string | undefined): ChatIdentity {
    const userId = token === undefined ? undefined : this.verify(token);
    return userId === undefined ? this.issue() : this.#identity(userId);
  }

  /** The user id a token proves, or undefined. */
  verify(token: string): string | undefined {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const userId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.#mac(userId);
    return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
  }

  #identity(userId: string): ChatIdentity {
    return { userId, name: anonymousName(userId), token: `${userId}.${this.#mac(userId).toString('base64url')}` };
  }

  #mac(userId: string): Buffer {
    return createHmac('sha256', this.#key).update(userId).digest().subarray(0, MAC_BYTES);
  }
}
