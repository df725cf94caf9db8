/**
 * WebVTT text (W3C WebVTT): chapter tracks and caption tracks share this renderer.
 * Cue text is escaped (&, <, >) and a cue never spans an empty line.
 */

export interface VttCue {
  readonly startSec: number;
  readonly endSec: number;
  readonly text: string;
  /** Optional cue identifier (chapters use their number). */
  readonly id?: string;
}

/** @param headerLines extra lines right after "WEBVTT" (e.g. X-TIMESTAMP-MAP for HLS). */
export function renderWebVtt(cues: readonly VttCue[], headerLines: readonly string[] = []): string {
  const out = ['WEBVTT', ...headerLines, ''];
  for (const cue of cues) {
    const end = Math.max(cue.endSec, cue.startSec + 0.001);
    if (cue.id) out.push(cue.id.replace(/-->|\n/g, ' '));
    out.push(`${vttTime(cue.startSec)} --> ${vttTime(end)}`, escapeCueText(cue.text), '');
  }
  return out.join('\n');
}

/** 3725.5 → "01:02:05.500". */
export function vttTime(sec: number): string {
  const ms = Math.max(0, Math.round(sec * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms % 1000, 3)}`;
}

/** Reads the cues of a WebVTT file back (the subset renderWebVtt writes). */
export function parseWebVtt(text: string): VttCue[] {
  const cues: VttCue[] = [];
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.length > 0);
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0) continue;
    const m = /^(\S+)\s+-->\s+(\S+)/.exec(lines[timing]!);
    if (!m) continue;
    const start = parseVttTime(m[1]!);
    const end = parseVttTime(m[2]!);
    if (start === null || end === null) continue;
    const id = timing > 0 ? lines[timing - 1] : undefined;
    const body = lines.slice(timing + 1).join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    cues.push({ startSec: start, endSec: end, text: body, ...(id ? { id } : {}) });
  }
  return cues;
}

function parseVttTime(s: string): number | null {
  const m = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/.exec(s);
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

function escapeCueText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n{2,}/g, '\n')
    .replace(/-->/g, '→')
    .trim() || ' ';
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
