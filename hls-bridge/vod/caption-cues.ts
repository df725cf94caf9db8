/**
 * Recognized words → caption cues: words join a cue until it would run past a line length
 * or a duration, or a pause says a new phrase starts. Each cue shows from its first word's
 * start to a little after its last word's end (never into the next cue).
 */
import type { RecognizedWord } from './speech-recognizer.ts';
import type { VttCue } from './webvtt.ts';

export interface CueOptions {
  readonly maxChars?: number;
  readonly maxSec?: number;
  /** A silence this long between words starts a new cue. */
  readonly pauseSec?: number;
  /** Extra display time after the last word. */
  readonly holdSec?: number;
}

export function wordsToCues(words: readonly RecognizedWord[], o: CueOptions = {}): VttCue[] {
  const maxChars = o.maxChars ?? 42;
  const maxSec = o.maxSec ?? 4;
  const pauseSec = o.pauseSec ?? 0.8;
  const holdSec = o.holdSec ?? 0.5;
  const groups: RecognizedWord[][] = [];
  let current: RecognizedWord[] = [];
  let chars = 0;
  for (const w of [...words].sort((a, b) => a.startSec - b.startSec)) {
    const text = w.word.trim();
    if (!text) continue;
    const first = current[0];
    const last = current.at(-1);
    const tooLong = first !== undefined && (chars + 1 + text.length > maxChars || w.endSec - first.startSec > maxSec);
    const paused = last !== undefined && w.startSec - last.endSec >= pauseSec;
    if (tooLong || paused) {
      groups.push(current);
      current = [];
      chars = 0;
    }
    current.push(w);
    chars += (chars ? 1 : 0) + text.length;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((g, i) => {
    const next = groups[i + 1]?.[0]?.startSec ?? Infinity;
    const start = g[0]!.startSec;
    const end = Math.min(next, g.at(-1)!.endSec + holdSec);
    return { startSec: round(start), endSec: round(Math.max(end, start + 0.2)), text: g.map((w) => w.word.trim()).join(' ') };
  });
}

function round(sec: number): number {
  return Math.round(sec * 1000) / 1000;
}
