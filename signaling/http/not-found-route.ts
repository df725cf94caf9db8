/** The catch-all: anything no other route claimed answers 404 with the method and path. */
import type { TemplatedApp } from 'uWebSockets.js';
import { NotFoundError } from '../errors.ts';
import { route } from './route.ts';

/** Registered last: anything no other route claimed. */
export function registerNotFoundRoute(app: TemplatedApp): void {
  app.any(
    '/*',
    route((ctx) => {
      throw new NotFoundError(`no route for ${ctx.method} ${ctx.path}`);
    }),
  );
}
