/**
 * The LL-HLS origin under /hls/:id/…: GET, HEAD and OPTIONS are handed to the
 * HlsOrigin (playlists, blocking reloads, parts, segments, CORS, caching headers),
 * with an abort signal that releases a held request when the client goes away.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HlsOrigin } from '../../hls-bridge/index.ts';
import { route } from './route.ts';

const PREFIX = '/hls/';

export function registerHlsRoutes(app: TemplatedApp, deps: { readonly origin: HlsOrigin }): void {
  const handler = route(
    async (ctx) => {
      const res = await deps.origin.handle({
        path: ctx.path.slice(PREFIX.length),
        query: ctx.query,
        // HEAD is answered as a GET without its body (HttpContext drops it), so Content-Length is the real one.
        method: ctx.method === 'HEAD' ? 'GET' : ctx.method,
        signal: ctx.signal,
      });
      ctx.respond(res.status, res.headers, res.body);
    },
    { errors: 'text' },
  );
  app.get(`${PREFIX}*`, handler);
  app.head(`${PREFIX}*`, handler);
  app.options(`${PREFIX}*`, handler);
}
