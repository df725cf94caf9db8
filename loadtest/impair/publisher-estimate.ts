/**
 * Reads a WHIP publisher page's send-side view of the network from getStats(): the bandwidth
 * estimate (candidate-pair availableOutgoingBitrate) and what the encoder sends. Works on pages
 * published with loadtest/browser/whip-publisher.ts (window.__loadtestWhip) and on any page that
 * hands over its RTCPeerConnection (pass a page expression, e.g. the /live page's hook).
 */
import type { Page } from 'playwright-core';

export interface PublisherNetworkSample {
  /** Page clock, ms. */
  readonly atMs: number;
  /** Bits/s; 0 before the estimator reported one. */
  readonly availableOutgoingBitrate: number;
  /** Cumulative video payload bytes sent (outbound-rtp, every layer). */
  readonly videoBytesSent: number;
  /** The encoder's target (bits/s, summed over layers); 0 when the stats do not say. */
  readonly videoTargetBitrate: number;
  readonly frameWidth: number;
  readonly connectionState: string;
}

/** JavaScript expression, evaluated in the page, that yields the publisher's RTCPeerConnection. Default: the first WHIP publication. */
export const WHIP_PUBLISHER_PC = 'Object.values(window.__loadtestWhip ?? {})[0]?.pc';

export async function samplePublisherNetwork(page: Page, pcExpression: string = WHIP_PUBLISHER_PC): Promise<PublisherNetworkSample> {
  return page.evaluate(async (expr: string) => {
    // eslint-disable-next-line no-new-func
    const pc = new Function(`return (${expr});`)() as RTCPeerConnection | undefined;
    if (!pc) throw new Error(`no RTCPeerConnection at ${expr}: publish first`);
    const report = await pc.getStats();
    const out = { atMs: performance.now(), availableOutgoingBitrate: 0, videoBytesSent: 0, videoTargetBitrate: 0, frameWidth: 0, connectionState: pc.connectionState };
    let selectedPair: string | undefined;
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') selectedPair = s.selectedCandidatePairId;
    });
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'candidate-pair' && (s.id === selectedPair || (selectedPair === undefined && s.nominated === true))) {
        out.availableOutgoingBitrate = Math.max(out.availableOutgoingBitrate, Number(s.availableOutgoingBitrate ?? 0));
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.videoBytesSent += Number(s.bytesSent ?? 0);
        out.videoTargetBitrate += Number(s.targetBitrate ?? 0);
        out.frameWidth = Math.max(out.frameWidth, Number(s.frameWidth ?? 0));
      }
    });
    return out;
  }, pcExpression);
}

/** Video bits/s between two samples. */
export function videoBitrate(from: PublisherNetworkSample, to: PublisherNetworkSample): number {
  const seconds = (to.atMs - from.atMs) / 1000;
  return seconds > 0 ? ((to.videoBytesSent - from.videoBytesSent) * 8) / seconds : 0;
}
