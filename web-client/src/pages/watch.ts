/**
 * Watch page: plays /watch/:id over WebRTC with sub-second delay (or LL-HLS when
 * WebRTC cannot play, the WebRTC tier is full, or the viewer picks it; ?tier=hls), shows LIVE,
 * viewers, measured delay (frame clock, when the publisher sends it) and the
 * connection state, with a layer picker and tap-to-unmute. ?debug=1 shows the
 * measurement overlay; window.__watch always carries it for tests.
 */
import { LayerPreference } from '../../../signaling/protocol/messages.ts';
import { HlsPlayhead } from '../chat/HlsPlayhead.ts';
import { mountChat } from '../chat/mount-chat.ts';
import { SwitchingPlayhead } from '../chat/SwitchingPlayhead.ts';
import { WebRtcPlayhead } from '../chat/WebRtcPlayhead.ts';
import { ClockReader } from '../frame-clock/ClockReader.ts';
import { DelayReporter } from '../media/DelayReporter.ts';
import { inboundVideoStats, type InboundVideoStats } from '../media/inbound-video-stats.ts';
import { TierSwitch, type WatchTier } from '../media/TierSwitch.ts';
import { Viewer, type ViewerState } from '../media/Viewer.ts';
import { getStream, ApiError } from '../net/api.ts';
import { SignalingClient } from '../net/SignalingClient.ts';
import { signalingUrl } from '../net/ws-url.ts';
import { DebugOverlay } from '../ui/DebugOverlay.ts';
import { DelayWindow } from '../ui/DelayWindow.ts';
import { byId, setText } from '../ui/element.ts';
import { formatViewers } from '../ui/format-time.ts';
import { mountTierControls, tierNote } from '../ui/tier-controls.ts';
import { queryFlag, watchStreamId } from './route-params.ts';

export interface WatchHook {
  state: ViewerState;
  framesPresented: number;
  /** ms from the start of watching (first offer) to the first presented frame. */
  firstFrameMs: number | null;
  /** Last ~600 glass-to-glass delays (ms) decoded from the frame clock. */
  delays: number[];
  /** Frames whose clock code decoded, since the page opened (keeps counting past the 600 kept delays). */
  clockFrames: number;
  lastDelay: number | null;
  videoWidth: number;
  videoHeight: number;
  /** rid the server forwards (null without simulcast or before it says). */
  activeLayer: string | null;
  layerPreference: LayerPreference;
  connectionState: RTCPeerConnectionState | 'new';
  sessionId: string | null;
  viewers: number;
  reconnects: number;
  /** Times the streamer dropped and the page waited for them ('streamer-reconnecting'). */
  streamerReconnects: number;
  /** Delivery tier feeding the video. */
  tier: WatchTier;
  /** Why HLS plays (null on WebRTC), as shown to the viewer. */
  tierReason: string | null;
  /** The HLS master playlist's levels (hls.levels), empty on WebRTC. */
  hlsLevels: { index: number; label: string; width: number; height: number; bitrate: number }[];
  /** HLS level being played, -1 before one is. */
  hlsLevel: number;
  /** HLS delay to the publisher's capture clock from EXT-X-PROGRAM-DATE-TIME (hls.playingDate), ms. */
  hlsDelayMs: number | null;
}

const delays = new DelayWindow(600);
const hook: WatchHook = {
  state: 'connecting',
  framesPresented: 0,
  firstFrameMs: null,
  delays: delays.values,
  clockFrames: 0,
  lastDelay: null,
  videoWidth: 0,
  videoHeight: 0,
  activeLayer: null,
  layerPreference: 'auto',
  connectionState: 'new',
  sessionId: null,
  viewers: 0,
  reconnects: 0,
  streamerReconnects: 0,
  tier: 'webrtc',
  tierReason: null,
  hlsLevels: [],
  hlsLevel: -1,
  hlsDelayMs: null,
};
// Read by tests and benchmarks (loadtest/browser/clock-pages.ts); not a Window type augmentation, to keep globals untyped.
(window as unknown as Record<string, unknown>)['__watch'] = hook;

const ui = {
  video: byId<HTMLVideoElement>('video'),
  message: byId('watch-message'),
  badge: byId('live-badge'),
  viewers: byId('watch-viewers'),
  delay: byId('watch-delay'),
  state: byId('watch-state'),
  title: byId('watch-title'),
  unmute: byId<HTMLButtonElement>('unmute'),
  layer: byId<HTMLSelectElement>('layer'),
  layerLabel: byId('layer-label'),
  tierPill: byId('watch-tier'),
  tierNote: byId('tier-note'),
  tierToggle: byId<HTMLButtonElement>('tier-toggle'),
  hlsQuality: byId<HTMLSelectElement>('hls-quality'),
  hlsQualityLabel: byId('hls-quality-label'),
};
const debug = new DebugOverlay(byId('debug'), queryFlag(location.search, 'debug'));

