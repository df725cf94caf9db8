/** IPC messages between ViewerFleet (parent) and viewer-worker (each child process). */
import type { LightViewerReport } from './LightViewer.ts';

export interface FleetStart {
  readonly type: 'start';
  readonly whepUrl: string;
  readonly viewers: number;
  /** Viewers negotiating at the same time in this process (the ramp). */
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  /** The process exits by itself after this long, whatever the parent does. */
  readonly lifetimeMs: number;
}

export type FleetCommand = FleetStart | { readonly type: 'snapshot' } | { readonly type: 'stop' };

/** Sums over the viewers of one process (or, added up, of the whole fleet). */
export interface FleetTotals {
  readonly viewers: number;
  readonly connected: number;
  readonly videoPackets: number;
  readonly videoBytes: number;
  readonly videoLost: number;
  readonly audioPackets: number;
  readonly audioBytes: number;
  readonly audioLost: number;
  /** Sum of the viewers' video jitter (divide by connected for the mean). */
  readonly videoJitterMsSum: number;
}

export type FleetEvent =
  | { readonly type: 'ready'; readonly connected: number; readonly failed: number; readonly errors: readonly string[] }
  | { readonly type: 'snapshot'; readonly totals: FleetTotals }
  | { readonly type: 'report'; readonly viewers: readonly LightViewerReport[] };

export const EMPTY_TOTALS: FleetTotals = Object.freeze({
  viewers: 0,
  connected: 0,
  videoPackets: 0,
  videoBytes: 0,
  videoLost: 0,
  audioPackets: 0,
  audioBytes: 0,
  audioLost: 0,
  videoJitterMsSum: 0,
});

export function addTotals(a: FleetTotals, b: FleetTotals): FleetTotals {
  return {
    viewers: a.viewers + b.viewers,
    connected: a.connected + b.connected,
    videoPackets: a.videoPackets + b.videoPackets,
    videoBytes: a.videoBytes + b.videoBytes,
    videoLost: a.videoLost + b.videoLost,
    audioPackets: a.audioPackets + b.audioPackets,
    audioBytes: a.audioBytes + b.audioBytes,
    audioLost: a.audioLost + b.audioLost,
    videoJitterMsSum: a.videoJitterMsSum + b.videoJitterMsSum,
  };
}
