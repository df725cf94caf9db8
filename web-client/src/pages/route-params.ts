/** Reads page parameters from the URL. */

/** Stream id from /watch/:id (or ?id= as a fallback), or null when absent/malformed. */
export function watchStreamId(pathname: string, search = ''): string | null {
  const fromPath = /^\/watch\/([^/]+)\/?$/.exec(pathname)?.[1];
  let raw = fromPath ?? new URLSearchParams(search).get('id') ?? '';
  try {
    raw = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return /^[A-Za-z0-9_-]{4,64}$/.test(raw) ? raw : null;
}

/** True when the query string switches a flag on (?debug=1, ?debug, ?debug=true). */
export function queryFlag(search: string, name: string): boolean {
  const v = new URLSearchParams(search).get(name);
  return v !== null && v !== '0' && v !== 'false';
}
