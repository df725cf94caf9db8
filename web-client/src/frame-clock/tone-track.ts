/**
 * An audio track for test-pattern publishing: silence with a short 1 kHz
 * blip at every whole second of the wall clock (a later A/V-sync check can
 * line blips up with the frame clock). Built with WebAudio, no microphone.
 */

export interface ToneTrack {
  readonly track: MediaStreamTrack;
  /** Browsers start audio suspended until a user gesture; call from a click handler. */
  resume(): Promise<void>;
  stop(): void;
}

const BLIP_SECONDS = 0.05;
const BLIP_GAIN = 0.05; // quiet: the page may be listened to on a phone speaker

export function createToneTrack(): ToneTrack {
  const ctx = new AudioContext();
  const osc = ctx.createOscillator();
  osc.frequency.value = 1000;
  const gain = ctx.createGain();
  gain.gain.value = 0;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  // Schedule each blip about a second ahead, at the next whole wall-clock second.
  const schedule = (): void => {
    const at = ctx.currentTime + (1000 - (Date.now() % 1000)) / 1000;
    gain.gain.setValueAtTime(BLIP_GAIN, at);
    gain.gain.setValueAtTime(0, at + BLIP_SECONDS);
  };
  schedule();
  const timer = setInterval(schedule, 1000);
  const track = dest.stream.getAudioTracks()[0];
  if (!track) throw new Error('WebAudio gave no audio track; use a browser with MediaStreamAudioDestinationNode');
  return {
    track,
    resume: () => ctx.resume(),
    stop() {
      clearInterval(timer);
      track.stop();
      void ctx.close();
    },
  };
}
