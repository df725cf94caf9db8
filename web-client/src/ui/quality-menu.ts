/**
 * The HLS quality menu: "Auto" plus one entry per rendition of the master playlist
 * (hls.levels), best first, with the level being played shown next to Auto.
 */
import type { HlsLevel } from '../media/HlsPlayer.ts';

export const AUTO_LEVEL = -1;

/** "480p · 1.1 Mbps", "Audio only · 96 kbps". */
export function levelLabel(level: HlsLevel): string {
  const rate = level.bitrate >= 1_000_000 ? `${(level.bitrate / 1_000_000).toFixed(1)} Mbps` : `${Math.round(level.bitrate / 1000)} kbps`;
  return `${level.height ? level.label : 'Audio only'} · ${rate}`;
}

/** Replaces the options: Auto, then the levels from the highest bitrate down. Keeps the choice when it still exists. */
export function fillQualityMenu(select: HTMLSelectElement, levels: readonly HlsLevel[]): void {
  const previous = select.value;
  const options = [new Option('Auto', String(AUTO_LEVEL))];
  for (const level of [...levels].sort((a, b) => b.bitrate - a.bitrate)) options.push(new Option(levelLabel(level), String(level.index)));
  select.replaceChildren(...options);
  if (options.some((o) => o.value === previous)) select.value = previous;
}

/** The chosen level index, or AUTO_LEVEL. */
export function chosenLevel(select: HTMLSelectElement): number {
  const n = Number(select.value);
  return Number.isInteger(n) ? n : AUTO_LEVEL;
}

/** Shows which level Auto is playing: "Auto (480p)". */
export function showPlayingLevel(select: HTMLSelectElement, level: HlsLevel | undefined): void {
  const auto = select.options[0];
  if (!auto) return;
  const text = level ? `Auto (${level.height ? level.label : 'audio'})` : 'Auto';
  if (auto.text !== text) auto.text = text;
}
