/** Request Content-Type checks, so every route rejects a wrong body the same way (415). */
import { UnsupportedMediaTypeError } from '../errors.ts';
import type { HttpContext } from './HttpContext.ts';

/** The media type without parameters, lowercased: `application/sdp; charset=utf-8` → `application/sdp`. */
export function mediaTypeOf(ctx: HttpContext): string | undefined {
  const raw = ctx.header('content-type');
  if (raw === undefined) return undefined;
  return raw.split(';', 1)[0]!.trim().toLowerCase();
}

export function requireContentType(ctx: HttpContext, expected: string): void {
  const actual = mediaTypeOf(ctx);
  if (actual !== expected) {
    throw new UnsupportedMediaTypeError(`Content-Type must be ${expected}${actual ? `, not ${actual}` : ' (the header is missing)'}`);
  }
}
