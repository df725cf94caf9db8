/**
 * Go-live page: camera (or ?source=clock test pattern) preview, title, start/stop,
 * camera switch, mic mute, live viewer count, elapsed time and connection state.
 * While live: the uplink quality ladder (what is sent and why, a power-saver
 * switch, battery and heat caps), the screen kept on, and reconnection when the
 * network drops or the phone puts the page in the background. A reload while
 * the server still holds the stream offers to resume it.
 * ?uplinkKbps=N pretends the uplink carries at most N kbps (demos, tests). ?cpu=on|off: whether the
 * host's CPU load (Compute Pressure, encoder 'cpu' limitation) lowers quality; on, except for the test pattern.
 * Exposes window.__live for tests (and window.__liveControl to change that at run time).
 */
import type { CreatedStream } from '../../../signaling/protocol/messages.ts';
import { mountChat, type MountedChat } from '../chat/mount-chat.ts';
import { WallClockPlayhead } from '../chat/WallClockPlayhead.ts';
import { describeMediaError } from '../media/camera.ts';
import { LocalMedia, type ClockAudio } from '../media/LocalMedia.ts';
import { outboundVideo, type OutboundLayer } from '../media/outbound-video-stats.ts';
import { Publisher, type PublisherState } from '../media/Publisher.ts';
import { keepScreenOn } from '../media/screen-wake-lock.ts';
import { PowerSensors } from '../media/uplink/PowerSensors.ts';
import { UplinkController, type AppliedEncoding, type QualityReason } from '../media/uplink/UplinkController.ts';
import { createStream, getStream } from '../net/api.ts';
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
  /** The ladder rung being sent ("720p30"), null before the first control step. */
  rung: string | null;
  /** Ladder index of that rung (0 = 1080p30). */
  rungIndex: number | null;
  /** Why the rung is below what the camera gives ('uplink', 'network', 'battery-low', 'hot', 'power-saver', …). */
  rungReason: QualityReason | null;
  /** The status line shown to the streamer ("720p30 — uplink limited"). */
  qualityText: string | null;
  /** Power or heat warning shown to the streamer. */
  warning: string | null;
  /** The video sender's encodings read back with getParameters() after the last change. */
  encodings: AppliedEncoding[];
  powerSaver: boolean;
  /** Republishes after a lost connection. */
  reconnects: number;
  /** Notice shown to the streamer (back from the background, resumable stream). */
  notice: string | null;
}

const hook: LiveHook = {
  state: 'idle',
  streamId: null,
  sessionId: null,
  viewers: 0,
  connectionState: 'new',
  error: null,
  sending: [],
  uplinkKbps: null,
  rung: null,
  rungIndex: null,
  rungReason: null,
  qualityText: null,
  warning: null,
  encodings: [],
  powerSaver: false,
  reconnects: 0,
  notice: null,
};
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
  quality: byId('live-quality'),
  notice: byId('live-notice'),
  powerSaver: byId<HTMLInputElement>('power-saver'),
  back: document.querySelector<HTMLAnchorElement>('.overlay-top a[href="/"]'),
};

/** sessionStorage key of the stream being published, so a reload can resume it. */
const RESUME_KEY = 'live:stream';

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
/** A stream this tab was publishing before a reload, still held by the server: "Resume stream" continues it. */
let resumable: CreatedStream | null = null;
let hiddenSince: number | null = null;
const cpuParam = new URLSearchParams(location.search).get('cpu');
const sensors = new PowerSensors({ cpuSignals: cpuParam === null ? new URLSearchParams(location.search).get('source') !== 'clock' : cpuParam === 'on' });
const uplink = new UplinkController({
  peerConnection: () => publisher?.peerConnection,
  sender: () => publisher?.videoSender,
  track: () => media.videoTrack,
  sensors,
});
const chapterMarker = new ChapterMarker({ row: byId('chapter-row'), input: byId<HTMLInputElement>('chapter-title'), button: byId<HTMLButtonElement>('chapter'), stream: () => (publisher?.state === 'live' ? current : null) });

function showError(message: string | null): void {
  hook.error = message;
  ui.error.hidden = message === null;
  setText(ui.error, message ?? '');
}

function showNotice(message: string | null, warning = false): void {
  hook.notice = message;
  ui.notice.hidden = message === null;
  ui.notice.classList.toggle('is-warning', warning);
  setText(ui.notice, message ?? '');
}

