/**
 * VOD page (/vod/:id): plays a finished stream from its HLS VOD playlist (at once) or the
 * stitched MP4 (?src=mp4, or the source picker once it is ready), with a chapter list that
 * seeks, a captions toggle, the MP4 download, and the stored chat replayed at the moments it
 * was written: vodSec = (streamTime − originMs) / 1000, one timeline for HLS and MP4.
 * ?clock=1 decodes the frame clock from the picture (tests). window.__vod carries the state.
 */
import type { VodStatus } from '../../../signaling/protocol/messages.ts';
import { ClockReader } from '../frame-clock/ClockReader.ts';
import { byId, setText } from '../ui/element.ts';
import { ChapterList } from '../vod/ChapterList.ts';
import { ChatReplay, type ShownMessage } from '../vod/ChatReplay.ts';
import { formatClock } from '../vod/format-clock.ts';
import { fetchChatReplay, fetchVodStatus } from '../vod/vod-api.ts';
import { VodPlayer, type VodSource } from '../vod/VodPlayer.ts';
import { queryFlag } from './route-params.ts';

export interface VodHook {
  state: VodStatus['state'] | 'loading' | 'error';
  source: VodSource | null;
  currentTime: number;
  status: VodStatus | null;
  chatCount: number;
  chatShown: ShownMessage[];
  /** Last frame-clock reading (?clock=1): capture time drawn in the picture at media time `mediaTime`. */
  clock: { senderTime: number; mediaTime: number } | null;
  captionsShowing: boolean;
  error: string | null;
}

const hook: VodHook = { state: 'loading', source: null, currentTime: 0, status: null, chatCount: 0, chatShown: [], clock: null, captionsShowing: false, error: null };
(window as unknown as Record<string, unknown>)['__vod'] = hook;

const ui = {
  video: byId<HTMLVideoElement>('video'),
  title: byId('vod-title'),
  state: byId('vod-state'),
  progress: byId('vod-progress'),
  note: byId('vod-note'),
  captions: byId<HTMLButtonElement>('captions-toggle'),
  download: byId<HTMLAnchorElement>('download'),
  source: byId<HTMLSelectElement>('source'),
  chapters: byId<HTMLOListElement>('chapters'),
  chat: byId<HTMLOListElement>('chat'),
  chatEmpty: byId('chat-empty'),
};

const streamId = /^\/vod\/([A-Za-z0-9_-]{4,64})\/?$/.exec(location.pathname)?.[1] ?? null;
const player = new VodPlayer(ui.video);
const chapters = new ChapterList(ui.chapters, (sec) => {
  ui.video.currentTime = sec;
  void ui.video.play().catch(() => undefined);
});
const chat = new ChatReplay(ui.chat);
hook.chatShown = chat.shown;
let captionsTrack: TextTrack | null = null;
let chatLoaded = false;

const STATE_LABEL: Record<VodStatus['state'], string> = {
  recording: 'Still live',
  finalizing: 'Finishing…',
  processing: 'Replay',
  ready: 'Replay',
  failed: 'Replay',
};

function showError(message: string | null): void {
  hook.error = message;
  ui.note.hidden = message === null;
  setText(ui.note, message ?? '');
}

function renderStatus(s: VodStatus): void {
  hook.status = s;
  hook.state = s.state;
  document.title = `${s.title} — replay`;
  setText(ui.title, s.title);
  setText(ui.state, STATE_LABEL[s.state]);
  chapters.render(s.chapters);
  const job = s.job;
  const working = job && (job.state === 'queued' || job.state === 'running');
  ui.progress.hidden = !working && job?.state !== 'failed';
  if (working) {
    const what = job.stage === 'captions' ? 'Making captions' : 'Making the MP4';
    setText(ui.progress, `${what}… ${Math.round(job.percent)}%${job.etaSec !== null ? ` (about ${formatClock(job.etaSec)} left)` : ''}`);
  } else if (job?.state === 'failed') setText(ui.progress, `MP4 failed: ${job.error ?? 'unknown error'}`);
  ui.download.hidden = s.mp4 === null;
  if (s.mp4) ui.download.href = `${s.mp4}?download=1`;
  ui.source.querySelector<HTMLOptionElement>('option[value="mp4"]')!.disabled = s.mp4 === null;
  if (s.captionsVtt && !captionsTrack) {
    captionsTrack = player.setTrack('captions', s.captionsVtt, 'English (automatic)');
    ui.captions.hidden = false;
  }
  if (s.missingSegments.length > 0 && hook.error === null) setText(ui.note, `${s.missingSegments.length} segment(s) of the recording are missing; playback skips them.`);
  ui.note.hidden = hook.error === null && s.missingSegments.length === 0;
}