const MESSAGES: Record<ViewerState, string | null> = {
  connecting: 'Connecting…',
  waiting: 'Waiting for the streamer…',
  live: null,
  'streamer-reconnecting': 'Streamer reconnecting…',
  reconnecting: 'Reconnecting…',
  ended: 'Stream ended',
  error: 'Cannot play this stream',
};

let watchStartedAt: number | null = null;
let stateDetail: string | null = null;

function render(): void {
  const live = hook.state === 'live';
  ui.badge.hidden = !live;
  ui.viewers.hidden = hook.state === 'error';
  setText(ui.viewers, formatViewers(hook.viewers));
  setText(ui.state, hook.state);
  const message = hook.state === 'error' && stateDetail ? stateDetail : MESSAGES[hook.state];
  // Media keeps playing under a reconnect only if frames still come; hide the note once they do.
  ui.message.hidden = message === null;
  setText(ui.message, message ?? '');
  ui.unmute.hidden = !ui.video.muted || !live;
  const hls = hook.tier === 'hls';
  ui.layerLabel.hidden = hls || (!live && hook.state !== 'reconnecting' && hook.state !== 'streamer-reconnecting');
  ui.hlsQualityLabel.hidden = !hls || hook.hlsLevels.length === 0;
  ui.tierPill.hidden = !hls;
  // On HLS the delay comes from EXT-X-PROGRAM-DATE-TIME; the frame clock (when the source sends it) is the WebRTC figure.
  const shownDelay = hls ? hook.hlsDelayMs : hook.lastDelay === null ? null : (delays.percentile(50) ?? hook.lastDelay);
  ui.delay.hidden = shownDelay === null || !live;
  if (shownDelay !== null) setText(ui.delay, `delay ${shownDelay >= 10_000 ? `${(shownDelay / 1000).toFixed(0)} s` : `${Math.round(shownDelay)} ms`}`);
}

const streamId = watchStreamId(location.pathname, location.search);
const signaling = new SignalingClient(signalingUrl(location));

if (!streamId) {
  hook.state = 'error';
  stateDetail = 'This watch link is broken: it has no valid stream id.';
  render();
} else {
  startWatching(streamId);
}

