/**
 * Chapters of a VOD from what happened live: the streamer's marks ("chapter here", with
 * an optional title) and title changes, both on the stream clock. They are placed on the
 * VOD timeline, merged when closer than a second, and preceded by an opening chapter when
 * the first one starts later than 0. A stream without any gets one every 10 minutes.
 */

export type ChapterSource = 'mark' | 'title';

export interface ChapterMark {
  /** Stream time (publisher capture clock, Unix ms) the mark points at. */
  readonly streamTimeMs: number;
  readonly title: string | null;
  readonly source: ChapterSource;
}

export interface Chapter {
  readonly startSec: number;
  readonly endSec: number;
  readonly title: string;
}

export interface ChapterPlanOptions {
  readonly originMs: number;
  readonly durationSec: number;
  /** The stream's title when it went live: names the opening chapter. */
  readonly initialTitle: string;
  /** Spacing of automatic chapters when none were marked. */
  readonly autoEverySec?: number;
  /** Marks closer than this are one chapter. */
  readonly minGapSec?: number;
}

export const AUTO_CHAPTER_SEC = 600;

export function planChapters(marks: readonly ChapterMark[], o: ChapterPlanOptions): Chapter[] {
  const duration = o.durationSec;
  if (!(duration > 0)) return [];
  const minGap = o.minGapSec ?? 1;
  const points: { startSec: number; title: string | null }[] = [];
  const sorted = [...marks].sort((a, b) => a.streamTimeMs - b.streamTimeMs);
  for (const mark of sorted) {
    const startSec = Math.max(0, (mark.streamTimeMs - o.originMs) / 1000);
    if (startSec >= duration - minGap / 2) continue;
    const title = clean(mark.title);
    const last = points.at(-1);
    if (last && startSec - last.startSec < minGap) {
      // Two marks at one moment (a mark and a title change): keep one, with a title if either has one.
      last.title = title ?? last.title;
      continue;
    }
    points.push({ startSec: Math.round(startSec * 1000) / 1000, title });
  }
  if (points.length === 0) return autoChapters(duration, o.autoEverySec ?? AUTO_CHAPTER_SEC, clean(o.initialTitle) ?? 'Start');
  if (points[0]!.startSec >= minGap) points.unshift({ startSec: 0, title: clean(o.initialTitle) ?? 'Start' });
  else points[0]!.startSec = 0;
  return points.map((p, i) => ({
    startSec: p.startSec,
    endSec: points[i + 1]?.startSec ?? duration,
    title: p.title ?? `Chapter ${i + 1}`,
  }));
}

function autoChapters(duration: number, every: number, firstTitle: string): Chapter[] {
  const out: Chapter[] = [];
  for (let start = 0, n = 1; start < duration - 1; start += every, n++) {
    out.push({ startSec: start, endSec: Math.min(duration, start + every), title: n === 1 && duration <= every ? firstTitle : `Part ${n}` });
  }
  return out;
}

function clean(title: string | null | undefined): string | null {
  const t = (title ?? '').replace(/\s+/g, ' ').trim();
  return t ? t.slice(0, 140) : null;
}
