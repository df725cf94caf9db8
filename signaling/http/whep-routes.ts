/**
 * WHEP playback: `POST /whep/:id` with an SDP offer (`?layer=low|mid|high|auto`
 * optional) answers 201 with the SDP answer and the session URL. No key: watching
 * is public. A stream that is not live answers 409 with the reason.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { BadRequestError, MethodNotAllowedError } from '../errors.ts';
import { LayerPreference } from '../protocol/messages.ts';
import { MAX_SDP_BYTES } from '../streams/sdp-offer.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import { requireContentType } from './content-type.ts';
import { CORS_HEADERS, preflightHeaders } from './cors.ts';
import { route, type RouteOptions } from './route.ts';
import { registerSessionResourceRoutes } from './session-resource-routes.ts';

export function registerWhepRoutes(app: TemplatedApp, deps: { readonly sessions: SessionManager }): void {
  const { sessions } = deps;
  const options: RouteOptions = { params: 1, errors: 'text', bodyLimit: MAX_SDP_BYTES, headers: CORS_HEADERS };

  app.options(
    '/whep/:id',
    route((ctx) => ctx.respond(204, { ...preflightHeaders(['POST']), 'Accept-Post': 'application/sdp' }), options),
  );

  app.post(
    '/whep/:id',
    route(async (ctx) => {
      requireContentType(ctx, 'application/sdp');
      const layer = LayerPreference.safeParse(ctx.queryParam('layer') ?? 'auto');
      if (!layer.success) throw new BadRequestError(`layer must be one of ${LayerPreference.options.join(', ')}`);
      const streamId = ctx.params[0]!;
      // ?node= asks a cluster to serve this viewer from that node (benchmarks, debugging); placement may ignore it.
      const node = ctx.queryParam('node');
      const { session, answerSdp } = await sessions.watch({ streamId, offerSdp: await ctx.text(), layer: layer.data, via: 'whep', ...(node ? { node } : {}) });
      if (ctx.aborted) {
        // Nobody will apply this answer; do not leave a session (or a live stream) waiting for the connect timeout.
        session.close('client went away before the answer');
        return;
      }
      ctx.respond(
        201,
        {
          'Content-Type': 'application/sdp',
          Location: `/whep/${encodeURIComponent(streamId)}/${session.id}`,
          ETag: session.etag,
          'Accept-Patch': 'application/trickle-ice-sdpfrag',
        },
        answerSdp,
      );
    }, options),
  );

  app.any(
    '/whep/:id',
    route((ctx) => {
      throw new MethodNotAllowedError(ctx.method, ['POST', 'OPTIONS']);
    }, options),
  );

  registerSessionResourceRoutes(app, { prefix: 'whep', role: 'viewer', via: 'whep', sessions });
}