function startWatching(id: string): void {
  // ?node= asks a cluster to serve this page from that node (benchmarks compare hops with it).
  const viewer = new Viewer(signaling, id, { node: new URLSearchParams(location.search).get('node') ?? undefined });
  const reporter = new DelayReporter(id);
  let stats: InboundVideoStats | null = null;
  // ?ll=0 plays HLS without low-latency parts (plain HLS), for comparisons.
  const lowLatency = new URLSearchParams(location.search).get('ll') !== '0';
  const tiers = new TierSwitch({ video: ui.video, viewer, hlsUrl: `/hls/${encodeURIComponent(id)}/master.m3u8`, lowLatency });
  mountTierControls(tiers, { toggle: ui.tierToggle, quality: ui.hlsQuality, note: ui.tierNote });
  tiers.on('tier', (tier, reason, detail) => {
    if (tier !== hook.tier) delays.values.length = 0; // percentiles of one tier at a time
    hook.tier = tier;
    hook.tierReason = tierNote(tier, reason, detail);
    if (tier === 'hls') watchStartedAt ??= performance.now();
    else hook.hlsLevels = [];
    render();
  });
  tiers.on('levels', (levels) => {
    hook.hlsLevels = levels.map((l) => ({ ...l }));
    render();
  });
  tiers.on('level', (index) => (hook.hlsLevel = index));
  if (new URLSearchParams(location.search).get('tier') === 'hls') tiers.use('hls', 'chosen');

  viewer.on('state', (state, detail) => {
    if (state === 'reconnecting') hook.reconnects++;
    if (state === 'streamer-reconnecting') hook.streamerReconnects++;
    hook.state = state;
    stateDetail = detail;
    render();
  });
  viewer.on('stream', (info) => {
    hook.viewers = info.viewers;
    setText(ui.title, info.title);
    document.title = `${info.title} · Live`;
    render();
  });
  viewer.on('attempt', () => {
    watchStartedAt ??= performance.now();
    hook.activeLayer = null;
  });
  viewer.on('connection', (s) => {
    hook.connectionState = s;
    hook.sessionId = viewer.sessionId;
  });
  viewer.on('layer', (active) => {
    hook.activeLayer = active;
  });
  viewer.on('media', (stream) => {
    if (tiers.tier !== 'webrtc') return;
    if (ui.video.srcObject !== stream) ui.video.srcObject = stream;
    void ui.video.play().catch(() => undefined); // autoplay muted is allowed; unmuting needs a tap
  });

  const reader = new ClockReader(ui.video, {
    onFrame: (metadata) => {
      hook.framesPresented++;
      hook.videoWidth = metadata.width;
      hook.videoHeight = metadata.height;
      if (hook.firstFrameMs === null && watchStartedAt !== null) {
        hook.firstFrameMs = Math.round(performance.now() - watchStartedAt);
        reporter.firstFrame(hook.firstFrameMs);
      }
    },
    onSample: (sample) => {
      delays.push(Math.round(sample.delayMs * 10) / 10);
      reporter.delay(Math.round(sample.delayMs));
      hook.clockFrames++;
      hook.lastDelay = delays.last;
    },
  });
  reader.start();

  ui.unmute.addEventListener('click', () => {
    ui.video.muted = false;
    void ui.video.play().catch(() => undefined);
    render();
  });
  ui.video.addEventListener('volumechange', render);

  ui.layer.addEventListener('change', () => {
    const layer = LayerPreference.parse(ui.layer.value);
    hook.layerPreference = layer;
    viewer.setLayer(layer).catch((err: Error) => console.warn(`setLayer failed: ${err.message}`));
  });

  // Slow UI/overlay refresh; the hook's frame and delay fields update per frame.
  setInterval(async () => {
    const pc = viewer.peerConnection;
    if (debug.visible && pc) stats = await inboundVideoStats(pc).catch(() => null);
    const hlsDelay = tiers.player?.delayMs ?? null;
    hook.hlsDelayMs = hlsDelay === null ? null : Math.round(hlsDelay);
    render();
    debug.show([
      ['state', `${hook.state} / ${hook.connectionState}`],
      ['tier', hook.tier === 'hls' ? `hls, level ${hook.hlsLevels.find((l) => l.index === hook.hlsLevel)?.label ?? '–'}, PDT delay ${hook.hlsDelayMs ?? '–'} ms` : 'webrtc'],
      ['video', `${hook.videoWidth}x${hook.videoHeight} ${stats?.codec ?? ''}`],
      ['layer', `${hook.activeLayer ?? '–'} (want ${hook.layerPreference})`],
      ['delay', hook.lastDelay === null ? `no clock (${reader.lastFailure ?? 'no frames'})` : `${hook.lastDelay} ms`],
      ['p50/p95', delays.last === null ? null : `${delays.percentile(50)} / ${delays.percentile(95)} ms`],
      ['frames', `${hook.framesPresented} shown, ${reader.framesDecoded} clock, ${stats?.framesDropped ?? 0} dropped`],
      ['jitter buf', stats?.jitterBufferMs === null || !stats ? null : `${stats.jitterBufferMs.toFixed(1)} ms`],
      ['first frame', hook.firstFrameMs === null ? null : `${hook.firstFrameMs} ms`],
      ['ws rtt', signaling.rttMs === null ? null : `${signaling.rttMs} ms`],
      ['reconnects', hook.reconnects],
    ]);
  }, 500);

  // Chat beside the video, in step with this viewer's picture: stream time from RTCP sender reports on WebRTC,
  // from EXT-X-PROGRAM-DATE-TIME on HLS.
  const rtcPlayhead = new WebRtcPlayhead(() => viewer.peerConnection);
  const hlsPlayhead = new HlsPlayhead({
    get playingDate() {
      const delay = tiers.player?.delayMs;
      return delay === null || delay === undefined ? null : new Date(Date.now() - delay);
    },
  });
  const playhead = new SwitchingPlayhead(() => (tiers.tier === 'hls' ? hlsPlayhead : rtcPlayhead), [rtcPlayhead, hlsPlayhead]);
  const chat = mountChat({ signaling, streamId: id, slot: byId('chat-slot'), stage: ui.video.parentElement!, playhead });

  signaling.connect();
  viewer.start();
  reporter.start();
  getStream(id)
    .then((info) => {
      viewer.seed(info);
      // No `hls` field: this server runs without an HLS tier.
      tiers.hlsAvailable = info.hls !== undefined;
    })
    .catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) viewer.fail('Stream not found: check the link.');
    });
  window.addEventListener('pagehide', () => {
    tiers.close();
    viewer.close();
    chat.close();
    signaling.close();
  });
}
