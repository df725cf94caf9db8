/**
 * Serves the web client build (web-client/dist, produced by `npm run build:web`):
 * the three pages and everything under /assets/. Files are read per request
 * (a rebuild shows up on reload) and revalidated with an ETag, so phones on a
 * slow link do not download the bundle again on every visit.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { TemplatedApp } from 'uWebSockets.js';
import { NotFoundError, ServiceUnavailableError } from '../errors.ts';
import type { HttpContext } from './HttpContext.ts';
import { mimeTypeFor } from './mime-types.ts';
import { route } from './route.ts';

export interface StaticRoutesDeps {
  /** Absolute path of the web client build output. */
  readonly webRoot: string;
}

const PAGES: readonly { pattern: string; file: string; params: number }[] = [
  { pattern: '/', file: 'index.html', params: 0 },
  { pattern: '/live', file: 'live.html', params: 0 },
  { pattern: '/watch/:id', file: 'watch.html', params: 1 },
  { pattern: '/dashboard', file: 'dashboard.html', params: 0 },
];

export function registerStaticRoutes(app: TemplatedApp, deps: StaticRoutesDeps): void {
  const webRoot = resolve(deps.webRoot);
  const assetsRoot = join(webRoot, 'assets');

  for (const page of PAGES) {
    app.get(page.pattern, route((ctx) => serveFile(ctx, join(webRoot, page.file), webRoot), { params: page.params, errors: 'text' }));
  }

  app.get(
    '/assets/*',
    route(
      (ctx) => {
        const relative = safeDecode(ctx.path.slice('/assets/'.length));
        const file = resolve(assetsRoot, relative ?? '');
        // Reject traversal (`..`, encoded or not) and NUL bytes before touching the filesystem.
        if (relative === undefined || relative.includes('\0') || !file.startsWith(assetsRoot + sep)) {
          throw new NotFoundError(`no asset at ${ctx.path}`);
        }
        return serveFile(ctx, file, webRoot);
      },
      { errors: 'text' },
    ),
  );
}

async function serveFile(ctx: HttpContext, file: string, webRoot: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch {
    if (!(await exists(join(webRoot, 'index.html')))) {
      throw new ServiceUnavailableError('the web client is not built yet: run `npm run build:web`, then reload');
    }
    throw new NotFoundError(`no file at ${ctx.path}`);
  }
  if (!info.isFile()) throw new NotFoundError(`no file at ${ctx.path}`);

  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (ctx.header('if-none-match') === etag) {
    ctx.respond(304, headers);
    return;
  }
  const body = await readFile(file);
  ctx.respond(200, { ...headers, 'Content-Type': mimeTypeFor(file) }, body);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
