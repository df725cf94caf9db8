/** The VOD API the VOD page uses (same origin), validated with the shared schemas. */
import { VodChatReplay, VodStatus } from '../../../signaling/protocol/messages.ts';

export async function fetchVodStatus(streamId: string): Promise<VodStatus> {
  return getJson(`/api/vod/${encodeURIComponent(streamId)}`, (v) => VodStatus.parse(v));
}

export async function fetchChatReplay(streamId: string): Promise<VodChatReplay> {
  return getJson(`/api/vod/${encodeURIComponent(streamId)}/chat`, (v) => VodChatReplay.parse(v));
}

async function getJson<T>(url: string, parse: (v: unknown) => T): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch {
    throw new Error('cannot reach the server: check your connection and retry');
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim() || res.statusText;
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // plain text
    }
    throw new Error(`${res.status}: ${message}`);
  }
  return parse(JSON.parse(text));
}
