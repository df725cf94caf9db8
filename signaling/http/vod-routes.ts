/**
 * VOD routes: the page (GET /vod/:id, 404 for a stream that never went live), the files
 * under /vod/:id/ (VodOrigin: VOD playlists, archived segments, the MP4 with byte ranges,
 * WebVTT), the JSON API (GET /api/vod/:id, GET /api/vod/:id/chat), and the streamer's
 * controls, authorized by the stream key as a Bearer token: POST /api/streams/:id/chapters
 * and PATCH /api/streams/:id {title}.
 */
import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { isFileSlice, type VodResponse } from '../../hls-bridge/vod/index.ts';
import { BadRequestError, ServiceUnavailableError, UnsupportedMediaTypeError } from '../errors.ts';
import { ChapterMarkBody, UpdateStreamBody } from '../protocol/messages.ts';
import type { VodService } from '../vod/VodService.ts';
import { bearerToken } from './bearer-token.ts';
import { mediaTypeOf } from './content-type.ts';
import { CORS_HEADERS } from './cors.ts';
import { sendFileSlice, type AbortTracker } from './file-slice-response.ts';
import type { HttpContext } from './HttpContext.ts';
import { route } from './route.ts';

export interface VodRoutesDeps {
  readonly vod: VodService;
  /** The web client build (web-client/dist): vod.html comes from here. */
  readonly webRoot: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
const FILES_PREFIX = '/vod/';

export function registerVodRoutes(app: TemplatedApp, deps: VodRoutesDeps): void {
  const { vod } = deps;

  app.get(
    '/vod/:id',
    route(
      async (ctx) => {
        await vod.require(ctx.params[0]!);
        let page: Buffer;
        try {
          page = await readFile(join(deps.webRoot, 'vod.html'));
        } catch {
          throw new ServiceUnavailableError('the web client is not built yet: run `npm run build:web`, then reload');
        }
        ctx.respond(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }, page);
      },
      { params: 1, errors: 'text' },
    ),
  );

  const files = route(
    async (ctx) => {
      const res = await vod.origin.handle({
        path: ctx.path.slice(FILES_PREFIX.length),
        // HEAD is answered as a GET without its body (HttpContext drops it), so Content-Length is the real one.
        method: ctx.method === 'HEAD' ? 'GET' : ctx.method,
        ...(ctx.header('range') ? { range: ctx.header('range')! } : {}),
        query: new URLSearchParams(ctx.query),
      });
      // Only the MP4 comes back as a file slice, and its route streams it (below).
      ctx.respond(res.status, res.headers, isFileSlice(res.body) ? '' : res.body);
    },
    { errors: 'text' },
  );
  // The MP4 is streamed from disk (byte ranges for seeking, the whole file for a download).
  const mp4 = (res: HttpResponse, req: HttpRequest): void => {
    const method = req.getMethod().toUpperCase();
    const request = { path: req.getUrl().slice(FILES_PREFIX.length), range: req.getHeader('range'), query: new URLSearchParams(req.getQuery() ?? '') };
    const abort: AbortTracker = { aborted: false, onAbort: null };
    res.onAborted(() => {
      abort.aborted = true;
      abort.onAbort?.();
    });
    vod.origin
      .handle({ path: request.path, method: 'GET', ...(request.range ? { range: request.range } : {}), query: request.query })
      .then((answer) => sendVodAnswer(res, abort, answer, method === 'HEAD'))
      .catch((err: unknown) => sendVodAnswer(res, abort, { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `cannot serve the MP4: ${(err as Error).message}\n` }, false));
  };
  app.get(`${FILES_PREFIX}:id/vod.mp4`, mp4);
  app.head(`${FILES_PREFIX}:id/vod.mp4`, mp4);
  app.get(`${FILES_PREFIX}:id/*`, files);
  app.head(`${FILES_PREFIX}:id/*`, files);
  app.options(`${FILES_PREFIX}:id/*`, files);

  app.get(
    '/api/vod/:id',
    route(async (ctx) => ctx.respond(200, JSON_HEADERS, JSON.stringify(await vod.require(ctx.params[0]!))), { params: 1, headers: CORS_HEADERS }),
  );

  app.get(
    '/api/vod/:id/chat',
    route(async (ctx) => ctx.respond(200, JSON_HEADERS, JSON.stringify(await vod.chatReplay(ctx.params[0]!))), { params: 1, headers: CORS_HEADERS }),
  );

  app.post(
    '/api/streams/:id/chapters',
    route(
      async (ctx) => {
        checkJsonType(ctx, '{"title":"Q&A"}');
        vod.authorize(ctx.params[0]!, bearerToken(ctx));
        const body = parseJson(ctx, await ctx.text(), ChapterMarkBody, '{"title":"Q&A"}', true);
        const mark = await vod.mark(ctx.params[0]!, bearerToken(ctx), body);
        ctx.respond(201, JSON_HEADERS, JSON.stringify(mark));
      },
      { params: 1, headers: CORS_HEADERS },
    ),
  );

  app.patch(
    '/api/streams/:id',
    route(
      async (ctx) => {
        checkJsonType(ctx, '{"title":"New title"}');
        vod.authorize(ctx.params[0]!, bearerToken(ctx));
        const { title } = parseJson(ctx, await ctx.text(), UpdateStreamBody, '{"title":"New title"}', false);
        ctx.respond(200, JSON_HEADERS, JSON.stringify(await vod.rename(ctx.params[0]!, bearerToken(ctx), title)));
      },
      { params: 1, headers: CORS_HEADERS },
    ),
  );
}

function parseJson<T>(ctx: HttpContext, text: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: (string | number)[]; message: string }[] } } }, example: string, emptyOk: boolean): T {
  checkJsonType(ctx, example);
  let raw: unknown = {};
  if (text.trim() || !emptyOk) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new BadRequestError(`body is not valid JSON; send ${example}`);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequestError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function checkJsonType(ctx: HttpContext, example: string): void {
  const type = mediaTypeOf(ctx);
  if (type !== undefined && type !== 'application/json') throw new UnsupportedMediaTypeError(`send JSON like ${example} with Content-Type: application/json, not ${type}`);
}

function sendVodAnswer(res: HttpResponse, abort: AbortTracker, answer: VodResponse, head: boolean): void {
  if (abort.aborted) return;
  if (isFileSlice(answer.body)) {
    sendFileSlice(res, abort, answer.status, answer.headers, answer.body, head);
    return;
  }
  const body = answer.body;
  res.cork(() => {
    res.writeStatus(`${answer.status} ${STATUS_CODES[answer.status] ?? ''}`.trimEnd());
    for (const [key, value] of Object.entries(answer.headers)) res.writeHeader(key, value);
    if (head) res.endWithoutBody(Buffer.byteLength(body));
    else res.end(body);
  });
}
