/**
 * SRTP protection of outgoing RTP on node:crypto, for the per-viewer hot path:
 * AEAD_AES_128_GCM (RFC 7714) or AES_CM_128_HMAC_SHA1_80 (RFC 3711), session
 * keys derived once from the DTLS-exported master key and salt (RFC 3711 §4.3,
 * key derivation rate 0), packets written in place into one output buffer.
 *
 * Per packet, AES-CM costs one AES-ECB call on a cipher object kept for the
 * session (the keystream for every counter block of the packet at once) and one
 * HMAC-SHA1; AES-GCM costs one cipher object. The rollover counter follows the
 * highest sequence number sent per SSRC (RFC 3711 Appendix A), so resent older
 * packets, even from before a wrap, get the index they were first sent with.
 * No werift imports: loadtest/floor uses this class as the floor's protector.
 */
import { createCipheriv, createHmac, type Cipher } from 'node:crypto';

/** DTLS-SRTP protection profile ids (IANA), as werift numbers them too. */
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AEAD_AES_128_GCM = 0x0007;
export type SrtpProfile = typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AEAD_AES_128_GCM;

const CM_TAG_BYTES = 10;
const GCM_TAG_BYTES = 16;
/** Counter blocks in the scratch at first (1,536 bytes of payload); grows on demand. */
const INITIAL_BLOCKS = 96;
/** Counter blocks are written as 32-bit words; on a little-endian host each big-endian word is byte-swapped. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const wordOrder = LITTLE_ENDIAN
  ? (x: number): number => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0
  : (x: number): number => x >>> 0;

interface StreamIndex {
  roc: number;
  highestSeq: number;
}

export class SrtpProtector {
  readonly profile: SrtpProfile;
  /** Bytes the protection adds after the payload. */
  readonly tagLength: number;
  readonly #sessionKey: Buffer;
  readonly #authKey: Buffer;
  readonly #ecb: Cipher | undefined;
  readonly #streams = new Map<number, StreamIndex>();
  /** Session salt as big-endian words at bytes 0, 2, 4, 6, 8, 10 and 12 (read once, XORed per packet). */
  readonly #saltAt: Uint32Array = new Uint32Array(7);
  readonly #gcmIv = Buffer.alloc(12);
  readonly #rocBytes = Buffer.alloc(4);
  #blocks = Buffer.alloc(INITIAL_BLOCKS * 16);
  #blockWords = new Uint32Array(this.#blocks.buffer, this.#blocks.byteOffset, INITIAL_BLOCKS * 4);
  #lastSsrc = -1;
  #lastStream: StreamIndex | undefined;

  constructor(profile: number, masterKey: Buffer, masterSalt: Buffer) {
    if (profile !== SRTP_AES128_CM_HMAC_SHA1_80 && profile !== SRTP_AEAD_AES_128_GCM) {
      throw new RangeError(`SRTP profile 0x${profile.toString(16)} is not supported; use AES_CM_128_HMAC_SHA1_80 (1) or AEAD_AES_128_GCM (7)`);
    }
    const saltBytes = profile === SRTP_AEAD_AES_128_GCM ? 12 : 14;
    if (masterKey.length !== 16 || masterSalt.length !== saltBytes) {
      throw new RangeError(`this profile needs a 16-byte master key and ${saltBytes}-byte salt, got ${masterKey.length} and ${masterSalt.length}`);
    }
    this.profile = profile;
    this.tagLength = profile === SRTP_AEAD_AES_128_GCM ? GCM_TAG_BYTES : CM_TAG_BYTES;
    this.#sessionKey = deriveSessionKey(masterKey, masterSalt, 0x00, 16);
    this.#authKey = deriveSessionKey(masterKey, masterSalt, 0x01, 20);
    const padded = Buffer.alloc(16);
    deriveSessionKey(masterKey, masterSalt, 0x02, saltBytes).copy(padded);
    for (let i = 0; i < 7; i++) this.#saltAt[i] = padded.readUInt32BE(i * 2);
    if (profile === SRTP_AES128_CM_HMAC_SHA1_80) {
      const ecb = createCipheriv('aes-128-ecb', this.#sessionKey, null);
      ecb.setAutoPadding(false);
      this.#ecb = ecb;
    }
  }

  /** Returns header ‖ protected payload ‖ tag; `header` is the complete RTP header (extensions included). */
  protect(header: Buffer, payload: Buffer): Buffer {
    const out = Buffer.allocUnsafe(header.length + payload.length + this.tagLength);
    header.copy(out, 0);
    this.protectInto(out, header.length, payload);
    return out;
  }

  /**
   * Protects in place: `out` holds the RTP header in [0, headerLength) and is
   * exactly headerLength + payload.length + tagLength long; the encrypted
   * payload and the tag are written after the header.
   */
  protectInto(out: Buffer, headerLength: number, payload: Buffer): void {
    const seq = (out[2]! << 8) | out[3]!;
    const ssrc = out.readUInt32BE(8);
    const roc = this.#rolloverFor(ssrc, seq);
    if (this.#ecb) this.#protectCm(out, headerLength, payload, ssrc, roc, seq);
    else this.#protectGcm(out, headerLength, payload, ssrc, roc, seq);
  }

  #protectGcm(out: Buffer, headerLength: number, payload: Buffer, ssrc: number, roc: number, seq: number): void {
    // RFC 7714 §8.1: IV = (00 00 ‖ SSRC ‖ ROC ‖ SEQ) XOR salt; the header is the additional authenticated data.
    const iv = this.#gcmIv;
    const salt = this.#saltAt;
    iv.writeUInt16BE(salt[0]! >>> 16, 0);
    iv.writeUInt32BE((ssrc ^ salt[1]!) >>> 0, 2);
    iv.writeUInt32BE((roc ^ salt[3]!) >>> 0, 6);
    iv.writeUInt16BE(seq ^ (salt[5]! >>> 16), 10);
    const cipher = createCipheriv('aes-128-gcm', this.#sessionKey, iv);
    cipher.setAAD(out.subarray(0, headerLength));
    cipher.update(payload).copy(out, headerLength);
    cipher.final();
    cipher.getAuthTag().copy(out, headerLength + payload.length);
  }

  #protectCm(out: Buffer, headerLength: number, payload: Buffer, ssrc: number, roc: number, seq: number): void {
    // RFC 3711 §4.1.1: counter block i = (salt ‖ 00 00) XOR (SSRC ‖ ROC ‖ SEQ at bytes 4..13) + i.
    const length = payload.length;
    const blockCount = (length + 15) >>> 4;
    if (blockCount * 16 > this.#blocks.length) {
      this.#blocks = Buffer.alloc(blockCount * 32);
      this.#blockWords = new Uint32Array(this.#blocks.buffer, this.#blocks.byteOffset, blockCount * 8);
    }
    const words = this.#blockWords;
    const salt = this.#saltAt;
    const w0 = wordOrder(salt[0]!);
    const w1 = wordOrder(ssrc ^ salt[2]!);
    const w2 = wordOrder(roc ^ salt[4]!);
    const w3 = ((seq ^ (salt[6]! >>> 16)) << 16) >>> 0; // bytes 12-13; bytes 14-15 count the blocks
    for (let b = 0, o = 0; b < blockCount; b++, o += 4) {
      words[o] = w0;
      words[o + 1] = w1;
      words[o + 2] = w2;
      words[o + 3] = wordOrder(w3 | b);
    }
    const keystream = this.#ecb!.update(this.#blocks.subarray(0, blockCount << 4));
    xorInto(out, headerLength, payload, keystream, length);
    // Authentication tag: HMAC-SHA1 over header ‖ encrypted payload ‖ ROC, first 80 bits.
    this.#rocBytes.writeUInt32BE(roc, 0);
    const tag = createHmac('sha1', this.#authKey)
      .update(out.subarray(0, headerLength + length))
      .update(this.#rocBytes)
      .digest();
    tag.copy(out, headerLength + length, 0, CM_TAG_BYTES);
  }

  /** The ROC of this packet's index; advances when the packet is the newest of its SSRC. */
  #rolloverFor(ssrc: number, seq: number): number {
    let s = ssrc === this.#lastSsrc ? this.#lastStream : this.#streams.get(ssrc);
    if (!s) {
      s = { roc: 0, highestSeq: seq };
      this.#streams.set(ssrc, s);
    }
    this.#lastSsrc = ssrc;
    this.#lastStream = s;
    const highest = s.highestSeq;
    // RFC 3711 Appendix A: the index closest to the highest one sent so far.
    if (highest < 0x8000) {
      if (seq - highest > 0x8000) return s.roc > 0 ? s.roc - 1 : 0; // older, from before the last wrap
      if (seq > highest) s.highestSeq = seq;
      return s.roc;
    }
    if (highest - 0x8000 > seq) {
      // Newer, past a wrap.
      s.roc = (s.roc + 1) >>> 0;
      s.highestSeq = seq;
      return s.roc;
    }
    if (seq > highest) s.highestSeq = seq;
    return s.roc;
  }
}

/** out[offset + i] = a[i] ^ b[i] for i < length; 32 bits at a time when all three are 4-byte aligned. */
function xorInto(out: Buffer, offset: number, a: Buffer, b: Buffer, length: number): void {
  let i = 0;
  const words = length >>> 2;
  if (words > 8 && ((out.byteOffset + offset) & 3) === 0 && (a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const o32 = new Int32Array(out.buffer, out.byteOffset + offset, words);
    const a32 = new Int32Array(a.buffer, a.byteOffset, words);
    const b32 = new Int32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) o32[w] = a32[w]! ^ b32[w]!;
    i = words << 2;
  }
  for (; i < length; i++) out[offset + i] = a[i]! ^ b[i]!;
}

/**
 * RFC 3711 §4.3.1/§4.3.3 AES-CM PRF with key derivation rate 0: AES(masterKey)
 * keystream at IV = (salt padded to 14 bytes, label XORed into byte 7) ‖ 00 00.
 * A 12-byte (GCM) master salt is zero-padded, as libsrtp does (RFC 7714 §11).
 */
function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  iv[7] = iv[7]! ^ label;
  const cipher = createCipheriv('aes-128-ctr', masterKey, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]).subarray(0, length);
}
