/** The HTTP API the pages use (same origin), validated with the shared schemas. */
import { z } from 'zod';
import { CreatedStream, StreamDetails, StreamInfo } from '../../../signaling/protocol/messages.ts';

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function readError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let message = text.trim() || res.statusText;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = body.message ?? body.error;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(res.status, `${res.status}: ${message}`);
}

async function getJson<T>(url: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError(0, 'cannot reach the server: check your connection and retry');
  }
  if (!res.ok) throw await readError(res);
  const parsed = schema.safeParse(await res.json());
  if (!parsed.success) throw new ApiError(res.status, `unexpected answer from ${url}: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
  return parsed.data;
}

export function createStream(title: string): Promise<CreatedStream> {
  return getJson('/api/streams', CreatedStream, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
}

export function listStreams(): Promise<StreamInfo[]> {
  return getJson('/api/streams', z.array(StreamInfo));
}

/** One stream's state, with its HLS tier (`hls` is absent when the server runs without one). */
export function getStream(id: string): Promise<StreamDetails> {
  return getJson(`/api/streams/${encodeURIComponent(id)}`, StreamDetails);
}
