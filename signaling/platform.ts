/**
 * Starts the whole platform in-process: HTTP routes, WHIP/WHEP, the /ws
 * gateway and the SFU, on one uWebSockets.js app. main.ts calls this; tests and
 * benchmarks call it with PORT=0 and read the real port from the result.
 */
import { fileURLToPath } from 'node:url';
import uWS, { type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import { Sfu } from '../sfu/Sfu.ts';
import { ChatDatabase } from './chat/ChatDatabase.ts';
import { ChatService, type ChatLimits } from './chat/ChatService.ts';
import { DonationService } from './chat/DonationService.ts';
import type { PaymentProvider } from './chat/PaymentProvider.ts';
import { TestPaymentProvider } from './chat/TestPaymentProvider.ts';
import { createChatBus } from './cluster/chat-bus.ts';
import { ClusterNode } from './cluster/ClusterNode.ts';
import { HlsEdgeCache } from './cluster/HlsEdgeCache.ts';
import { HlsOriginLocator } from './cluster/HlsOriginLocator.ts';
import type { AppConfig } from './config.ts';
import { HlsService, type HlsServiceOptions } from './hls/HlsService.ts';
import { registerHlsRoutes } from './http/hls-routes.ts';
import { registerChatRoutes } from './http/chat-routes.ts';
import { registerHealthRoutes } from './http/health-routes.ts';
import { registerNotFoundRoute } from './http/not-found-route.ts';
import { registerStaticRoutes } from './http/static-routes.ts';
import { registerStreamsRoutes } from './http/streams-routes.ts';
import { hlsUrl } from './http/stream-urls.ts';
import { registerSupportRoutes } from './http/support-routes.ts';
import { registerWhepRoutes } from './http/whep-routes.ts';
import { registerWhipRoutes } from './http/whip-routes.ts';
import { registerVodRoutes } from './http/vod-routes.ts';
import { lanIPv4Addresses } from './lan-addresses.ts';
import { registerMetricsRoutes } from './metrics/metrics-routes.ts';
import { PlatformMetrics } from './metrics/PlatformMetrics.ts';
import { createLogger, setLogLevel } from './logger.ts';
import { SessionManager } from './streams/SessionManager.ts';
import { StreamRegistry } from './streams/StreamRegistry.ts';
import { ensureSelfSignedCertificate } from './tls/tls-certificate.ts';
import { WsGateway, type WsGatewayOptions } from './ws/WsGateway.ts';
import { VodService, type VodServiceOptions } from './vod/VodService.ts';

const logger = createLogger('signaling:platform');

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../web-client/dist/', import.meta.url));

export interface PlatformOptions {
  /** Use this SFU instead of creating one (the caller then closes it). */
  readonly sfu?: Sfu;
  /** Where the built web client lives; defaults to web-client/dist. */
  readonly webRoot?: string;
  /** Grace for a disconnected/failed peer connection before its session closes. */
  readonly sessionGraceMs?: number;
  /** How long a stream whose publisher dropped stays 'reconnecting'; defaults to config PUBLISHER_GRACE_MS. */
  readonly publisherGraceMs?: number;
  /** Time a new peer connection has to reach 'connected'. */
  readonly connectTimeoutMs?: number;
  /** Overrides for /ws flood and buffering limits. */
  readonly ws?: Omit<Partial<WsGatewayOptions>, 'maxFrameBytes'>;
  /** Overrides for chat limits (rates, history size, reaction window). */
  readonly chat?: Partial<ChatLimits>;
  /** Payment capture for donations and subs; defaults to TestPaymentProvider (no money moves). */
  readonly payments?: PaymentProvider;
  /** HLS tier tuning (tests: a smaller ladder; how long ended playlists stay served). Used only when HLS is on. */
  readonly hls?: Pick<HlsServiceOptions, 'bridge' | 'lingerMs'>;
  /** VOD tuning (tests: no speech recognizer, shorter automatic chapters). */
  readonly vod?: Pick<VodServiceOptions, 'recognizer' | 'autoChapterSec'>;
}

export interface Platform {
  /** Base URL to open, e.g. http://127.0.0.1:8080 (loopback when listening on all interfaces). */
  readonly url: string;
  readonly port: number;
  readonly streams: StreamRegistry;
  readonly sessions: SessionManager;
  readonly sfu: Sfu;
  readonly chat: ChatService;
  readonly donations: DonationService;
  /** The HLS tier (one bridge per live stream, the /hls origin); null with HLS=0. */
  readonly hls: HlsService | null;
  /** Recordings: VOD playlists, the stitched MP4 with chapters and captions, chat replay. */
  readonly vod: VodService;
  /** Prometheus metrics of this node (`GET /metrics`). */
  readonly metrics: PlatformMetrics;
  /** This node's part of a cascaded SFU cluster; null on the one-box platform (CLUSTER_ROLE=standalone). */
  readonly cluster: ClusterNode | null;
  /** Stops listening, closes sockets and sessions, and the SFU if it was created here. Idempotent. */
  close(): Promise<void>;
}

export async function startPlatform(config: AppConfig, options: PlatformOptions = {}): Promise<Platform> {
  setLogLevel(config.logLevel);
  const app = await createApp(config);
  const sfu = options.sfu ?? new Sfu(config.rtc);
  const streams = new StreamRegistry();
  const hls = config.hls.enabled
    ? new HlsService({ sfu, dataDir: config.dataDir, ffmpegPath: config.ffmpegPath, videoEncoder: config.hls.videoEncoder, publicUrl: config.publicUrl, ...options.hls })
    : null;
  const metrics = new PlatformMetrics({
    sfu,
    role: config.cluster.role,
    nodeId: config.cluster.nodeId,
    viewerSessions: () => streams.list(['live']).reduce((n, s) => n + s.viewers, 0),
  });
  const cluster =
    config.cluster.role === 'standalone'
      ? null
      : new ClusterNode({
          sfu,
          metrics,
          streams,
          cluster: config.cluster,
          host: config.host,
          announcedIp: config.rtc.announcedIp,
          keyframeThrottleMs: config.rtc.keyframeThrottleMs,
          overflowUrl: hls ? (id) => hlsUrl(id, config.publicUrl) : undefined,
          graceMs: options.sessionGraceMs ?? 5000,
          connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
          publisherGraceMs: options.publisherGraceMs ?? config.publisherGraceMs,
        });
  const sessions = new SessionManager({
    sfu,
    streams,
    graceMs: options.sessionGraceMs,
    publisherGraceMs: options.publisherGraceMs ?? config.publisherGraceMs,
    connectTimeoutMs: options.connectTimeoutMs,
    // In a cluster, capacity is per node and placement enforces it.
    maxViewersPerStream: cluster ? Infinity : config.webrtcMaxViewers,
    placement: cluster?.placement,
    remoteViewers: cluster ? (id) => cluster.remoteViewers(id) : undefined,
    overflowUrl: hls ? (id) => hlsUrl(id, config.publicUrl) : undefined,
  });

  cluster?.attachSessions(sessions);

  const chatDatabase = ChatDatabase.open(config.dataDir);
  // In a cluster with Redis every node's chat shares one order per room (signaling/cluster/README.md, "Chat").
  const chatBus = await createChatBus(config.cluster, chatDatabase, options.chat?.reactionWindowMs).catch(async (err: unknown) => {
    chatDatabase.close();
    metrics.close();
    await hls?.close();
    if (!options.sfu) await sfu.close();
    throw err;
  });
  const chat = new ChatService({ streams, database: chatDatabase, bus: chatBus, publish: (topic, frame) => { metrics.noteChatDeliveries(app.numSubscribers(topic)); return app.publish(topic, frame, true, false); } }, options.chat);
  const payments = options.payments ?? new TestPaymentProvider();
  if (payments instanceof TestPaymentProvider) logger.warn('donations and subs use TestPaymentProvider: no money moves (see README, "Payments")');
  const donations = new DonationService({ ledger: chat.ledger, payments, streams, onRecorded: (record) => chat.announce(record) });
  const vod = new VodService({ streams, dataDir: config.dataDir, ffmpegPath: config.ffmpegPath, publicUrl: config.publicUrl, ioLimitBytesPerSec: config.vod.ioLimitBytesPerSec, hls, chat, ...options.vod });

  registerHealthRoutes(app, { streams, sessions });
  registerStreamsRoutes(app, { streams, sessions, publicUrl: config.publicUrl, ...(hls ? { hls } : {}), vod });
  // In a cluster, /hls of a stream transcoded on another node is fetched from that node (signaling/cluster/README.md, "HLS").
  const locator = cluster && new HlsOriginLocator(cluster.view, cluster.id);
  const hlsEdge = locator ? new HlsEdgeCache({ locate: (id) => locator.find(id), registry: metrics.registry }) : null;
  if (hls || hlsEdge) registerHlsRoutes(app, { origin: hls?.origin, edge: hlsEdge ?? undefined });
  registerWhipRoutes(app, { sessions });
  registerWhepRoutes(app, { sessions });
  registerSupportRoutes(app, { donations });
  registerChatRoutes(app, { chat });
  registerMetricsRoutes(app, { metrics, standalone: cluster === null });
  cluster?.registerRoutes(app);
  registerVodRoutes(app, { vod, webRoot: options.webRoot ?? DEFAULT_WEB_ROOT });
  registerStaticRoutes(app, { webRoot: options.webRoot ?? DEFAULT_WEB_ROOT });
  const gateway = new WsGateway(app, { sessions, streams, chat, donations }, { ...options.ws, maxFrameBytes: config.wsMaxFrameBytes });
  registerNotFoundRoute(app);

  let listenSocket: us_listen_socket;
  try {
    listenSocket = await listen(app, config.host, config.port);
  } catch (err) {
    metrics.close();
    await hls?.close();
    await vod.close();
    if (!options.sfu) await sfu.close();
    chat.close();
    chatDatabase.close();
    throw err;
  }
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
  const url = `${config.https ? 'https' : 'http'}://${displayHost(config.host)}:${port}`;
  logger.info(`listening [url:${url}] [host:${config.host}]`);
  if (cluster) {
    try {
      await cluster.start(port);
    } catch (err) {
      uWS.us_listen_socket_close(listenSocket);
      await cluster.close();
      metrics.close();
      await hls?.close();
      await vod.close();
      if (!options.sfu) await sfu.close();
      chat.close();
      chatDatabase.close();
      throw err;
    }
  }

  // Jobs a previous process left unfinished (crash, restart) go on in the background.
  vod.start().catch((err: unknown) => logger.error('resuming VOD jobs failed', err));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('close()');
      uWS.us_listen_socket_close(listenSocket);
      gateway.close();
      chat.close();
      sessions.closeAll('server shutting down');
      await cluster?.close();
      metrics.close();
      // Not in the typings of this uWS build, but present: closes every remaining connection.
      (app as TemplatedApp & { close(): void }).close();
      hlsEdge?.close();
      await hls?.close();
      await vod.close();
      if (!options.sfu) await sfu.close();
      chatDatabase.close();
    })();
    return closing;
  };

  return { url, port, streams, sessions, sfu, chat, donations, hls, vod, metrics, cluster, close };
}

async function createApp(config: AppConfig): Promise<TemplatedApp> {
  if (!config.https) return uWS.App();
  const hosts = [config.rtc.announcedIp, ...lanIPv4Addresses(), config.host].filter(
    (h): h is string => h !== undefined && h !== '0.0.0.0' && h !== '::',
  );
  const tls = await ensureSelfSignedCertificate(config.tlsDir, hosts);
  return uWS.SSLApp({ key_file_name: tls.keyFile, cert_file_name: tls.certFile });
}

function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`cannot listen on ${host}:${port}; is the port in use? Set PORT to a free port (0 picks one)`));
    });
  });
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
