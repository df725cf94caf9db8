/** The viewer's inbound video numbers from getStats(), for the debug overlay. */

export interface InboundVideoStats {
  codec: string | null;
  framesDecoded: number;
  framesDropped: number;
  /** Average jitter-buffer wait per emitted frame, ms. */
  jitterBufferMs: number | null;
  bytesReceived: number;
  packetsLost: number;
  timestamp: number;
}

export async function inboundVideoStats(pc: RTCPeerConnection): Promise<InboundVideoStats | null> {
  const report = await pc.getStats();
  let inbound: Record<string, unknown> | undefined;
  report.forEach((s: Record<string, unknown>) => {
    if (s['type'] === 'inbound-rtp' && s['kind'] === 'video') inbound = s;
  });
  if (!inbound) return null;
  const num = (k: string): number => (typeof inbound![k] === 'number' ? (inbound![k] as number) : 0);
  const codecStats = report.get(String(inbound['codecId'])) as { mimeType?: string } | undefined;
  const emitted = num('jitterBufferEmittedCount');
  return {
    codec: codecStats?.mimeType ?? null,
    framesDecoded: num('framesDecoded'),
    framesDropped: num('framesDropped'),
    jitterBufferMs: emitted > 0 ? (num('jitterBufferDelay') / emitted) * 1000 : null,
    bytesReceived: num('bytesReceived'),
    packetsLost: num('packetsLost'),
    timestamp: num('timestamp'),
  };
}
