/**
 * Adapts an async route handler to a uWS callback: builds the HttpContext,
 * maps thrown errors through sendError, and guarantees every request gets an answer.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { AppError } from '../errors.ts';
import { sendError, type ErrorStyle } from './error-response.ts';
import { HttpContext } from './HttpContext.ts';

export type RouteHandler = (ctx: HttpContext) => Promise<void> | void;

export interface RouteOptions {
  /** Number of `:param` segments in the pattern. */
  readonly params?: number;
  readonly errors?: ErrorStyle;
  readonly bodyLimit?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const DEFAULT_BODY_LIMIT = 16 * 1024;

export function route(handler: RouteHandler, options: RouteOptions = {}): (res: HttpResponse, req: HttpRequest) => void {
  const style = options.errors ?? 'json';
  const contextOptions = {
    paramCount: options.params ?? 0,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    baseHeaders: options.headers ?? {},
  };
  return (res, req) => {
    const ctx = new HttpContext(res, req, contextOptions);
    const finish = (): void => {
      if (!ctx.responded && !ctx.aborted) sendError(ctx, new AppError(500, 'internal', `route for ${ctx.method} ${ctx.path} sent no response`), style);
    };
    try {
      const result = handler(ctx);
      if (result instanceof Promise) result.then(finish, (err: unknown) => sendError(ctx, err, style));
      else finish();
    } catch (err) {
      sendError(ctx, err, style);
    }
  };
}
