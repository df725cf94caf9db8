/**
 * ffmpeg's FFMETADATA1 text for `-map_chapters`: the stream title and chapters in
 * milliseconds. Keys and values escape '=', ';', '#', '\' and newlines with a backslash.
 */
import type { Chapter } from './chapters.ts';

export function renderFfmetadata(options: { readonly title?: string; readonly chapters: readonly Chapter[] }): string {
  const lines = [';FFMETADATA1'];
  if (options.title) lines.push(`title=${escape(options.title)}`);
  for (const c of options.chapters) {
    lines.push('', '[CHAPTER]', 'TIMEBASE=1/1000', `START=${Math.round(c.startSec * 1000)}`, `END=${Math.round(c.endSec * 1000)}`, `title=${escape(c.title)}`);
  }
  return lines.join('\n') + '\n';
}

function escape(value: string): string {
  return value.replace(/[\\=;#\n]/g, (ch) => `\\${ch}`);
}
