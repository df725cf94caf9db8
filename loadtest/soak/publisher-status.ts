/**
 * What the /live page says it is sending (window.__live: per-layer size, fps and the encoder's
 * quality-limitation reason, refreshed each second from getStats). Read each minute so a soak
 * can tell freezes born at the source (encoder starved of CPU) from ones added downstream.
 */
import type { Page } from 'playwright-core';

export interface PublisherStatus {
  readonly state: string;
  readonly reconnects: number;
  /** The largest layer sent: e.g. "640x360@30" and why it is limited ('cpu', 'bandwidth', 'none'). */
  readonly top: { readonly width: number; readonly height: number; readonly fps: number; readonly limitation: string | null } | null;
}

export async function readPublisherStatus(page: Page): Promise<PublisherStatus> {
  return page.evaluate(() => {
    const l = (window as Window & { __live?: Record<string, unknown> }).__live ?? {};
    const layers = Array.isArray(l.sending) ? (l.sending as Array<{ width?: unknown; height?: unknown; fps?: unknown; limitation?: unknown }>) : [];
    const top = layers[layers.length - 1];
    return {
      state: String(l.state ?? 'absent'),
      reconnects: typeof l.reconnects === 'number' ? l.reconnects : 0,
      top: top
        ? { width: Number(top.width ?? 0), height: Number(top.height ?? 0), fps: Number(top.fps ?? 0), limitation: typeof top.limitation === 'string' ? top.limitation : null }
        : null,
    };
  });
}

export function formatPublisherStatus(s: PublisherStatus | null): string {
  if (!s?.top) return '–';
  return `${s.top.width}x${s.top.height}@${Math.round(s.top.fps)}${s.top.limitation && s.top.limitation !== 'none' ? ` ${s.top.limitation}` : ''}`;
}
