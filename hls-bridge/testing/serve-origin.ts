/**
 * A tiny node:http server for tests: mounts an HlsOrigin at /hls/, serves hls.js at
 * /hls.js and a bare player page at /, on 127.0.0.1 with a free port. Held requests
 * are released when the client disconnects.
 */
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { HlsOrigin } from '../origin/HlsOrigin.ts';

const PLAYER_PAGE = `<!doctype html><meta charset="utf-8"><title>hls test player</title>
<video id="v" muted autoplay playsinline style="width:320px"></video>
<script src="/hls.js"></script>`;

export async function serveOrigin(origin: HlsOrigin): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const hlsJs = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PLAYER_PAGE);
      return;
    }
    if (url.pathname === '/hls.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      createReadStream(hlsJs).pipe(res);
      return;
    }
    if (!url.pathname.startsWith('/hls/')) {
      res.writeHead(404).end();
      return;
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    void origin.handle({ path: url.pathname.slice(5), query: url.search, method: req.method ?? 'GET', signal: abort.signal }).then((r) => {
      if (!res.destroyed) res.writeHead(r.status, r.headers).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
