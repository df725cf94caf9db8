/**
 * The stored chat log over HTTP, for VOD chat replay and tools:
 * `GET /api/streams/:id/chat?after=<seq>&limit=<n>` → `{events, hasMore, next}` (oldest first;
 * pass `next` as `after` for the following page). Deleted messages come back with empty text.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { BadRequestError } from '../errors.ts';
import type { ChatService } from '../chat/ChatService.ts';
import { StreamId } from '../protocol/messages.ts';
import { CORS_HEADERS } from './cors.ts';
import { route } from './route.ts';

export interface ChatRoutesDeps {
  readonly chat: ChatService;
}

const MAX_PAGE = 1000;

export function registerChatRoutes(app: TemplatedApp, deps: ChatRoutesDeps): void {
  app.get(
    '/api/streams/:id/chat',
    route(
      (ctx) => {
        const streamId = ctx.params[0]!;
        if (!StreamId.safeParse(streamId).success) throw new BadRequestError('stream id: 4-64 letters, digits, _ or -');
        const after = intParam(ctx.queryParam('after'), 'after', 0, 0, Number.MAX_SAFE_INTEGER);
        const limit = intParam(ctx.queryParam('limit'), 'limit', 200, 1, MAX_PAGE);
        const page = deps.chat.replay(streamId, after, limit);
        const next = page.events.at(-1)?.seq ?? after;
        ctx.respond(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, JSON.stringify({ ...page, next }));
      },
      { params: 1, headers: CORS_HEADERS },
    ),
  );
}

function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequestError(`${name} must be an integer within ${min}..${max}, got "${value}"`);
  return n;
}
