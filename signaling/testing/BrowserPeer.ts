/**
 * Real Chromium peer connections for signaling tests: the page makes the
 * offers (fake camera for publishers, recvonly for viewers) while the test
 * does the HTTP or /ws exchange itself, so it can assert every status and header.
 * Page code is passed as strings: tsx would wrap named functions in __name(),
 * which does not exist inside the page.
 */
import type { Browser, Page } from 'playwright-core';

export type PeerKind = 'publisher' | 'viewer';

export class BrowserPeer {
  readonly page: Page;
  readonly #names = new Set<string>();

  private constructor(page: Page) {
    this.page = page;
  }

  /** Opens a page on the platform's origin (loopback is a secure context, so getUserMedia works). */
  static async open(browser: Browser, platformUrl: string): Promise<BrowserPeer> {
    const page = await browser.newPage();
    await page.goto(`${platformUrl}/healthz`);
    return new BrowserPeer(page);
  }

  /** Creates a peer connection named `name` and returns its complete (non-trickle) offer. */
  async createOffer(name: string, kind: PeerKind): Promise<string> {
    this.#names.add(name);
    const script = `(async () => {
      const name = ${JSON.stringify(name)};
      const kind = ${JSON.stringify(kind)};
      window.__peers = window.__peers || {};
      const pc = new RTCPeerConnection();
      window.__peers[name] = pc;
      if (kind === 'publisher') {
        const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 30 } });
        for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
      } else {
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
      }
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
        setTimeout(resolve, 5000);
      });
      return pc.localDescription.sdp;
    })()`;
    return (await this.page.evaluate(script)) as string;
  }

  async applyAnswer(name: string, sdp: string): Promise<void> {
    await this.page.evaluate(`window.__peers[${JSON.stringify(name)}].setRemoteDescription({ type: 'answer', sdp: ${JSON.stringify(sdp)} })`);
  }

  /** Resolves with the connection state once it is one of `states`; rejects after timeoutMs naming the last state. */
  async waitForState(name: string, states: readonly RTCPeerConnectionState[], timeoutMs = 15_000): Promise<RTCPeerConnectionState> {
    const script = `(async () => {
      const pc = window.__peers[${JSON.stringify(name)}];
      const wanted = ${JSON.stringify(states)};
      const deadline = Date.now() + ${timeoutMs};
      while (!wanted.includes(pc.connectionState) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return pc.connectionState;
    })()`;
    const state = (await this.page.evaluate(script)) as RTCPeerConnectionState;
    if (!states.includes(state)) throw new Error(`peer "${name}" stayed ${state}; expected ${states.join(' or ')} within ${timeoutMs} ms`);
    return state;
  }

  async connectionState(name: string): Promise<RTCPeerConnectionState> {
    return (await this.page.evaluate(`window.__peers[${JSON.stringify(name)}].connectionState`)) as RTCPeerConnectionState;
  }

  /** Video frames the named (viewer) connection has decoded so far. */
  async framesDecoded(name: string): Promise<number> {
    const script = `(async () => {
      let frames = 0;
      (await window.__peers[${JSON.stringify(name)}].getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0; });
      return frames;
    })()`;
    return (await this.page.evaluate(script)) as number;
  }

  /** Closes one connection without telling the server (no DTLS alert reaches werift in time): like a phone losing its network. */
  async dropPeer(name: string): Promise<void> {
    await this.page.evaluate(`(() => { const pc = window.__peers[${JSON.stringify(name)}]; pc.getSenders().forEach((s) => s.track && s.track.stop()); pc.close(); })()`);
  }

  /** Closes every peer connection and the page. */
  async close(): Promise<void> {
    await this.page
      .evaluate(`for (const pc of Object.values(window.__peers || {})) { pc.getSenders().forEach((s) => s.track && s.track.stop()); pc.close(); }`)
      .catch(() => undefined);
    await this.page.close().catch(() => undefined);
  }
}
