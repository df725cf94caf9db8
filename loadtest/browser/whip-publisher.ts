/**
 * Publishes Chromium's fake camera + microphone through WHIP from a page: getUserMedia,
 * a sendonly non-trickle offer (ICE gathered first), POST /whip/:id with the stream key, answer
 * applied, then waits for the connection. Used by benchmarks and end-to-end tests.
 */
import type { Page } from 'playwright-core';
import { preparePage } from './prepare-page.ts';

export interface WhipPublishOptions {
  readonly whipUrl: string;
  readonly streamKey: string;
  readonly audio?: boolean;
  readonly video?: { readonly width: number; readonly height: number; readonly frameRate: number };
  /** Put this video codec first in the offer; default: Chromium's own order. */
  readonly videoCodec?: 'H264' | 'VP8';
  /** For getUserMedia + gathering + WHIP + ICE/DTLS, ms. */
  readonly timeoutMs?: number;
}

export interface WhipPublisherStats {
  readonly connectionState: string;
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly framesEncoded: number;
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** e.g. "video/H264"; empty until the stats know it. */
  readonly videoCodec: string;
}

export interface WhipPublication {
  readonly page: Page;
  readonly sessionUrl: string;
  stats(): Promise<WhipPublisherStats>;
  /** DELETE the WHIP session (ends the stream), close the peer connection, stop the fake devices. */
  stop(): Promise<void>;
}

interface PageArgs {
  readonly id: string;
  readonly whipUrl: string;
  readonly streamKey: string;
  readonly audio: boolean;
  readonly video: { readonly width: number; readonly height: number; readonly frameRate: number };
  readonly videoCodec: string;
  readonly timeoutMs: number;
}

/** What the page keeps per publication (window.__loadtestWhip[id]). */
interface PagePublication {
  pc: RTCPeerConnection;
  stream: MediaStream;
  sessionUrl: string;
  streamKey: string;
}
type WhipWindow = Window & { __loadtestWhip?: Record<string, PagePublication> };

let nextId = 0;

export async function publishFakeCamera(page: Page, opts: WhipPublishOptions): Promise<WhipPublication> {
  await preparePage(page, opts.whipUrl);
  const args: PageArgs = {
    id: `whip-${++nextId}`,
    whipUrl: opts.whipUrl,
    streamKey: opts.streamKey,
    audio: opts.audio ?? true,
    video: opts.video ?? { width: 640, height: 480, frameRate: 30 },
    videoCodec: opts.videoCodec ?? '',
    timeoutMs: opts.timeoutMs ?? 15_000,
  };
  const sessionUrl = await page.evaluate(async (a: PageArgs) => {
    const deadline = Date.now() + a.timeoutMs;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: a.audio,
      video: { width: a.video.width, height: a.video.height, frameRate: a.video.frameRate },
    });
    const pc = new RTCPeerConnection({ iceServers: [] });
    try {
      for (const track of stream.getTracks()) {
        const tr = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        if (track.kind === 'video' && a.videoCodec) {
          const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
          const wanted = 'video/' + a.videoCodec.toLowerCase();
          const first = codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
          if (first.length === 0) throw new Error(`this Chromium cannot send ${a.videoCodec}`);
          tr.setCodecPreferences([...first, ...codecs.filter((c) => c.mimeType.toLowerCase() !== wanted)]);
        }
      }
      await pc.setLocalDescription(await pc.createOffer());
      // Non-trickle: wait for gathering, but not forever (loopback needs no more than a moment).
      const gatherUntil = Math.min(deadline, Date.now() + 2_000);
      while (pc.iceGatheringState !== 'complete' && Date.now() < gatherUntil) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const res = await fetch(a.whipUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${a.streamKey}` },
        body: pc.localDescription?.sdp ?? '',
      });
      const body = await res.text();
      if (res.status !== 201) throw new Error(`WHIP POST ${a.whipUrl} answered ${res.status} (expected 201): ${body.slice(0, 300)}`);
      const location = res.headers.get('Location');
      if (!location) throw new Error('WHIP answer has no Location header');
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      while (pc.connectionState !== 'connected') {
        if (pc.connectionState === 'failed' || pc.connectionState === 'closed') throw new Error(`publisher connection ${pc.connectionState}`);
        if (Date.now() > deadline) throw new Error(`publisher not connected within ${a.timeoutMs} ms (state ${pc.connectionState})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const w = window as WhipWindow;
      const sessionUrl = new URL(location, a.whipUrl).href;
      (w.__loadtestWhip ??= {})[a.id] = { pc, stream, sessionUrl, streamKey: a.streamKey };
      return sessionUrl;
    } catch (err) {
      pc.close();
      for (const t of stream.getTracks()) t.stop();
      throw err;
    }
  }, args);

  return {
    page,
    sessionUrl,
    stats: () =>
      page.evaluate(async (id: string) => {
        const p = (window as WhipWindow).__loadtestWhip?.[id];
        if (!p) throw new Error(`WHIP publication ${id} is gone (stopped, or the page navigated)`);
        const out = { connectionState: p.pc.connectionState, packetsSent: 0, bytesSent: 0, framesEncoded: 0, frameWidth: 0, frameHeight: 0, videoCodec: '' };
        const report = await p.pc.getStats();
        report.forEach((s: Record<string, unknown>) => {
          if (s.type !== 'outbound-rtp') return;
          out.packetsSent += Number(s.packetsSent ?? 0);
          out.bytesSent += Number(s.bytesSent ?? 0);
          if (s.kind === 'video') {
            out.framesEncoded += Number(s.framesEncoded ?? 0);
            out.frameWidth = Math.max(out.frameWidth, Number(s.frameWidth ?? 0));
            out.frameHeight = Math.max(out.frameHeight, Number(s.frameHeight ?? 0));
            const codec = typeof s.codecId === 'string' ? (report.get(s.codecId) as { mimeType?: string } | undefined) : undefined;
            if (codec?.mimeType) out.videoCodec = codec.mimeType;
          }
        });
        return out;
      }, args.id),
    stop: async () => {
      if (page.isClosed()) return;
      await page
        .evaluate(async (id: string) => {
          const w = window as WhipWindow;
          const p = w.__loadtestWhip?.[id];
          if (!p) return;
          delete w.__loadtestWhip?.[id];
          try {
            await fetch(p.sessionUrl, { method: 'DELETE', headers: { Authorization: `Bearer ${p.streamKey}` } });
          } finally {
            p.pc.close();
            for (const t of p.stream.getTracks()) t.stop();
          }
        }, args.id)
        .catch(() => undefined);
    },
  };
}
