/**
 * Drives real headless Chromium pages as WebRTC publishers and viewers for the
 * SFU tests: SDP goes through page.evaluate (no HTTP), non-trickle (each side
 * waits for ICE gathering to complete). Pages get a localhost origin from a
 * route handler, so getUserMedia has a secure context without any server.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

const ORIGIN = 'http://localhost';
/** tsx keeps function names by wrapping them in __name(), which the page lacks. */
const NAME_SHIM = 'globalThis.__name ??= (target) => target;';

export interface PublishOptions {
  readonly audio?: boolean;
  readonly video?: boolean;
  readonly width?: number;
  readonly height?: number;
  /** rids lowest quality first, e.g. ['low','mid','high'] with scaleResolutionDownBy 4,2,1. */
  readonly simulcast?: readonly string[];
  /** Restrict the offered video codecs to this MIME type (e.g. 'video/VP8'). */
  readonly videoCodec?: string;
}

export async function openPage(browser: Browser | BrowserContext): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(NAME_SHIM);
  await page.route(`${ORIGIN}/**`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>sfu test</title>' }));
  await page.goto(`${ORIGIN}/`);
  return page;
}

/** Starts a publisher on the page and returns its (complete, non-trickle) offer. */
export async function createPublisherOffer(page: Page, options: PublishOptions = {}): Promise<string> {
  return page.evaluate(async (o) => {
    const w = window as unknown as Record<string, unknown>;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: o.audio !== false,
      video: o.video === false ? false : { width: o.width ?? 640, height: o.height ?? 480 },
    });
    const pc = new RTCPeerConnection();
    w.pc = pc;
    w.stream = stream;
    for (const track of stream.getTracks()) {
      if (track.kind === 'video' && o.simulcast?.length) {
        const n = o.simulcast.length;
        pc.addTransceiver(track, {
          direction: 'sendonly',
          sendEncodings: o.simulcast.map((rid, i) => ({ rid, scaleResolutionDownBy: 2 ** (n - 1 - i) })),
        });
      } else {
        const t = pc.addTransceiver(track, { direction: 'sendonly' });
        if (track.kind === 'video' && o.videoCodec) {
          const codecs = RTCRtpSender.getCapabilities('video')!.codecs.filter((c) => c.mimeType.toLowerCase() === o.videoCodec!.toLowerCase());
          t.setCodecPreferences(codecs);
        }
      }
    }
    await pc.setLocalDescription();
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
    return pc.localDescription!.sdp;
  }, options);
}

/** Creates a recvonly viewer on the page (audio + video) and returns its offer. */
export async function createViewerOffer(page: Page, options: { readonly h264Only?: string } = {}): Promise<string> {
  return page.evaluate(async (o) => {
    const w = window as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection();
    w.pc = pc;
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.append(video);
    w.video = video;
    w.frames = 0;
    w.firstFrameAt = 0;
    w.startedAt = performance.now();
    w.streamIdsByKind = {};
    const stream = new MediaStream();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const vt = pc.addTransceiver('video', { direction: 'recvonly' });
    if (o.h264Only) {
      const codecs = RTCRtpReceiver.getCapabilities('video')!.codecs.filter(
        (c) => c.mimeType === 'video/H264' && (c.sdpFmtpLine ?? '').includes(`profile-level-id=${o.h264Only}`) && (c.sdpFmtpLine ?? '').includes('packetization-mode=1'),
      );
      vt.setCodecPreferences(codecs);
    }
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      (w.streamIdsByKind as Record<string, string[]>)[e.track.kind] = e.streams.map((s) => s.id);
      video.srcObject = stream;
    };
    const onFrame = (): void => {
      w.frames = (w.frames as number) + 1;
      if (!w.firstFrameAt) w.firstFrameAt = performance.now();
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    await pc.setLocalDescription();
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
    w.offerReadyAt = performance.now();
    return pc.localDescription!.sdp;
  }, options);
}

/** Applies the SFU's answer; returns performance.now() in the page at that moment. */
export async function applyAnswer(page: Page, sdp: string): Promise<number> {
  return page.evaluate(async (answer) => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return performance.now();
  }, sdp);
}

