/**
 * The entry side of a node link: one streaming `GET /cluster/v1/link` to a
 * node this process placed viewers on. Session events are routed to their
 * RemoteTransport; when the stream ends, errors, or stays silent past
 * LINK_SILENCE_MS, the link is down: every session on that node is lost at
 * once (its viewers' pages are told to re-place) and 'down' lets the caller
 * evict the node from placement.
 */
import { request, type ClientRequest } from 'node:http';
import { ServiceUnavailableError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { SafeEmitter } from '../SafeEmitter.ts';
import { LINK_SILENCE_MS, LinkEvent } from './link-events.ts';
import type { RemoteTransport } from './RemoteTransport.ts';

const logger = createLogger('signaling:cluster:NodeLink');
const OPEN_TIMEOUT_MS = 3000;

export type NodeLinkEvents = {
  down: [reason: string];
};

export class NodeLink extends SafeEmitter<NodeLinkEvents> {
  readonly nodeId: string;
  readonly ready: Promise<void>;
  readonly #sessions = new Map<string, RemoteTransport>();
  #req: ClientRequest | undefined;
  #lastHeardMs = Date.now();
  #watchdog: NodeJS.Timeout | undefined;
  #down = false;

  constructor(options: { nodeId: string; url: string; headers: Record<string, string> }) {
    super();
    this.nodeId = options.nodeId;
    this.ready = new Promise<void>((resolve, reject) => {
      const fail = (reason: string): void => {
        reject(new ServiceUnavailableError(`node ${options.nodeId} link: ${reason}`));
        this.#setDown(reason);
      };
      const timer = setTimeout(() => fail(`no answer within ${OPEN_TIMEOUT_MS} ms`), OPEN_TIMEOUT_MS);
      const req = request(new URL('/cluster/v1/link', options.url), { method: 'GET', headers: options.headers, agent: false });
      this.#req = req;
      req.on('response', (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          res.resume();
          fail(`refused with HTTP ${res.statusCode}`);
          return;
        }
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          this.#lastHeardMs = Date.now();
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            this.#onLine(buffered.slice(0, newline));
            buffered = buffered.slice(newline + 1);
          }
        });
        res.on('close', () => this.#setDown('link closed by the node'));
        this.#watchdog = setInterval(() => {
          if (Date.now() - this.#lastHeardMs > LINK_SILENCE_MS) this.#setDown(`silent for ${LINK_SILENCE_MS} ms`);
        }, 500);
        this.#watchdog.unref();
        resolve();
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        fail(err.message);
      });
      req.end();
    });
    // Callers await ready; an unobserved rejection must not crash the process.
    this.ready.catch(() => undefined);
  }

  get isDown(): boolean {
    return this.#down;
  }

  register(transport: RemoteTransport): void {
    if (this.#down) {
      transport.lost(`node ${this.nodeId} is unreachable`);
      return;
    }
    this.#sessions.set(transport.id, transport);
    transport.once('@close', () => this.#sessions.delete(transport.id));
  }

  close(): void {
    this.#setDown('closed');
  }

  #onLine(line: string): void {
    if (!line) return;
    let event: LinkEvent;
    try {
      const parsed = LinkEvent.safeParse(JSON.parse(line));
      if (!parsed.success) return;
      event = parsed.data;
    } catch {
      return;
    }
    if (event.t === 'ping' || event.t === 'hello') return;
    this.#sessions.get(event.session)?.onLinkEvent(event);
  }

  #setDown(reason: string): void {
    if (this.#down) return;
    this.#down = true;
    clearInterval(this.#watchdog);
    this.#req?.destroy();
    if (reason !== 'closed') logger.warn(`link to ${this.nodeId} down: ${reason} [sessions:${this.#sessions.size}]`);
    for (const transport of [...this.#sessions.values()]) transport.lost(`node ${this.nodeId} lost (${reason})`);
    this.#sessions.clear();
    this.safeEmit('down', reason);
  }
}
