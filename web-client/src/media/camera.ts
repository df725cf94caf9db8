/** Opening the phone's camera and microphone, and explaining why it failed. */

export type Facing = 'user' | 'environment';

function videoConstraints(facing: Facing): MediaTrackConstraints {
  return { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, max: 30 } };
}

const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

function mediaDevices(): MediaDevices {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('camera access needs a secure page: open it over https:// (start the server with HTTPS=1) or on localhost');
  }
  return navigator.mediaDevices;
}

export function openCamera(facing: Facing): Promise<MediaStream> {
  return mediaDevices().getUserMedia({ video: videoConstraints(facing), audio: AUDIO });
}

/** Video only: switching cameras keeps the microphone track that is already being sent. */
export function openCameraVideo(facing: Facing): Promise<MediaStream> {
  return mediaDevices().getUserMedia({ video: videoConstraints(facing), audio: false });
}

export function openMicrophone(): Promise<MediaStream> {
  return mediaDevices().getUserMedia({ video: false, audio: AUDIO });
}

export function describeMediaError(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
      return 'camera or microphone permission was denied: allow it in the browser\'s site settings and reload';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no usable camera or microphone was found: connect one, or tick "test pattern"';
    case 'NotReadableError':
      return 'the camera is busy in another app: close it and retry';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
