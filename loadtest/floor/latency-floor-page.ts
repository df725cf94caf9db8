/**
 * Browser side of the glass-to-glass floor (run-latency-floor.ts): the /live test pattern (frame
 * clock canvas + WebAudio tone) sent from one RTCPeerConnection to another in the same page, no
 * server, and read back with ClockReader from a muted <video>, as /watch does. With
 * `audio: 'same-stream'` both tracks share one MediaStream, so Chromium's lip sync works on them
 * exactly as on an SFU viewer; 'none' and 'own-stream' take lip sync out of the picture.
 */
import { ClockReader } from '../../web-client/src/frame-clock/ClockReader.ts';
import { ClockSource } from '../../web-client/src/frame-clock/ClockSource.ts';
import { createToneTrack } from '../../web-client/src/frame-clock/tone-track.ts';

export type FloorAudio = 'same-stream' | 'own-stream' | 'none';

const delays: number[] = [];
let stop: (() => void) | undefined;

async function start(audio: FloorAudio): Promise<void> {
  const source = new ClockSource();
  const video = source.start().getVideoTracks()[0]!;
  const a = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const b = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
  b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
  const stream = new MediaStream([video]);
  const vt = a.addTransceiver(video, { direction: 'sendonly', streams: [stream] });
  // H.264 first, as the /live page prefers it.
  const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  vt.setCodecPreferences([...codecs.filter((c) => c.mimeType === 'video/H264'), ...codecs.filter((c) => c.mimeType !== 'video/H264')]);
  const tone = audio === 'none' ? undefined : createToneTrack();
  if (tone) {
    await tone.resume();
    a.addTransceiver(tone.track, { direction: 'sendonly', streams: [audio === 'same-stream' ? stream : new MediaStream([tone.track])] });
  }
  const el = document.createElement('video');
  el.muted = true;
  el.playsInline = true;
  el.autoplay = true;
  document.body.append(el);
  const received = new MediaStream();
  b.ontrack = (e) => {
    received.addTrack(e.track);
    if (el.srcObject !== received) el.srcObject = received;
    void el.play().catch(() => undefined);
  };
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  const reader = new ClockReader(el, { onSample: (s) => delays.push(Math.round(s.delayMs * 10) / 10) });
  reader.start();
  stop = () => {
    reader.stop();
    a.close();
    b.close();
    tone?.stop();
    source.stop();
  };
}

Object.assign(window, {
  latencyFloor: {
    start,
    /** Delays from index `from` on. */
    read: (from: number): number[] => delays.slice(from),
    stop: () => stop?.(),
  },
});
