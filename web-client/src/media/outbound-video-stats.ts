/** What the publisher is actually sending per simulcast layer, from getStats(). */

export interface OutboundLayer {
  rid: string | null;
  width: number;
  height: number;
  fps: number;
  /** Why the encoder is sending less than asked ('bandwidth', 'cpu', 'none', 'other'). */
  limitation: string | null;
  bytesSent: number;
}

export interface OutboundVideo {
  layers: OutboundLayer[];
  /** The browser's uplink estimate (bps) on the selected candidate pair; caps which layers it sends. */
  availableOutgoingBitrate: number | null;
}

export async function outboundVideo(pc: RTCPeerConnection): Promise<OutboundVideo> {
  const layers: OutboundLayer[] = [];
  let availableOutgoingBitrate: number | null = null;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s['type'] === 'candidate-pair' && s['nominated'] === true && typeof s['availableOutgoingBitrate'] === 'number') {
      availableOutgoingBitrate = s['availableOutgoingBitrate'];
    }
    if (s['type'] !== 'outbound-rtp' || s['kind'] !== 'video') return;
    const num = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : 0);
    layers.push({
      rid: typeof s['rid'] === 'string' ? s['rid'] : null,
      width: num('frameWidth'),
      height: num('frameHeight'),
      fps: num('framesPerSecond'),
      limitation: typeof s['qualityLimitationReason'] === 'string' ? s['qualityLimitationReason'] : null,
      bytesSent: num('bytesSent'),
    });
  });
  return { layers: layers.sort((a, b) => a.width - b.width), availableOutgoingBitrate };
}