async function loadChat(s: VodStatus): Promise<void> {
  if (chatLoaded || s.originMs === null) return;
  chatLoaded = true;
  try {
    const replay = await fetchChatReplay(s.streamId);
    chat.setMessages(replay.messages);
    hook.chatCount = chat.count;
    ui.chatEmpty.hidden = chat.count > 0;
  } catch (err) {
    chatLoaded = false;
    showError(`chat replay unavailable: ${(err as Error).message}`);
  }
}

async function choose(source: VodSource, s: VodStatus): Promise<void> {
  const url = source === 'mp4' && s.mp4 ? s.mp4 : s.playlist;
  const actual: VodSource = source === 'mp4' && s.mp4 ? 'mp4' : 'hls';
  hook.source = actual;
  ui.source.value = actual;
  await player.load(actual, url);
  void ui.video.play().catch(() => undefined);
}

function startClockReader(s: VodStatus): void {
  // Restore the clock's upper bits around the stream time being shown, not today's date.
  const reader = new ClockReader(ui.video, {
    now: () => (s.originMs ?? Date.now()) + ui.video.currentTime * 1000,
    onFrame: (m) => (lastMediaTime = m.mediaTime),
    onSample: (sample) => (hook.clock = { senderTime: sample.senderTime, mediaTime: lastMediaTime }),
  });
  let lastMediaTime = 0;
  reader.start();
}

async function main(): Promise<void> {
  if (!streamId) {
    hook.state = 'error';
    showError('no stream id in the address; open /vod/<id>');
    return;
  }
  let status: VodStatus;
  try {
    status = await fetchVodStatus(streamId);
  } catch (err) {
    hook.state = 'error';
    showError((err as Error).message);
    return;
  }
  renderStatus(status);
  player.setTrack('chapters', status.chaptersVtt, 'Chapters');
  if (status.state === 'recording' || status.state === 'finalizing') {
    showError(status.state === 'recording' ? 'This stream is still live.' : 'The stream just ended; the replay starts in a moment…');
  }
  while (status.state === 'recording' || status.state === 'finalizing') {
    await new Promise((r) => setTimeout(r, 2000));
    status = await fetchVodStatus(streamId).catch(() => status);
    renderStatus(status);
  }
  showError(null);
  renderStatus(status);
  const wanted = new URLSearchParams(location.search).get('src') === 'mp4' ? 'mp4' : 'hls';
  await choose(wanted, status);
  if (queryFlag(location.search, 'clock')) startClockReader(status);
  void loadChat(status);
  // Job progress until the MP4 (and captions) are done.
  while (status.job && (status.job.state === 'queued' || status.job.state === 'running')) {
    await new Promise((r) => setTimeout(r, 2000));
    status = await fetchVodStatus(streamId).catch(() => status);
    renderStatus(status);
  }
}

ui.video.addEventListener('timeupdate', () => {
  hook.currentTime = ui.video.currentTime;
  chapters.update(ui.video.currentTime);
  chat.update(ui.video.currentTime);
});
ui.video.addEventListener('seeked', () => chat.update(ui.video.currentTime));
// timeupdate fires only every ~250 ms; a frame callback keeps the chat on time while playing.
const onFrame = (): void => {
  hook.currentTime = ui.video.currentTime;
  chat.update(ui.video.currentTime);
  ui.video.requestVideoFrameCallback?.(onFrame);
};
ui.video.requestVideoFrameCallback?.(onFrame);

ui.captions.addEventListener('click', () => {
  if (!captionsTrack) return;
  captionsTrack.mode = captionsTrack.mode === 'showing' ? 'hidden' : 'showing';
  hook.captionsShowing = captionsTrack.mode === 'showing';
  ui.captions.setAttribute('aria-pressed', String(hook.captionsShowing));
});

ui.source.addEventListener('change', () => {
  if (hook.status) void choose(ui.source.value === 'mp4' ? 'mp4' : 'hls', hook.status);
});

void main().catch((err: unknown) => {
  hook.state = 'error';
  showError((err as Error).message);
});
