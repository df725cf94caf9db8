/**
 * The session URL a WHIP or WHEP POST answers with (`Location: /whip/:id/:session`):
 * PATCH adds trickled ICE candidates, DELETE ends the session, OPTIONS answers
 * CORS preflights. Shared by WHIP and WHEP, which differ only in the role.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { MethodNotAllowedError, PreconditionFailedError, UnsupportedError } from '../errors.ts';
import type { SessionRole, SessionVia } from '../streams/MediaSession.ts';
import type { SessionManager } from '../streams/SessionManager.ts';
import { requireContentType } from './content-type.ts';
import { CORS_HEADERS, preflightHeaders } from './cors.ts';
import type { HttpContext } from './HttpContext.ts';
import { parseIceFragment } from './ice-fragment.ts';
import { route, type RouteOptions } from './route.ts';

export interface SessionResourceConfig {
  readonly prefix: 'whip' | 'whep';
  readonly role: SessionRole;
  readonly via: SessionVia;
  readonly sessions: SessionManager;
}

const ALLOWED = ['PATCH', 'DELETE'] as const;
const TRICKLE_TYPE = 'application/trickle-ice-sdpfrag';

export function registerSessionResourceRoutes(app: TemplatedApp, config: SessionResourceConfig): void {
  const { prefix, sessions } = config;
  const pattern = `/${prefix}/:id/:session`;
  const options: RouteOptions = { params: 2, errors: 'text', headers: CORS_HEADERS };
  const lookup = (ctx: HttpContext) =>
    sessions.require(ctx.params[1]!, { streamId: ctx.params[0]!, role: config.role, via: config.via });

  app.options(pattern, route((ctx) => ctx.respond(204, preflightHeaders(ALLOWED)), options));

  app.patch(
    pattern,
    route(async (ctx) => {
      requireContentType(ctx, TRICKLE_TYPE);
      const session = lookup(ctx);
      const ifMatch = ctx.header('if-match');
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== session.etag) {
        throw new PreconditionFailedError(`If-Match ${ifMatch} does not match the session's ETag ${session.etag}`);
      }
      const fragment = parseIceFragment(await ctx.text());
      if (fragment.iceUfrag !== undefined && session.iceUfrag !== undefined && fragment.iceUfrag !== session.iceUfrag) {
        throw new UnsupportedError('ICE restart is not supported; DELETE this session and POST a new offer', 'ice_restart_unsupported');
      }
      await session.addIceCandidates(fragment.candidates);
      ctx.respond(204, { ETag: session.etag });
    }, options),
  );

  app.del(
    pattern,
    route((ctx) => {
      // A deliberate stop: a publisher's stream ends now instead of waiting for it to reconnect.
      sessions.stop(lookup(ctx).id, `DELETE ${ctx.path}`);
      ctx.respond(200);
    }, options),
  );

  app.any(
    pattern,
    route((ctx) => {
      throw new MethodNotAllowedError(ctx.method, [...ALLOWED, 'OPTIONS']);
    }, options),
  );
}
