/**
 * Go-live page: camera (or ?source=clock test pattern) preview, title, start/stop,
 * camera switch, mic mute, live viewer count, elapsed time and connection state.
 * Exposes window.__live for tests.
 */
import type { CreatedStream } from '../../../signaling/protocol/messages.ts';
import { mountChat, type MountedChat } from '../chat/mount-chat.ts';
import { WallClockPlayhead } from '../chat/WallClockPlayhead.ts';
import { describeMediaError } from '../media/camera.ts';
import { LocalMedia, type ClockAudio } from '../media/LocalMedia.ts';
import { outboundVideo, type OutboundLayer } from '../media/outbound-video-stats.ts';
import { Publisher, type PublisherState } from '../media/Publisher.ts';
import { keepScreenOn } from '../media/screen-wake-lock.ts';
import { createStream } from '../net/api.ts';
import { SignalingClient } from '../net/SignalingClient.ts';
import { signalingUrl } from '../net/ws-url.ts';
import { byId, setText } from '../ui/element.ts';
import { formatElapsed, formatViewers } from '../ui/format-time.ts';
import { ChapterMarker } from '../vod/ChapterMarker.ts';

export interface LiveHook {
  state: PublisherState;
  streamId: string | null;
  sessionId: string | null;
  viewers: number;
  connectionState: RTCPeerConnectionState | 'new';
  error: string | null;
  /** Video layers being sent (simulcast rids), refreshed every second while live. */
  sending: OutboundLayer[];
  /** The browser's uplink bandwidth estimate, kbps (null until known). */
  uplinkKbps: number | null;
}

const hook: LiveHook = { state: 'idle', streamId: null, sessionId: null, viewers: 0, connectionState: 'new', error: null, sending: [], uplinkKbps: null };
// Read by tests and benchmarks (loadtest/browser/clock-pages.ts); not a Window type augmentation, to keep globals untyped.
(window as unknown as Record<string, unknown>)['__live'] = hook;

const ui = {
  preview: byId<HTMLVideoElement>('preview'),
  message: byId('live-message'),
  state: byId('live-state'),
  elapsed: byId('live-elapsed'),
  viewers: byId('live-viewers'),
  conn: byId('live-conn'),
  share: byId('share'),
  shareLink: byId<HTMLAnchorElement>('share-link'),
  shareBtn: byId<HTMLButtonElement>('share-btn'),
  title: byId<HTMLInputElement>('title'),
  switchCamera: byId<HTMLButtonElement>('switch-camera'),
  mute: byId<HTMLButtonElement>('mute'),
  testPattern: byId<HTMLInputElement>('test-pattern'),
  testPatternLabel: byId('test-pattern-label'),
  start: byId<HTMLButtonElement>('start'),
  error: byId('live-error'),
};

const STATE_LABEL: Record<PublisherState, string> = {
  idle: 'Preview',
  connecting: 'Connecting…',
  live: 'LIVE',
  reconnecting: 'Reconnecting…',
  ended: 'Ended',
  failed: 'Failed',
};

const media = new LocalMedia();
const signaling = new SignalingClient(signalingUrl(location));
let publisher: Publisher | null = null;
let liveSince: number | null = null;
let releaseScreen: (() => void) | null = null;
let chat: MountedChat | null = null;
/** The stream being published (id and key), for the chapter marker. */
let current: CreatedStream | null = null;
const chapterMarker = new ChapterMarker({ row: byId('chapter-row'), input: byId<HTMLInputElement>('chapter-title'), button: byId<HTMLButtonElement>('chapter'), stream: () => (publisher?.state === 'live' ? current : null) });

function showError(message: string | null): void {
  hook.error = message;
  ui.error.hidden = message === null;
  setText(ui.error, message ?? '');
}

function render(): void {
  const state = publisher?.state ?? 'idle';
  hook.state = state;
  setText(ui.state, STATE_LABEL[state]);
  ui.state.classList.toggle('is-live', state === 'live');
  const active = state === 'connecting' || state === 'live' || state === 'reconnecting';
  setText(ui.start, active ? 'End stream' : state === 'ended' || state === 'failed' ? 'Go live again' : 'Go live');
  ui.start.classList.toggle('btn-live', !active);
  ui.title.disabled = active;
  ui.testPattern.disabled = active;
  ui.testPatternLabel.hidden = active; // room for "End stream" on narrow phones
  ui.switchCamera.disabled = media.kind !== 'camera';
  ui.viewers.hidden = !active;
  ui.elapsed.hidden = liveSince === null || !active;
  ui.conn.hidden = !active;
  setText(ui.conn, hook.connectionState);
  setText(ui.viewers, formatViewers(hook.viewers));
  ui.mute.setAttribute('aria-pressed', String(media.muted));
  ui.mute.setAttribute('aria-label', media.muted ? 'Unmute microphone' : 'Mute microphone');
  ui.preview.classList.toggle('mirrored', media.kind === 'camera' && media.facing === 'user');
  // The test pattern must stay whole on screen (its code is read off the picture); a camera fills it.
  ui.preview.classList.toggle('stage-video-contain', media.kind === 'clock');
  chapterMarker.refresh();
}

