/**
 * CORS for the APIs outside tools call (WHIP/WHEP from OBS or browsers on other
 * origins, the streams API from other sites). No cookies are used, so `*` is safe;
 * Location and ETag must be exposed or a cross-origin WHIP client cannot find its session.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Location, ETag, Link, Accept-Patch, Accept-Post, WWW-Authenticate',
});

export function preflightHeaders(methods: readonly string[]): Record<string, string> {
  return {
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
    'Access-Control-Max-Age': '86400',
  };
}