function render(): void {
  const state = publisher?.state ?? 'idle';
  hook.state = state;
  hook.reconnects = publisher?.reconnects ?? 0;
  setText(ui.state, STATE_LABEL[state]);
  ui.state.classList.toggle('is-live', state === 'live');
  const active = state === 'connecting' || state === 'live' || state === 'reconnecting';
  setText(ui.start, active ? 'End stream' : resumable ? 'Resume stream' : state === 'ended' || state === 'failed' ? 'Go live again' : 'Go live');
  ui.quality.hidden = !active || hook.qualityText === null;
  setText(ui.quality, hook.qualityText ?? '');
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

/** Goes live on a new stream, or continues `existing` (a stream the server is holding for this tab). */
async function goLive(existing: CreatedStream | null = null): Promise<void> {
  const video = media.videoTrack;
  if (!video) {
    showError('nothing to send: allow the camera, or tick "test pattern"');
    return;
  }
  showError(null);
  showNotice(null);
  ui.start.disabled = true;
  await media.resumeAudio().catch(() => undefined);
  try {
    const created = existing ?? (await createStream(ui.title.value.trim() || (media.kind === 'clock' ? 'Frame clock test' : 'Live from my phone')));
    resumable = null;
    sessionStorage.setItem(RESUME_KEY, JSON.stringify(created));
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
        sessionStorage.removeItem(RESUME_KEY);
        uplink.stop();
      }
      if (state === 'reconnecting') showNotice(`Reconnecting… ${detail ?? ''}`.trim(), true);
      if (state === 'live' && (hook.notice?.startsWith('Reconnecting') ?? false)) showNotice(null);
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
    uplink.start();
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

function isActive(): boolean {
  const state = publisher?.state;
  return state === 'connecting' || state === 'live' || state === 'reconnecting';
}

ui.start.addEventListener('click', () => {
  if (isActive()) void endStream();
  else {
    publisher = null;
    liveSince = null;
    ui.share.hidden = true;
    void goLive(resumable);
  }
});

// Leaving with the back arrow is on purpose: end the stream (closing the tab or a crash leaves the
// server's reconnect grace running instead, so a reload can resume).
ui.back?.addEventListener('click', (e) => {
  if (!isActive()) return;
  e.preventDefault();
  void endStream().finally(() => location.assign('/'));
});

ui.powerSaver.addEventListener('change', () => {
  sensors.powerSaver = ui.powerSaver.checked;
  hook.powerSaver = sensors.powerSaver;
  void uplink.tick();
});

uplink.on('status', (status) => {
  hook.rung = status.label;
  hook.rungIndex = status.index;
  hook.rungReason = status.reason;
  hook.qualityText = status.text;
  hook.encodings = status.encodings;
  if (status.warning !== hook.warning) {
    hook.warning = status.warning;
    if (status.warning) showNotice(status.warning, true);
    else if (hook.notice !== null && !hook.notice.startsWith('Reconnecting')) showNotice(null);
  }
  render();
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

// A phone puts the page in the background (app switch, lock screen): the camera pauses and the
// connection may drop. Coming back: tell the streamer, get the camera back if the OS took it, and
// publish again at once if the connection went (the server held the stream 'reconnecting').
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') {
    if (isActive()) hiddenSince = Date.now();
    return;
  }
  if (hiddenSince === null) return;
  const away = Math.round((Date.now() - hiddenSince) / 1000);
  hiddenSince = null;
  if (!isActive()) return;
  void comeBack(away);
});

async function comeBack(awaySeconds: number): Promise<void> {
  if (media.videoTrack?.readyState === 'ended') {
    // The OS stopped the camera while hidden: open it again (same source); the publisher swaps the track in.
    await (media.kind === 'clock' ? media.useClock(clockAudio(), clockSize()) : media.useCamera()).catch((err: unknown) => showError(`could not get the camera back: ${describeMediaError(err)}`));
  }
  publisher?.resume();
  const lost = publisher?.state === 'reconnecting';
  showNotice(
    lost
      ? `You were away ${awaySeconds} s and the connection dropped: reconnecting… Viewers see "Streamer reconnecting".`
      : `You were away ${awaySeconds} s: your camera may have paused while the app was in the background.`,
    lost,
  );
  setTimeout(() => {
    if (hook.notice?.startsWith('You were away')) showNotice(null);
  }, 6000);
}

window.addEventListener('pagehide', (e) => {
  // Kept in the back-forward cache: the page may come back (pageshow), keep everything.
  if (e.persisted) return;
  // Leaving without "End stream" (tab closed, reload): the socket closes with the page and the server
  // holds the stream for its reconnect grace, so a reload can resume it; the camera is released now.
  media.stop();
});

window.addEventListener('pageshow', (e) => {
  if (e.persisted) publisher?.resume();
});

/** A reload while live: offer to continue the stream if the server still holds it. */
async function offerResume(): Promise<void> {
  const saved = sessionStorage.getItem(RESUME_KEY);
  if (!saved) return;
  let created: CreatedStream;
  try {
    created = JSON.parse(saved) as CreatedStream;
    const info = await getStream(created.id);
    if (info.state === 'ended') throw new Error('over');
  } catch {
    sessionStorage.removeItem(RESUME_KEY);
    return;
  }
  if (publisher) return; // went live meanwhile
  resumable = created;
  showNotice('Your stream is still on air: tap "Resume stream" to continue it.', true);
  render();
}

const uplinkKbps = Number(new URLSearchParams(location.search).get('uplinkKbps'));
if (uplinkKbps > 0) uplink.simulatedUplinkBps = uplinkKbps * 1000;
(window as unknown as Record<string, unknown>)['__liveControl'] = {
  /** Pretend the uplink carries at most `kbps` (null: the real estimate). */
  setUplinkKbps(kbps: number | null): void {
    uplink.simulatedUplinkBps = kbps === null ? null : kbps * 1000;
  },
};

ui.testPattern.checked = new URLSearchParams(location.search).get('source') === 'clock';
signaling.connect();
render();
void selectSource();
void sensors.start();
void offerResume();
