/**
 * Non-trickle offer/answer: the server takes one offer with all candidates in
 * it, so the offer is sent only once ICE gathering completes (or after a cap:
 * host candidates arrive within milliseconds, a stuck STUN/TURN lookup must
 * not stall going live).
 */

export const GATHERING_CAP_MS = 2000;

export function waitForIceGathering(pc: RTCPeerConnection, capMs = GATHERING_CAP_MS): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    };
    const onChange = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, capMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

/** Creates and applies an offer, waits for gathering, and returns the SDP with its candidates. */
export async function createNonTrickleOffer(pc: RTCPeerConnection, capMs = GATHERING_CAP_MS): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForIceGathering(pc, capMs);
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('the browser produced no local description; reload the page');
  return sdp;
}

export function applyAnswer(pc: RTCPeerConnection, sdp: string): Promise<void> {
  return pc.setRemoteDescription({ type: 'answer', sdp });
}
