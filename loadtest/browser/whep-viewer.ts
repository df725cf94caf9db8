/**
 * A real (decoding) WHEP viewer in a Chromium page: recvonly audio + video, non-trickle offer,
 * POST /whep/:id, answer applied; the video plays in a muted <video>, and requestVideoFrameCallback
 * counts presented frames. Reports what a person would see: picture size and frames shown.
 */
import type { Page } from 'playwright-core';
import { preparePage } from './prepare-page.ts';

export interface WhepWatchOptions {
  readonly whepUrl: string;
  /** For gathering + WHEP + ICE/DTLS, ms. */
  readonly timeoutMs?: number;
}

export interface WhepViewerStats {
  readonly connectionState: string;
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly framesPresented: number;
  /** ms from the start of watchWhep() to the first presented frame; undefined before it. */
  readonly firstFrameMs: number | undefined;
  readonly audioTracks: number;
}

export interface WhepPageViewer {
  readonly page: Page;
  readonly sessionUrl: string;
  stats(): Promise<WhepViewerStats>;
  /** Resolves with the stats once at least `frames` frames were presented; rejects after timeoutMs. */
  waitForFrames(frames: number, timeoutMs: number): Promise<WhepViewerStats>;
  /** DELETE the WHEP session, close the peer connection, remove the <video>. */
  stop(): Promise<void>;
}

interface PageArgs {
  readonly id: string;
  readonly whepUrl: string;
  readonly timeoutMs: number;
}

interface PageViewer {
  pc: RTCPeerConnection;
  video: HTMLVideoElement;
  sessionUrl: string;
  startedAt: number;
  framesPresented: number;
  firstFrameMs: number | undefined;
  audioTracks: number;
}
type WhepWindow = Window & { __loadtestWhep?: Record<string, PageViewer> };

let nextId = 0;

export async function watchWhep(page: Page, opts: WhepWatchOptions): Promise<WhepPageViewer> {
  await preparePage(page, opts.whepUrl);
  const id = `whep-${++nextId}`;
  const args: PageArgs = { id, whepUrl: opts.whepUrl, timeoutMs: opts.timeoutMs ?? 15_000 };
  const sessionUrl = await page.evaluate(async (a: PageArgs) => {
    const startedAt = performance.now();
    const deadline = Date.now() + a.timeoutMs;
    const pc = new RTCPeerConnection({ iceServers: [] });
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
    document.body.appendChild(video);
    const v: PageViewer = { pc, video, sessionUrl: '', startedAt, framesPresented: 0, firstFrameMs: undefined, audioTracks: 0 };
    try {
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      const stream = new MediaStream();
      pc.ontrack = (ev) => {
        stream.addTrack(ev.track);
        if (ev.track.kind === 'audio') v.audioTracks++;
        if (video.srcObject !== stream) video.srcObject = stream;
        void video.play().catch(() => undefined);
      };
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
        v.framesPresented = meta.presentedFrames;
        if (v.firstFrameMs === undefined) v.firstFrameMs = performance.now() - startedAt;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);

      await pc.setLocalDescription(await pc.createOffer());
      const gatherUntil = Math.min(deadline, Date.now() + 2_000);
      while (pc.iceGatheringState !== 'complete' && Date.now() < gatherUntil) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const res = await fetch(a.whepUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription?.sdp ?? '' });
      const body = await res.text();
      if (res.status !== 201) throw new Error(`WHEP POST ${a.whepUrl} answered ${res.status} (expected 201): ${body.slice(0, 300)}`);
      const location = res.headers.get('Location');
      if (!location) throw new Error('WHEP answer has no Location header');
      v.sessionUrl = new URL(location, a.whepUrl).href;
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      while (pc.connectionState !== 'connected') {
        if (pc.connectionState === 'failed' || pc.connectionState === 'closed') throw new Error(`viewer connection ${pc.connectionState}`);
        if (Date.now() > deadline) throw new Error(`viewer not connected within ${a.timeoutMs} ms (state ${pc.connectionState})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      ((window as WhepWindow).__loadtestWhep ??= {})[a.id] = v;
      return v.sessionUrl;
    } catch (err) {
      pc.close();
      video.remove();
      if (v.sessionUrl) void fetch(v.sessionUrl, { method: 'DELETE' }).catch(() => undefined);
      throw err;
    }
  }, args);

  const stats = (): Promise<WhepViewerStats> =>
    page.evaluate((viewerId: string) => {
      const v = (window as WhepWindow).__loadtestWhep?.[viewerId];
      if (!v) throw new Error(`WHEP viewer ${viewerId} is gone (stopped, or the page navigated)`);
      return {
        connectionState: v.pc.connectionState,
        videoWidth: v.video.videoWidth,
        videoHeight: v.video.videoHeight,
        framesPresented: v.framesPresented,
        firstFrameMs: v.firstFrameMs,
        audioTracks: v.audioTracks,
      };
    }, id);

  return {
    page,
    sessionUrl,
    stats,
    waitForFrames: async (frames, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await stats();
        if (s.framesPresented >= frames) return s;
        if (Date.now() > deadline) {
          throw new Error(`only ${s.framesPresented} of ${frames} frames presented within ${timeoutMs} ms (connection ${s.connectionState}, video ${s.videoWidth}x${s.videoHeight})`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      if (page.isClosed()) return;
      await page
        .evaluate(async (viewerId: string) => {
          const w = window as WhepWindow;
          const v = w.__loadtestWhep?.[viewerId];
          if (!v) return;
          delete w.__loadtestWhep?.[viewerId];
          try {
            await fetch(v.sessionUrl, { method: 'DELETE' });
          } finally {
            v.pc.close();
            v.video.remove();
          }
        }, id)
        .catch(() => undefined);
    },
  };
}
