/**
 * The URLs handed out for a stream. Root-relative by default, which works for
 * the browser pages on the same origin; absolute under PUBLIC_URL, which
 * outside tools (OBS, a reverse proxy setup) need.
 */
export interface StreamUrls {
  readonly whip: string;
  readonly whep: string;
  readonly watch: string;
}

export function streamUrls(streamId: string, publicUrl: string | undefined): StreamUrls {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : '';
  const id = encodeURIComponent(streamId);
  return { whip: `${base}/whip/${id}`, whep: `${base}/whep/${id}`, watch: `${base}/watch/${id}` };
}

/** The stream's LL-HLS multivariant playlist (served while the HLS tier is on). */
export function hlsUrl(streamId: string, publicUrl: string | undefined): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : '';
  return `${base}/hls/${encodeURIComponent(streamId)}/master.m3u8`;
}