/** ?audio=tone|mic|none picks the test pattern's audio (default tone). */
function clockAudio(): ClockAudio {
  const v = new URLSearchParams(location.search).get('audio');
  return v === 'mic' || v === 'none' ? v : 'tone';
}

/** ?size=WxH sets the test pattern's resolution (default 640x360). */
function clockSize(): { width: number; height: number } | undefined {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(new URLSearchParams(location.search).get('size') ?? '');
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

function showPreview(track: MediaStreamTrack): void {
  ui.preview.srcObject = new MediaStream([track]);
  void ui.preview.play().catch(() => undefined);
}

async function selectSource(): Promise<void> {
  showError(null);
  ui.message.hidden = true;
  try {
    if (ui.testPattern.checked) await media.useClock(clockAudio(), clockSize());
    else await media.useCamera();
  } catch (err) {
    ui.message.hidden = false;
    setText(ui.message, 'No camera');
    showError(`${describeMediaError(err)}`);
  }
  render();
}

function shareUrl(created: CreatedStream): string {
  return new URL(created.watch, location.origin).href;
}

async function goLive(): Promise<void> {
  const video = media.videoTrack;
  if (!video) {
    showError('nothing to send: allow the camera, or tick "test pattern"');
    return;
  }
  showError(null);
  ui.start.disabled = true;
  await media.resumeAudio().catch(() => undefined);
  try {
    const created = await createStream(ui.title.value.trim() || (media.kind === 'clock' ? 'Frame clock test' : 'Live from my phone'));
    hook.streamId = created.id;
    current = created;
    hook.viewers = 0;
    // The streamer's chat: joined with the key (moderation, donation alerts); its playhead is "now".
    chat?.close();
    chat = mountChat({ signaling, streamId: created.id, slot: byId('chat-slot'), stage: ui.preview.parentElement!, playhead: new WallClockPlayhead(), streamKey: created.streamKey });
    const p = new Publisher(signaling, created, { video, audio: media.audioTrack });
    publisher = p;
    p.on('state', (state, detail) => {
      if (state === 'live' && liveSince === null) liveSince = Date.now();
      if (state === 'live') showError(null);
      if (state === 'connecting') releaseScreen ??= keepScreenOn();
      if (state === 'ended' || state === 'failed') {
        releaseScreen?.();
        releaseScreen = null;
      }
      if (state === 'failed' || (state === 'ended' && detail)) showError(detail);
      if (state === 'ended' || state === 'failed') hook.connectionState = 'closed';
      hook.sessionId = p.sessionId;
      render();
    });
    p.on('connection', (s) => {
      hook.connectionState = s;
      render();
    });
    p.on('stream', (info) => {
      hook.viewers = info.viewers;
      if (info.startedAt) liveSince = Date.parse(info.startedAt);
      render();
    });
    ui.shareLink.href = shareUrl(created);
    setText(ui.shareLink, shareUrl(created));
    ui.share.hidden = false;
    render();
    await p.start();
    hook.sessionId = p.sessionId;
  } catch (err) {
    showError(`could not go live: ${(err as Error).message}`);
  } finally {
    ui.start.disabled = false;
    render();
  }
}

async function endStream(): Promise<void> {
  await publisher?.stop();
  render();
}

ui.start.addEventListener('click', () => {
  const state = publisher?.state;
  if (state === 'connecting' || state === 'live' || state === 'reconnecting') void endStream();
  else {
    publisher = null;
    liveSince = null;
    ui.share.hidden = true;
    void goLive();
  }
});

ui.switchCamera.addEventListener('click', () => {
  ui.switchCamera.disabled = true;
  media
    .switchCamera()
    .catch((err: unknown) => showError(`could not switch camera: ${describeMediaError(err)}`))
    .finally(render);
});

ui.mute.addEventListener('click', () => {
  media.setMuted(!media.muted);
  render();
});

ui.testPattern.addEventListener('change', () => void selectSource());

ui.shareBtn.addEventListener('click', async () => {
  const url = ui.shareLink.href;
  try {
    if (navigator.share) await navigator.share({ title: ui.title.value || 'Watch my stream', url });
    else {
      await navigator.clipboard.writeText(url);
      setText(ui.shareBtn, 'Copied');
      setTimeout(() => setText(ui.shareBtn, 'Share'), 1500);
    }
  } catch {
    // Share sheet dismissed or clipboard blocked (plain http): the link stays visible to copy by hand.
  }
});

media.on('video', (track) => {
  showPreview(track);
  void publisher?.replaceVideoTrack(track);
  render();
});
media.on('audio', (track) => void publisher?.replaceAudioTrack(track));

setInterval(() => {
  if (liveSince !== null && publisher?.state === 'live') setText(ui.elapsed, formatElapsed(Date.now() - liveSince));
}, 500);

setInterval(() => {
  const pc = publisher?.peerConnection;
  if (!pc) return;
  outboundVideo(pc)
    .then((out) => {
      hook.sending = out.layers;
      hook.uplinkKbps = out.availableOutgoingBitrate === null ? null : Math.round(out.availableOutgoingBitrate / 1000);
    })
    .catch(() => undefined);
}, 1000);

window.addEventListener('pagehide', () => {
  void publisher?.stop();
  media.stop();
});

ui.testPattern.checked = new URLSearchParams(location.search).get('source') === 'clock';
signaling.connect();
render();
void selectSource();
