/**
 * Starts the whole platform in-process: HTTP routes, WHIP/WHEP, the /ws
 * gateway and the SFU, on one uWebSockets.js app. main.ts calls this; tests and
 * benchmarks call it with PORT=0 and read the real port from the result.
 */
import { fileURLToPath } from 'node:url';
import uWS, { type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import { Sfu } from '../sfu/Sfu.ts';
import type { AppConfig } from './config.ts';
import { registerHealthRoutes } from './http/health-routes.ts';
import { registerNotFoundRoute } from './http/not-found-route.ts';
import { registerStaticRoutes } from './http/static-routes.ts';
import { registerStreamsRoutes } from './http/streams-routes.ts';
import { registerWhepRoutes } from './http/whep-routes.ts';
import { registerWhipRoutes } from './http/whip-routes.ts';
import { lanIPv4Addresses } from './lan-addresses.ts';
import { createLogger, setLogLevel } from './logger.ts';
import { SessionManager } from './streams/SessionManager.ts';
import { StreamRegistry } from './streams/StreamRegistry.ts';
import { ensureSelfSignedCertificate } from './tls/tls-certificate.ts';
import { WsGateway, type WsGatewayOptions } from './ws/WsGateway.ts';

const logger = createLogger('signaling:platform');

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../web-client/dist/', import.meta.url));

export interface PlatformOptions {
  /** Use this SFU instead of creating one (the caller then closes it). */
  readonly sfu?: Sfu;
  /** Where the built web client lives; defaults to web-client/dist. */
  readonly webRoot?: string;
  /** Grace for a disconnected/failed peer connection before its session closes. */
  readonly sessionGraceMs?: number;
  /** Time a new peer connection has to reach 'connected'. */
  readonly connectTimeoutMs?: number;
  /** Overrides for /ws flood and buffering limits. */
  readonly ws?: Omit<Partial<WsGatewayOptions>, 'maxFrameBytes'>;
}

export interface Platform {
  /** Base URL to open, e.g. http://127.0.0.1:8080 (loopback when listening on all interfaces). */
  readonly url: string;
  readonly port: number;
  readonly streams: StreamRegistry;
  readonly sessions: SessionManager;
  readonly sfu: Sfu;
  /** Stops listening, closes sockets and sessions, and the SFU if it was created here. Idempotent. */
  close(): Promise<void>;
}

export async function startPlatform(config: AppConfig, options: PlatformOptions = {}): Promise<Platform> {
  setLogLevel(config.logLevel);
  const app = await createApp(config);
  const sfu = options.sfu ?? new Sfu(config.rtc);
  const streams = new StreamRegistry();
  const sessions = new SessionManager({
    sfu,
    streams,
    graceMs: options.sessionGraceMs,
    connectTimeoutMs: options.connectTimeoutMs,
  });

  registerHealthRoutes(app, { streams, sessions });
  registerStreamsRoutes(app, { streams, publicUrl: config.publicUrl });
  registerWhipRoutes(app, { sessions });
  registerWhepRoutes(app, { sessions });
  registerStaticRoutes(app, { webRoot: options.webRoot ?? DEFAULT_WEB_ROOT });
  const gateway = new WsGateway(app, { sessions, streams }, { ...options.ws, maxFrameBytes: config.wsMaxFrameBytes });
  registerNotFoundRoute(app);

  let listenSocket: us_listen_socket;
  try {
    listenSocket = await listen(app, config.host, config.port);
  } catch (err) {
    if (!options.sfu) await sfu.close();
    throw err;
  }
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
  const url = `${config.https ? 'https' : 'http'}://${displayHost(config.host)}:${port}`;
  logger.info(`listening [url:${url}] [host:${config.host}]`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('close()');
      uWS.us_listen_socket_close(listenSocket);
      gateway.close();
      sessions.closeAll('server shutting down');
      // Not in the typings of this uWS build, but present: closes every remaining connection.
      (app as TemplatedApp & { close(): void }).close();
      if (!options.sfu) await sfu.close();
    })();
    return closing;
  };

  return { url, port, streams, sessions, sfu, close };
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
