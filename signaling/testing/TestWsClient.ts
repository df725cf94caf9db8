/**
 * A small RFC 6455 client for tests, on node:http. Node 20 has no global
 * WebSocket without a flag, and tests need what browser sockets hide anyway:
 * sending text frames or raw bytes, and reading the exact close code and reason.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { decodeServerMessage, encodeMessage } from '../protocol/codec.ts';
import type { ClientMessage, ServerMessage } from '../protocol/messages.ts';

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

const OPCODE = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

export class TestWsClient {
  readonly #socket: Socket;
  readonly #messages: ServerMessage[] = [];
  readonly #waiters: (() => void)[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #fragmentOpcode = 0;
  #closeInfo: CloseInfo | undefined;
  /** Frames the server sent that were not valid server messages (a protocol bug if non-empty). */
  readonly undecodable: string[] = [];
  readonly closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;

  private constructor(socket: Socket, head: Buffer) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => this.#finish({ code: 1006, reason: '' }));
    socket.on('error', () => undefined);
    if (head.length > 0) this.#onData(head);
  }

  /** Opens ws://host:port/path (http URLs are accepted and mapped). */
  static connect(url: string): Promise<TestWsClient> {
    const target = new URL(url.replace(/^ws/, 'http'));
    return new Promise((resolve, reject) => {
      const req = request({
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          'Sec-WebSocket-Version': '13',
        },
      });
      req.on('upgrade', (_res, socket, head) => resolve(new TestWsClient(socket, head)));
      req.on('response', (res) => reject(new Error(`expected a WebSocket upgrade, got HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
  }

  get isClosed(): boolean {
    return this.#closeInfo !== undefined;
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.sendFrame(OPCODE.BINARY, Buffer.from(encodeMessage(message as ClientMessage)));
  }

  sendBinary(bytes: Uint8Array): void {
    this.sendFrame(OPCODE.BINARY, Buffer.from(bytes));
  }

  sendText(text: string): void {
    this.sendFrame(OPCODE.TEXT, Buffer.from(text, 'utf8'));
  }

  sendFrame(opcode: number, payload: Buffer): void {
    if (this.#socket.destroyed) return;
    const mask = randomBytes(4);
    const length = payload.length;
    const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (length < 126) header[1] = 0x80 | length;
    else if (length < 65536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
    this.#socket.write(Buffer.concat([header, mask, masked]));
  }

  /** The next server message, in order. Rejects after timeoutMs or when the socket closes first. */
  async next(timeoutMs = 5000): Promise<ServerMessage> {
    return this.nextWhere(() => true, timeoutMs);
  }

  /** The first queued or future message matching `predicate`; earlier non-matching ones are discarded. */
  async nextWhere(predicate: (message: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#messages.length > 0) {
        const message = this.#messages.shift()!;
        if (predicate(message)) return message;
      }
      if (this.#closeInfo) throw new Error(`socket closed (${this.#closeInfo.code} ${this.#closeInfo.reason}) before the expected message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** All messages received so far and not yet consumed. */
  drain(): ServerMessage[] {
    return this.#messages.splice(0);
  }

  close(code = 1000, reason = ''): Promise<CloseInfo> {
    if (!this.#closeInfo && !this.#socket.destroyed) {
      const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
      payload.writeUInt16BE(code, 0);
      payload.write(reason, 2);
      this.sendFrame(OPCODE.CLOSE, payload);
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close frame, like a phone losing signal. */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = this.#takeFrame();
      if (!frame) return;
      this.#onFrame(frame.fin, frame.opcode, frame.payload);
    }
  }

  #takeFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    const b = this.#buffer;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const maskKey = masked ? b.subarray(offset, offset + 4) : undefined;
    if (masked) offset += 4;
    if (b.length < offset + length) return undefined;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (maskKey) for (let i = 0; i < payload.length; i++) payload[i]! ^= maskKey[i % 4]!;
    this.#buffer = b.subarray(offset + length);
    return { fin, opcode, payload };
  }

  #onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.PING) return this.sendFrame(OPCODE.PONG, payload);
    if (opcode === OPCODE.PONG) return;
    if (opcode === OPCODE.CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      const reason = payload.subarray(2).toString('utf8');
      if (!this.#socket.destroyed) this.sendFrame(OPCODE.CLOSE, payload.subarray(0, 2));
      this.#finish({ code, reason });
      this.#socket.end();
      return;
    }
    if (opcode !== OPCODE.CONTINUATION) {
      this.#fragmentOpcode = opcode;
      this.#fragments = [];
    }
    this.#fragments.push(payload);
    if (!fin) return;
    const whole = Buffer.concat(this.#fragments);
    this.#fragments = [];
    if (this.#fragmentOpcode !== OPCODE.BINARY) {
      this.undecodable.push(`text frame: ${whole.toString('utf8')}`);
      return;
    }
    const decoded = decodeServerMessage(whole);
    if (decoded.ok) this.#messages.push(decoded.value);
    else this.undecodable.push(decoded.reason);
    this.#wake();
  }

  #finish(info: CloseInfo): void {
    if (this.#closeInfo) return;
    this.#closeInfo = info;
    this.#resolveClosed(info);
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
