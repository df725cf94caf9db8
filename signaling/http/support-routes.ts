/**
 * Donations and subs over HTTP: `POST /api/streams/:id/donations` and `/subs` with an
 * `Idempotency-Key` header. 201 with the ledger entry the first time, 200 with the same entry
 * (and `Idempotent-Replayed: true`) for a retry with the same key, 422 when the key was used
 * for a different payment, 402 when the payment provider declines. `GET` on the same paths
 * lists the stream's recorded entries of that kind.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { BadRequestError, UnsupportedMediaTypeError } from '../errors.ts';
import { DonationBody, IdempotencyKey, SubBody } from '../protocol/messages.ts';
import type { DonationService, SupportRequest } from '../chat/DonationService.ts';
import { mediaTypeOf } from './content-type.ts';
import { CORS_HEADERS, preflightHeaders } from './cors.ts';
import type { HttpContext } from './HttpContext.ts';
import { route } from './route.ts';
import type { z } from 'zod';

export interface SupportRoutesDeps {
  readonly donations: DonationService;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

export function registerSupportRoutes(app: TemplatedApp, deps: SupportRoutesDeps): void {
  const { donations } = deps;
  for (const [path, kind] of [['donations', 'donation'], ['subs', 'sub']] as const) {
    const pattern = `/api/streams/:id/${path}`;
    app.options(
      pattern,
      route(
        (ctx) => {
          const headers = preflightHeaders(['GET', 'POST']);
          ctx.respond(204, { ...headers, 'Access-Control-Allow-Headers': `${headers['Access-Control-Allow-Headers']}, Idempotency-Key` });
        },
        { params: 1, headers: CORS_HEADERS },
      ),
    );

    app.post(
      pattern,
      route(
        async (ctx) => {
          const streamId = ctx.params[0]!;
          const key = IdempotencyKey.safeParse(ctx.header('idempotency-key') ?? '');
          if (!key.success) {
            throw new BadRequestError('send an Idempotency-Key header (8-128 printable ASCII characters, e.g. a UUID) and reuse it when retrying', 'idempotency_key_missing');
          }
          const request = supportRequest(kind, ctx, await ctx.text(), { streamId, idempotencyKey: key.data });
          const result = await donations.record(request);
          const headers = result.replayed ? { ...JSON_HEADERS, 'Idempotent-Replayed': 'true' } : JSON_HEADERS;
          ctx.respond(result.replayed ? 200 : 201, headers, JSON.stringify(result.entry));
        },
        { params: 1, headers: { ...CORS_HEADERS, 'Access-Control-Expose-Headers': `${CORS_HEADERS['Access-Control-Expose-Headers']}, Idempotent-Replayed` } },
      ),
    );

    app.get(
      pattern,
      route((ctx) => ctx.respond(200, JSON_HEADERS, JSON.stringify(donations.list(ctx.params[0]!).filter((e) => e.kind === kind))), {
        params: 1,
        headers: CORS_HEADERS,
      }),
    );
  }
}

/** HTTP donors have no chat identity: they show under the name they typed, or "Anonymous". */
function supportRequest(kind: 'donation' | 'sub', ctx: HttpContext, text: string, common: { streamId: string; idempotencyKey: string }): SupportRequest {
  const payer = { ...common, userId: 'anonymous' };
  if (kind === 'donation') {
    const body = parseBody(ctx, text, DonationBody);
    return { ...payer, kind, amount: body.amount, currency: body.currency, name: body.name || 'Anonymous', message: body.message, paymentToken: body.paymentToken };
  }
  const body = parseBody(ctx, text, SubBody);
  return { ...payer, kind, amount: body.amount, currency: body.currency, name: body.name || 'Anonymous', tier: body.tier, months: body.months, paymentToken: body.paymentToken };
}

function parseBody<T>(ctx: HttpContext, text: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T {
  const type = mediaTypeOf(ctx);
  if (type !== undefined && type !== 'application/json') {
    throw new UnsupportedMediaTypeError(`send JSON like {"amount":"4.99","currency":"USD"} with Content-Type: application/json, not ${type}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON; send {"amount":"4.99","currency":"USD"}');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequestError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, 'invalid_body');
  }
  return parsed.data;
}
