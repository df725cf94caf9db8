/**
 * LL-HLS under /hls/:id/…: GET, HEAD and OPTIONS. A stream transcoded on this node
 * is handed to its HlsOrigin (playlists, blocking reloads, parts, segments, CORS,
 * caching headers); on a cluster node, a stream transcoded elsewhere goes to the
 * HlsEdgeCache, which fetches it from the stream's origin node. An abort signal
 * releases a held request when the client goes away.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HlsOrigin } from '../../hls-bridge/index.ts';
import type { HlsEdgeCache } from '../cluster/HlsEdgeCache.ts';
import { route } from './route.ts';

const PREFIX = '/hls/';

export interface HlsRouteDeps {
  /** This node's HLS tier (HLS=1); absent with HLS=0. */
  readonly origin?: HlsOrigin | undefined;
  /** Cluster nodes only: streams whose bridge runs on another node. */
  readonly edge?: HlsEdgeCache | undefined;
}

export function registerHlsRoutes(app: TemplatedApp, deps: HlsRouteDeps): void {
  const { origin, edge } = deps;
  const handler = route(
    async (ctx) => {
      const path = ctx.path.slice(PREFIX.length);
      // HEAD is answered as a GET without its body (HttpContext drops it), so Content-Length is the real one.
      const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
      // Only a lookup: the edge validates the whole path before anything leaves this node.
      const local = origin?.has(path.split('/', 1)[0] ?? '') === true;
      const res =
        edge && !local
          ? await edge.handle({ path, query: ctx.query, method, range: ctx.header('range') })
          : origin
            ? await origin.handle({ path, query: ctx.query, method, signal: ctx.signal })
            : { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'no HLS on this node\n' };
      ctx.respond(res.status, res.headers, res.body);
    },
    { errors: 'text' },
  );
  app.get(`${PREFIX}*`, handler);
  app.head(`${PREFIX}*`, handler);
  app.options(`${PREFIX}*`, handler);
}
