/**
 * A hand-written OriginStream over real MediaPlaylists, for origin tests without ffmpeg.
 * Records which archive files were asked for, so tests can prove nothing else was.
 */
import type { MediaPlaylist } from '../live/MediaPlaylist.ts';
import { renderMediaPlaylist } from '../live/playlist-render.ts';
import type { OriginStream } from '../origin/HlsOrigin.ts';

export class StaticOriginStream implements OriginStream {
  readonly playlists = new Map<string, MediaPlaylist>();
  readonly archive = new Map<string, Buffer>();
  readonly archiveReads: string[] = [];
  ready = true;

  constructor(playlists: MediaPlaylist[]) {
    for (const p of playlists) this.playlists.set(p.name, p);
  }

  async whenReady(_signal: AbortSignal | undefined, timeoutMs: number): Promise<boolean> {
    if (this.ready) return true;
    await new Promise((r) => setTimeout(r, timeoutMs));
    return this.ready;
  }

  masterPlaylist(): string {
    return '#EXTM3U\n' + [...this.playlists.keys()].map((n) => `#EXT-X-STREAM-INF:BANDWIDTH=1\n${n}/index.m3u8`).join('\n') + '\n';
  }

  playlist(rendition: string): MediaPlaylist | undefined {
    return this.playlists.get(rendition);
  }

  renderMediaPlaylist(rendition: string, options: { skip: boolean }): string {
    return renderMediaPlaylist(this.playlists.get(rendition)!, options);
  }

  async readArchived(rendition: string, file: string): Promise<Buffer | null> {
    this.archiveReads.push(`${rendition}/${file}`);
    return this.archive.get(`${rendition}/${file}`) ?? null;
  }
}
