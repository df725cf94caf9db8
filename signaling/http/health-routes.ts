/** `GET /healthz` for load balancers, scripts and the boot check. */
import type { TemplatedApp } from 'uWebSockets.js';
import type { SessionManager } from '../streams/SessionManager.ts';
import type { StreamRegistry } from '../streams/StreamRegistry.ts';
import { route } from './route.ts';

export interface HealthRoutesDeps {
  readonly streams: StreamRegistry;
  readonly sessions: SessionManager;
}

export function registerHealthRoutes(app: TemplatedApp, deps: HealthRoutesDeps): void {
  const startedAt = Date.now();
  app.get(
    '/healthz',
    route((ctx) => {
      const body = {
        status: 'ok',
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        liveStreams: deps.streams.list(['live']).length,
        sessions: deps.sessions.size,
      };
      ctx.respond(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, JSON.stringify(body));
    }),
  );
}
