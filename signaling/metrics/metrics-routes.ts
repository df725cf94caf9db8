/**
 * `GET /metrics` (Prometheus text format) and `POST /api/viewer-stats`, where
 * watch pages report the glass-to-glass delays they measured (frame clock)
 * so the node's metrics and the cluster dashboard can show them.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { z } from 'zod';
import { BadRequestError } from '../errors.ts';
import { CORS_HEADERS } from '../http/cors.ts';
import { route } from '../http/route.ts';
import type { PlatformMetrics } from './PlatformMetrics.ts';

const ViewerStatsBody = z.object({
  streamId: z.string().max(64),
  /** Delays measured since the last report, ms; bounded so one page cannot flood the histogram. */
  delays: z.array(z.number().min(0).max(60_000)).max(300),
  firstFrameMs: z.number().min(0).max(600_000).optional(),
});

/** `standalone`: also serve `GET /api/cluster` for the dashboard (a cluster node serves its own from the registry). */
export function registerMetricsRoutes(app: TemplatedApp, deps: { readonly metrics: PlatformMetrics; readonly standalone: boolean }): void {
  if (deps.standalone) {
    app.get(
      '/api/cluster',
      route((ctx) => ctx.respond(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, JSON.stringify(deps.metrics.localOverview()))),
    );
  }

  app.get(
    '/metrics',
    route(async (ctx) => {
      const { contentType, body } = await deps.metrics.text();
      ctx.respond(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }, body);
    }),
  );

  app.post(
    '/api/viewer-stats',
    route(
      async (ctx) => {
        let raw: unknown;
        try {
          raw = JSON.parse(await ctx.text());
        } catch {
          throw new BadRequestError('body is not valid JSON');
        }
        const parsed = ViewerStatsBody.safeParse(raw);
        if (!parsed.success) throw new BadRequestError(`viewer stats: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        deps.metrics.noteViewerReport(parsed.data.delays, parsed.data.firstFrameMs);
        ctx.respond(204);
      },
      { headers: CORS_HEADERS, bodyLimit: 8 * 1024 },
    ),
  );
}
