/**
 * What the go-live page sends: the camera (front/back, with microphone) or
 * the frame-clock test pattern (with a WebAudio blip track). Track changes
 * are announced so a running Publisher can swap them without renegotiation.
 */
import { ClockSource } from '../frame-clock/ClockSource.ts';
import { createToneTrack, type ToneTrack } from '../frame-clock/tone-track.ts';
import { Emitter } from '../net/Emitter.ts';
import { openCamera, openCameraVideo, openMicrophone, type Facing } from './camera.ts';

export type SourceKind = 'camera' | 'clock';
/** Audio under the test pattern: WebAudio blips, the real microphone, or none (isolates A/V-sync effects). */
export type ClockAudio = 'tone' | 'mic' | 'none';

export interface LocalMediaEvents extends Record<string, unknown[]> {
  video: [MediaStreamTrack];
  audio: [MediaStreamTrack | null];
}

export class LocalMedia extends Emitter<LocalMediaEvents> {
  #kind: SourceKind = 'camera';
  #facing: Facing = 'user';
  #muted = false;
  #video: MediaStreamTrack | null = null;
  #audio: MediaStreamTrack | null = null;
  #clock: ClockSource | null = null;
  #tone: ToneTrack | null = null;

  get kind(): SourceKind {
    return this.#kind;
  }

  get facing(): Facing {
    return this.#facing;
  }

  get muted(): boolean {
    return this.#muted;
  }

  get videoTrack(): MediaStreamTrack | null {
    return this.#video;
  }

  get audioTrack(): MediaStreamTrack | null {
    return this.#audio;
  }

  async useCamera(facing: Facing = this.#facing): Promise<void> {
    this.#release();
    // Phones often cannot open a second camera while one is open: release first, then ask.
    const stream = await openCamera(facing);
    this.#kind = 'camera';
    this.#facing = facing;
    this.#set(stream.getVideoTracks()[0] ?? null, stream.getAudioTracks()[0] ?? null);
  }

  async useClock(audio: ClockAudio = 'tone', size?: { width: number; height: number }): Promise<void> {
    this.#release();
    let audioTrack: MediaStreamTrack | null = null;
    if (audio === 'mic') audioTrack = (await openMicrophone()).getAudioTracks()[0] ?? null;
    this.#clock = new ClockSource(size);
    const video = this.#clock.start().getVideoTracks()[0] ?? null;
    if (audio === 'tone') {
      this.#tone = createToneTrack();
      audioTrack = this.#tone.track;
    }
    this.#kind = 'clock';
    this.#set(video, audioTrack);
  }

  /** Front ↔ back camera, keeping the microphone track. */
  async switchCamera(): Promise<void> {
    if (this.#kind !== 'camera') return;
    const next: Facing = this.#facing === 'user' ? 'environment' : 'user';
    this.#video?.stop();
    try {
      const track = (await openCameraVideo(next)).getVideoTracks()[0];
      if (!track) throw new Error('the camera gave no video track');
      this.#facing = next;
      this.#video = track;
    } catch (err) {
      // Get the previous camera back so the stream keeps a picture.
      this.#video = (await openCameraVideo(this.#facing)).getVideoTracks()[0] ?? null;
      if (this.#video) this.emit('video', this.#video);
      throw err;
    }
    this.emit('video', this.#video);
  }

  /** Lets the test-pattern audio play; call from a user gesture (the Go live tap). */
  async resumeAudio(): Promise<void> {
    await this.#tone?.resume();
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    // A disabled track sends silence: no renegotiation, and unmuting is instant.
    if (this.#audio) this.#audio.enabled = !muted;
  }

  stop(): void {
    this.#release();
    this.#video = this.#audio = null;
  }

  #set(video: MediaStreamTrack | null, audio: MediaStreamTrack | null): void {
    this.#video = video;
    this.#audio = audio;
    if (audio) audio.enabled = !this.#muted;
    if (video) this.emit('video', video);
    this.emit('audio', audio);
  }

  #release(): void {
    this.#video?.stop();
    this.#audio?.stop();
    this.#clock?.stop();
    this.#tone?.stop();
    this.#clock = null;
    this.#tone = null;
  }
}
