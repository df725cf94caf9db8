/** Reads `Authorization: Bearer <token>`; the scheme name is case-insensitive (RFC 6750). */
import type { HttpContext } from './HttpContext.ts';

/** The token, or '' when the header is missing or uses another scheme (the caller answers 401). */
export function bearerToken(ctx: HttpContext): string {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(ctx.header('authorization') ?? '');
  return match?.[1] ?? '';
}
