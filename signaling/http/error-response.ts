/**
 * Turns anything a route throws into one response. Two styles: JSON
 * `{error: code, message}` for the REST API, and a one-line text/plain reason
 * for WHIP/WHEP, whose clients (OBS, ffmpeg, gstreamer) print the body as is.
 */
import { MethodNotAllowedError, toAppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import type { HttpContext } from './HttpContext.ts';

const logger = createLogger('signaling:http');

export type ErrorStyle = 'json' | 'text';

export function sendError(ctx: HttpContext, err: unknown, style: ErrorStyle): void {
  const appError = toAppError(err);
  if (appError.status >= 500 && appError.status !== 503) logger.error(`${ctx.method} ${ctx.path} failed`, err);
  else logger.debug(`${ctx.method} ${ctx.path} -> ${appError.status} ${appError.code}: ${appError.message}`);
  if (ctx.responded || ctx.aborted) return;

  const headers: Record<string, string> = {};
  if (appError.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  if (appError instanceof MethodNotAllowedError) headers['Allow'] = appError.allow.join(', ');
  const message = appError.message.replace(/\s*[\r\n]+\s*/g, ' ');
  if (style === 'text') {
    headers['Content-Type'] = 'text/plain; charset=utf-8';
    ctx.respond(appError.status, headers, message, appError.status === 413);
  } else {
    headers['Content-Type'] = 'application/json';
    ctx.respond(appError.status, headers, JSON.stringify({ error: appError.code, message }), appError.status === 413);
  }
}
