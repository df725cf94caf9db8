/**
 * Browser side of frame-clock.test.ts: wires ClockSource to ClockReader
 * through a <video>, directly or through a scaled copy, or through a
 * same-page WebRTC loopback (real encoder), and collects decoded samples.
 */
import { ClockSource } from '../ClockSource.ts';
import { ClockReader, type ClockSample } from '../ClockReader.ts';

export interface HarnessResult {
  samples: ClockSample[];
  framesPresented: number;
  framesDecoded: number;
  lastFailure: string | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function readFor(stream: MediaStream, ms: number): Promise<HarnessResult> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.autoplay = true;
  document.body.append(video);
  video.srcObject = stream;
  const samples: ClockSample[] = [];
  const reader = new ClockReader(video, { onSample: (s) => samples.push(s) });
  reader.start();
  await video.play();
  await sleep(ms);
  reader.stop();
  video.remove();
  return { samples, framesPresented: reader.framesPresented, framesDecoded: reader.framesDecoded, lastFailure: reader.lastFailure };
}

/** Clock canvas → captureStream → video; `scaleTo` copies it into a smaller canvas first. */
async function runLocal(ms: number, scaleTo?: { width: number; height: number }): Promise<HarnessResult> {
  const source = new ClockSource();
  let stream: MediaStream;
  let copyTimer: ReturnType<typeof setInterval> | undefined;
  if (scaleTo) {
    const small = document.createElement('canvas');
    small.width = scaleTo.width;
    small.height = scaleTo.height;
    const ctx = small.getContext('2d')!;
    // Draw the clock again onto the small canvas right after each source frame.
    copyTimer = setInterval(() => {
      source.drawFrame();
      ctx.drawImage(source.canvas, 0, 0, scaleTo.width, scaleTo.height);
    }, 1000 / 30);
    stream = small.captureStream(30);
  } else {
    stream = source.start();
  }
  try {
    return await readFor(stream, ms);
  } finally {
    if (copyTimer !== undefined) clearInterval(copyTimer);
    stream.getTracks().forEach((t) => t.stop());
    source.stop();
  }
}

/** Clock → RTCPeerConnection (real encoder, one downscaled layer) → RTCPeerConnection → video. */
async function runLoopback(ms: number, scaleResolutionDownBy: number, maxBitrate: number, mimeType = 'video/H264'): Promise<HarnessResult & { frameWidth: number; codec: string }> {
  const source = new ClockSource();
  const track = source.start().getVideoTracks()[0]!;
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
  b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
  const transceiver = a.addTransceiver(track, { direction: 'sendonly', sendEncodings: [{ scaleResolutionDownBy, maxBitrate }] });
  const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  const wanted = codecs.filter((c) => c.mimeType === mimeType);
  if (wanted.length === 0) throw new Error(`this Chromium cannot send ${mimeType}`);
  transceiver.setCodecPreferences([...wanted, ...codecs.filter((c) => c.mimeType !== mimeType)]);
  const remote = new Promise<MediaStream>((resolve) => (b.ontrack = (e) => resolve(new MediaStream([e.track]))));
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  try {
    const result = await readFor(await remote, ms);
    const stats = [...(await b.getStats()).values()];
    const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
    const codec = stats.find((s) => s.type === 'codec' && s.id === inbound?.codecId);
    return { ...result, frameWidth: result.samples.at(-1)?.width ?? 0, codec: String(codec?.mimeType) };
  } finally {
    a.close();
    b.close();
    source.stop();
  }
}

Object.assign(window, { clockHarness: { runLocal, runLoopback } });