export interface ViewerVideo {
  readonly width: number;
  readonly height: number;
  /** Frames presented so far (requestVideoFrameCallback). */
  readonly frames: number;
  /** performance.now() of the first presented frame, 0 before any. */
  readonly firstFrameAt: number;
  /** performance.now() when the viewer started creating its offer. */
  readonly startedAt: number;
  /** performance.now() when its offer was complete (ICE gathered), i.e. when it would be sent to the server. */
  readonly offerReadyAt: number;
  readonly connectionState: string;
}

export async function viewerVideo(page: Page): Promise<ViewerVideo> {
  return page.evaluate(() => {
    const w = window as unknown as { video: HTMLVideoElement; frames: number; firstFrameAt: number; startedAt: number; offerReadyAt: number; pc: RTCPeerConnection };
    return {
      width: w.video.videoWidth,
      height: w.video.videoHeight,
      frames: w.frames,
      firstFrameAt: w.firstFrameAt,
      startedAt: w.startedAt,
      offerReadyAt: w.offerReadyAt,
      connectionState: w.pc.connectionState,
    };
  });
}

/** Polls until the viewer shows a picture or the deadline passes. */
export async function waitForPicture(page: Page, timeoutMs: number): Promise<ViewerVideo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await viewerVideo(page);
    if ((v.width > 0 && v.frames > 0) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function connectionState(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.connectionState);
}

/** Waits until the page's peer connection reaches one of the states (or the deadline passes); returns the last state. */
export async function waitForConnectionState(page: Page, states: readonly string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await connectionState(page);
    if (states.includes(state) || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** MediaStream ids the viewer's tracks arrived in, per kind (same id: the browser syncs them). */
export async function streamIdsByKind(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(() => (window as unknown as { streamIdsByKind: Record<string, string[]> }).streamIdsByKind);
}

export interface InboundStats {
  readonly kind: string;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly framesDecoded: number | undefined;
  readonly nackCount: number | undefined;
  readonly frameWidth: number | undefined;
  readonly codec: string | undefined;
}

/** inbound-rtp stats per kind, plus how many RTCP sender reports arrived per kind (remote-outbound-rtp). */
export async function inboundStats(page: Page): Promise<{ inbound: InboundStats[]; senderReports: Record<string, number> }> {
  return page.evaluate(async () => {
    const report = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
    const inbound: InboundStats[] = [];
    const senderReports: Record<string, number> = {};
    const codecs = new Map<string, string>();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'codec') codecs.set(s.id as string, s.mimeType as string);
    });
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp') {
        inbound.push({
          kind: s.kind as string,
          packetsReceived: s.packetsReceived as number,
          packetsLost: s.packetsLost as number,
          framesDecoded: s.framesDecoded as number | undefined,
          nackCount: s.nackCount as number | undefined,
          frameWidth: s.frameWidth as number | undefined,
          codec: codecs.get(s.codecId as string),
        });
      }
      if (s.type === 'remote-outbound-rtp') senderReports[s.kind as string] = (s.reportsSent as number) ?? 0;
    });
    return { inbound, senderReports };
  });
}

/** The publisher's outbound video: width and rid per encoding that sends. */
export async function publisherEncodings(page: Page): Promise<Array<{ rid: string | undefined; width: number | undefined; bytesSent: number }>> {
  return page.evaluate(async () => {
    const report = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
    const out: Array<{ rid: string | undefined; width: number | undefined; bytesSent: number }> = [];
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') out.push({ rid: s.rid as string | undefined, width: s.frameWidth as number | undefined, bytesSent: s.bytesSent as number });
    });
    return out;
  });
}

/** The publisher's send-side estimate (availableOutgoingBitrate of the selected candidate pair), bits/s. */
export async function availableOutgoingBitrate(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const report = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
    let bps = 0;
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'candidate-pair' && s.nominated && typeof s.availableOutgoingBitrate === 'number') bps = Math.max(bps, s.availableOutgoingBitrate);
    });
    return bps;
  });
}
