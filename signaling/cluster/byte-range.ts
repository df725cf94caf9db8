/**
 * Single byte ranges (RFC 9110 §14) served from a cached body: `bytes=a-b`,
 * `bytes=a-` and `bytes=-n`. Anything else (several ranges, other units, a
 * malformed header) is ignored, which the RFC allows: the client gets the
 * whole body with 200.
 */
export type RangeAnswer =
  | { readonly type: 'full' }
  | { readonly type: 'partial'; readonly start: number; readonly end: number }
  | { readonly type: 'unsatisfiable' };

const SINGLE = /^bytes=(\d{0,15})-(\d{0,15})$/;

export function resolveRange(header: string | undefined, length: number): RangeAnswer {
  if (!header) return { type: 'full' };
  const m = SINGLE.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { type: 'full' };
  if (m[1] === '') {
    // Suffix: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || length === 0) return { type: 'unsatisfiable' };
    return { type: 'partial', start: Math.max(0, length - n), end: length - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  if (m[2] !== '' && Number(m[2]) < start) return { type: 'full' };
  if (start >= length) return { type: 'unsatisfiable' };
  return { type: 'partial', start, end };
}
