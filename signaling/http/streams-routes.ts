/**
 * The streams REST API: create a stream (title → id, key, URLs), list live
 * streams with viewer counts, read one stream's public state.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { BadRequestError, UnsupportedMediaTypeError } from '../errors.ts';
import { CreateStreamBody, StreamState, type CreatedStream, type HlsStatus, type StreamDetails, type VodStatus } from '../protocol/messages.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import { bearerToken } from './bearer-token.ts';
import { mediaTypeOf } from './content-type.ts';
import { CORS_HEADERS, preflightHeaders } from './cors.ts';
import type { HttpContext } from './HttpContext.ts';
import { route } from './route.ts';
import { hlsUrl, streamUrls } from './stream-urls.ts';

export interface StreamsRoutesDeps {
  readonly streams: StreamRegistry;
  /** Ends a stream on the key holder's word (DELETE /api/streams/:id). */
  readonly sessions: Pick<SessionManager, 'endWithKey'>;
  readonly publicUrl: string | undefined;
  /** The HLS tier, when on: adds `hls` to the create answer and to a stream's details. */
  readonly hls?: { status(streamId: string): HlsStatus | null };
  /** The VOD tier: told about `captions` at creation; adds `vod` to a stream's details. */
  readonly vod?: { streamCreated(streamId: string, o: { title: string; captions: boolean }): void; status(streamId: string): Promise<VodStatus | null> };
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

export function registerStreamsRoutes(app: TemplatedApp, deps: StreamsRoutesDeps): void {
  const { streams, sessions, publicUrl, hls, vod } = deps;

  app.options('/api/*', route((ctx) => ctx.respond(204, preflightHeaders(['GET', 'POST', 'PATCH', 'DELETE'])), { headers: CORS_HEADERS }));

  app.post(
    '/api/streams',
    route(
      async (ctx) => {
        const { title, captions } = parseBody(ctx, await ctx.text());
        const record = streams.create(title);
        vod?.streamCreated(record.id, { title, captions: captions === true });
        const created: CreatedStream = {
          id: record.id,
          streamKey: record.streamKey,
          ...streamUrls(record.id, publicUrl),
          ...(hls ? { hls: hlsUrl(record.id, publicUrl) } : {}),
        };
        ctx.respond(201, { ...JSON_HEADERS, Location: `/api/streams/${record.id}` }, JSON.stringify(created));
      },
      { headers: CORS_HEADERS },
    ),
  );

  app.get(
    '/api/streams',
    route(
      (ctx) => {
        const states = parseStates(ctx.queryParam('state'));
        ctx.respond(200, JSON_HEADERS, JSON.stringify(streams.list(states)));
      },
      { headers: CORS_HEADERS },
    ),
  );

  // Ends a stream with its key in any state, e.g. while it waits for a publisher that is not coming back.
  app.del(
    '/api/streams/:id',
    route(
      (ctx) => {
        sessions.endWithKey(ctx.params[0]!, bearerToken(ctx), 'ended by the streamer (DELETE /api/streams/:id)');
        ctx.respond(204, CORS_HEADERS);
      },
      { params: 1, headers: CORS_HEADERS },
    ),
  );

  app.get(
    '/api/streams/:id',
    route(
      async (ctx) => {
        const id = ctx.params[0]!;
        const info = streams.info(id);
        // `vod` appears once the stream has a recording (it went live), so idle streams keep the documented shape.
        const recording = vod ? await vod.status(id) : null;
        const details: StreamDetails = { ...info, ...(hls ? { hls: hls.status(id) } : {}), ...(recording ? { vod: recording } : {}) };
        ctx.respond(200, JSON_HEADERS, JSON.stringify(details));
      },
      { params: 1, headers: CORS_HEADERS },
    ),
  );
}

function parseBody(ctx: HttpContext, text: string): CreateStreamBody {
  const type = mediaTypeOf(ctx);
  if (type !== undefined && type !== 'application/json') {
    throw new UnsupportedMediaTypeError(`send JSON like {"title":"My stream"} with Content-Type: application/json, not ${type}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON; send {"title":"My stream"}');
  }
  const parsed = CreateStreamBody.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequestError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** `?state=live` (default), `?state=live,ended`, or `?state=all`. */
function parseStates(query: string | undefined): StreamState[] {
  if (!query) return ['live'];
  if (query === 'all') return [...StreamState.options];
  const states = query.split(',').map((s) => s.trim());
  for (const state of states) {
    if (!StreamState.safeParse(state).success) {
      throw new BadRequestError(`state must be one of ${StreamState.options.join(', ')} or all; got "${state}"`);
    }
  }
  return states as StreamState[];
}
