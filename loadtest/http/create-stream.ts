/**
 * POST /api/streams from Node: the first step of every benchmark and end-to-end test.
 * URLs in the answer may be relative; they are resolved against the server's base URL.
 */

export interface CreatedStream {
  readonly id: string;
  readonly streamKey: string;
  readonly whipUrl: string;
  readonly whepUrl: string;
  readonly watchUrl: string;
}

export async function createStream(baseUrl: string, title = 'loadtest'): Promise<CreatedStream> {
  const url = new URL('/api/streams', baseUrl).href;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ title }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status} (expected 201): ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as Partial<Record<'id' | 'streamKey' | 'whip' | 'whep' | 'watch', unknown>>;
  const { id, streamKey } = body;
  if (typeof id !== 'string' || typeof streamKey !== 'string') {
    throw new Error(`POST ${url} answer lacks string "id"/"streamKey" (ARCHITECTURE.md): ${text.slice(0, 300)}`);
  }
  const resolve = (value: unknown, fallback: string): string => new URL(typeof value === 'string' ? value : fallback, baseUrl).href;
  return {
    id,
    streamKey,
    whipUrl: resolve(body.whip, `/whip/${id}`),
    whepUrl: resolve(body.whep, `/whep/${id}`),
    watchUrl: resolve(body.watch, `/watch/${id}`),
  };
}
