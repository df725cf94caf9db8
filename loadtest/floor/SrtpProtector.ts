/**
 * SRTP protection with AES-128-CM + HMAC-SHA1-80 (RFC 3711) on node:crypto: the work any SFU must
 * do per forwarded packet per viewer. The fan-out benchmark's floor runs it in a tight loop, so it
 * is written the way an efficient forwarder would (one allocation for the output, no re-parsing).
 * Session keys are derived from a master key/salt as RFC 3711 §4.3 says (key derivation rate 0),
 * which lets the test check the output against werift's SRTP decryption.
 */
import { createCipheriv, createHmac } from 'node:crypto';

export const SRTP_AUTH_TAG_BYTES = 10;

interface RolloverState {
  roc: number;
  lastSeq: number;
}

export class SrtpProtector {
  readonly #sessionKey: Buffer;
  readonly #sessionSalt: Buffer;
  readonly #authKey: Buffer;
  readonly #rollover = new Map<number, RolloverState>();
  readonly #iv = Buffer.alloc(16);
  readonly #rocBytes = Buffer.alloc(4);

  constructor(masterKey: Buffer, masterSalt: Buffer) {
    if (masterKey.length !== 16 || masterSalt.length !== 14) {
      throw new RangeError(`AES-128-CM needs a 16-byte master key and 14-byte salt, got ${masterKey.length} and ${masterSalt.length}`);
    }
    this.#sessionKey = deriveSessionKey(masterKey, masterSalt, 0x00, 16);
    this.#authKey = deriveSessionKey(masterKey, masterSalt, 0x01, 20);
    this.#sessionSalt = deriveSessionKey(masterKey, masterSalt, 0x02, 14);
  }

  /** Returns header ‖ AES-CM(payload) ‖ HMAC-SHA1-80 tag. `header` is the full RTP header (with CSRCs/extensions). */
  protect(header: Buffer, payload: Buffer): Buffer {
    const seq = header.readUInt16BE(2);
    const ssrc = header.readUInt32BE(8);
    const roc = this.#rolloverFor(ssrc, seq);

    const iv = this.#iv;
    iv.fill(0);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(roc, 8);
    iv.writeUInt16BE(seq, 12);
    for (let i = 0; i < 14; i++) iv[i] = (iv[i] as number) ^ (this.#sessionSalt[i] as number);

    const out = Buffer.allocUnsafe(header.length + payload.length + SRTP_AUTH_TAG_BYTES);
    header.copy(out, 0);
    const cipher = createCipheriv('aes-128-ctr', this.#sessionKey, iv);
    const encrypted = cipher.update(payload);
    encrypted.copy(out, header.length);

    this.#rocBytes.writeUInt32BE(roc, 0);
    const tag = createHmac('sha1', this.#authKey)
      .update(out.subarray(0, header.length + payload.length))
      .update(this.#rocBytes)
      .digest();
    tag.copy(out, header.length + payload.length, 0, SRTP_AUTH_TAG_BYTES);
    return out;
  }

  /** Sender-side rollover counter: counts 16-bit sequence wraps per SSRC. */
  #rolloverFor(ssrc: number, seq: number): number {
    const s = this.#rollover.get(ssrc);
    if (!s) {
      this.#rollover.set(ssrc, { roc: 0, lastSeq: seq });
      return 0;
    }
    if (seq < s.lastSeq && s.lastSeq - seq > 0x8000) s.roc = (s.roc + 1) >>> 0;
    s.lastSeq = seq;
    return s.roc;
  }
}

/** RFC 3711 §4.3.1/§4.3.3 AES-CM PRF: keystream under the master key at IV = (label ⊕ salt) ‖ 0x0000. */
function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  iv[7] = (iv[7] as number) ^ label;
  const cipher = createCipheriv('aes-128-ctr', masterKey, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]).subarray(0, length);
}
