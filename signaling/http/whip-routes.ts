/**
 * WHIP ingest (RFC 9725): `POST /whip/:id` with the stream key as a Bearer
 * token and an SDP offer; answers 201 with the SDP answer and the session URL.
 * Errors are one-line text/plain reasons because WHIP tools print them raw.
 * An ended stream answers 409 (it exists but can never go live again).
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { MethodNotAllowedError } from '../errors.ts';
import { MAX_SDP_BYTES } from '../streams/sdp-offer.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import { bearerToken } from './bearer-token.ts';
import { requireContentType } from './content-type.ts';
import { CORS_HEADERS, preflightHeaders } from './cors.ts';
import { route, type RouteOptions } from './route.ts';
import { registerSessionResourceRoutes } from './session-resource-routes.ts';

export function registerWhipRoutes(app: TemplatedApp, deps: { readonly sessions: SessionManager }): void {
  const { sessions } = deps;
  const options: RouteOptions = { params: 1, errors: 'text', bodyLimit: MAX_SDP_BYTES, headers: CORS_HEADERS };

  app.options(
    '/whip/:id',
    route((ctx) => ctx.respond(204, { ...preflightHeaders(['POST']), 'Accept-Post': 'application/sdp' }), options),
  );

  app.post(
    '/whip/:id',
    route(async (ctx) => {
      requireContentType(ctx, 'application/sdp');
      const streamId = ctx.params[0]!;
      const { session, answerSdp } = await sessions.publish({
        streamId,
        streamKey: bearerToken(ctx),
        offerSdp: await ctx.text(),
        via: 'whip',
      });
      if (ctx.aborted) {
        // Nobody will apply this answer; do not leave a session (or a live stream) waiting for the connect timeout.
        session.close('client went away before the answer');
        return;
      }
      ctx.respond(
        201,
        {
          'Content-Type': 'application/sdp',
          Location: `/whip/${encodeURIComponent(streamId)}/${session.id}`,
          ETag: session.etag,
          'Accept-Patch': 'application/trickle-ice-sdpfrag',
        },
        answerSdp,
      );
    }, options),
  );

  app.any(
    '/whip/:id',
    route((ctx) => {
      throw new MethodNotAllowedError(ctx.method, ['POST', 'OPTIONS']);
    }, options),
  );

  registerSessionResourceRoutes(app, { prefix: 'whip', role: 'publisher', via: 'whip', sessions });
}
