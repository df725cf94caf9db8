/**
 * The watch page's tier controls: the WebRTC/HLS toggle, the HLS quality menu and the
 * note that says why the page plays HLS (viewer's choice, WebRTC tier full, WebRTC failed).
 */
import type { HlsLevel } from '../media/HlsPlayer.ts';
import type { HlsReason, TierSwitch, WatchTier } from '../media/TierSwitch.ts';
import { chosenLevel, fillQualityMenu, showPlayingLevel } from './quality-menu.ts';
import { setText } from './element.ts';

export interface TierControlElements {
  readonly toggle: HTMLButtonElement;
  readonly quality: HTMLSelectElement;
  readonly note: HTMLElement;
}

export function tierNote(tier: WatchTier, reason: HlsReason | null, detail: string | null): string | null {
  if (tier !== 'hls') return null;
  switch (reason) {
    case 'full':
      return 'The low-delay (WebRTC) tier is full: watching over HLS, a few seconds behind.';
    case 'failed':
      return `WebRTC could not play here${detail ? ` (${detail})` : ''}: watching over HLS, a few seconds behind.`;
    default:
      return 'Watching over HLS.';
  }
}

export function mountTierControls(tiers: TierSwitch, el: TierControlElements): void {
  let levels: readonly HlsLevel[] = [];
  const show = (tier: WatchTier, reason: HlsReason | null, detail: string | null): void => {
    el.toggle.setAttribute('aria-pressed', String(tier === 'hls'));
    setText(el.toggle, tier === 'hls' ? 'Switch to WebRTC' : 'Switch to HLS');
    el.toggle.hidden = !tiers.hlsAvailable;
    const note = tierNote(tier, reason, detail);
    el.note.hidden = note === null;
    setText(el.note, note ?? '');
    if (tier !== 'hls') fillQualityMenu(el.quality, (levels = []));
  };
  show(tiers.tier, tiers.reason, null);

  el.toggle.addEventListener('click', () => tiers.use(tiers.tier === 'hls' ? 'webrtc' : 'hls', 'chosen'));
  el.quality.addEventListener('change', () => tiers.player?.setLevel(chosenLevel(el.quality)));
  tiers.on('tier', show);
  tiers.on('levels', (next) => {
    levels = next;
    fillQualityMenu(el.quality, levels);
  });
  tiers.on('level', (index) => showPlayingLevel(el.quality, levels.find((l) => l.index === index)));
}
