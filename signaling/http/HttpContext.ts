/**
 * One HTTP exchange on uWebSockets.js, made safe to use across awaits.
 * uWS hands out a stack-allocated request (valid only inside the route callback)
 * and a response that dies when the client aborts; this class copies what the
 * route needs up front, tracks abort, buffers the body with a size limit, and
 * corks every response so it can be sent from any later tick.
 */
import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { PayloadTooLargeError, ServiceUnavailableError } from '../errors.ts';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export interface HttpContextOptions {
  /** Number of `:param` segments in the route pattern. */
  readonly paramCount: number;
  /** Largest request body accepted, in bytes; larger ones fail with 413. */
  readonly bodyLimit: number;
  /** Headers added to every response of this route (e.g. CORS). */
  readonly baseHeaders?: Readonly<Record<string, string>>;
}

export type ResponseBody = string | Uint8Array;

export class HttpContext {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly params: readonly string[];
  readonly #headers = new Map<string, string>();
  readonly #res: HttpResponse;
  readonly #baseHeaders: Readonly<Record<string, string>>;
  #aborted = false;
  #abortController: AbortController | undefined;
  #responded = false;
  #body: Promise<Buffer> | undefined;
  #failBody: ((err: Error) => void) | undefined;

  constructor(res: HttpResponse, req: HttpRequest, options: HttpContextOptions) {
    this.#res = res;
    this.#baseHeaders = options.baseHeaders ?? {};
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    const params: string[] = [];
    for (let i = 0; i < options.paramCount; i++) params.push(decodeParam(req.getParameter(i) ?? ''));
    this.params = params;
    req.forEach((key, value) => this.#headers.set(key, value));

    res.onAborted(() => {
      this.#aborted = true;
      this.#abortController?.abort();
      this.#failBody?.(new ServiceUnavailableError('client went away'));
    });
    // onData must be attached inside the route callback, or the first chunks are lost.
    if (METHODS_WITH_BODY.has(this.method)) this.#body = this.#readBody(options.bodyLimit);
  }

  /** Header value by lowercase name, or undefined when absent. */
  header(name: string): string | undefined {
    return this.#headers.get(name);
  }

  /** A query-string parameter, decoded, or undefined. */
  queryParam(name: string): string | undefined {
    return new URLSearchParams(this.query).get(name) ?? undefined;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborted when the client goes away: lets long-held work (blocking HLS reloads) stop waiting. */
  get signal(): AbortSignal {
    this.#abortController ??= new AbortController();
    if (this.#aborted) this.#abortController.abort();
    return this.#abortController.signal;
  }

  get responded(): boolean {
    return this.#responded;
  }

  /** The request body; rejects with 413 past the limit. Empty for methods without a body. */
  body(): Promise<Buffer> {
    return this.#body ?? Promise.resolve(Buffer.alloc(0));
  }

  async text(): Promise<string> {
    return (await this.body()).toString('utf8');
  }

  /**
   * Sends the whole response once; later calls and calls after an abort are ignored.
   * `closeConnection` is for answers sent before the body was read (e.g. 413), so
   * the unread remainder does not poison the keep-alive connection.
   */
  respond(status: number, headers: Readonly<Record<string, string>> = {}, body?: ResponseBody, closeConnection = false): void {
    if (this.#aborted || this.#responded) return;
    this.#responded = true;
    const res = this.#res;
    res.cork(() => {
      res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`.trimEnd());
      for (const [key, value] of Object.entries(this.#baseHeaders)) res.writeHeader(key, value);
      for (const [key, value] of Object.entries(headers)) res.writeHeader(key, value);
      // endWithoutBody() with no arguments is the only form that omits Content-Length, as 204/304 require.
      if ((status === 204 || status === 304) && !closeConnection) res.endWithoutBody();
      // HEAD: the headers a GET would get, including its Content-Length, and no body.
      else if (this.method === 'HEAD') res.endWithoutBody(byteLength(body), closeConnection);
      else res.end(body ?? '', closeConnection);
    });
  }

  #readBody(limit: number): Promise<Buffer> {
    const declared = Number(this.#headers.get('content-length') ?? 'NaN');
    const tooLarge = (): PayloadTooLargeError => new PayloadTooLargeError(`request body is larger than ${limit} bytes`);
    const promise = new Promise<Buffer>((resolve, reject) => {
      this.#failBody = reject;
      if (Number.isFinite(declared) && declared > limit) {
        reject(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      this.#res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > limit) {
          failed = true;
          reject(tooLarge());
          return;
        }
        // uWS neuters the ArrayBuffer after this callback returns: copy it.
        chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
        if (isLast) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
    });
    // Routes that answer before reading (401, 415) never await the body; that is not an error.
    promise.catch(() => undefined);
    return promise;
  }
}

function byteLength(body: ResponseBody | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
