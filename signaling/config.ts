/**
 * The platform's one config module: the only file that reads process.env.
 * Parsed once at boot with zod into a frozen, typed object; bad values fail fast
 * with a message naming the variable.
 */
import { z } from 'zod';
import { CLUSTER_ENV_SHAPE, toClusterConfig, type ClusterConfig } from './cluster/cluster-config.ts';
import type { LogLevel } from './logger.ts';

const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const EnvSchema = z.object({
  HOST: z.string().default('127.0.0.1'), // used by HttpServer: interface to listen on
  PORT: z.coerce.number().int().min(0).max(65535).default(8080), // used by HttpServer (0 = any free port, for tests)
  HTTPS: bool.default('0'), // used by HttpServer: self-signed TLS so phones on the LAN get getUserMedia
  TLS_DIR: z.string().default('.tls'), // used by tls-certificate: where the generated cert is kept
  RTC_MIN_PORT: z.coerce.number().int().min(1024).max(65535).default(40000), // used by WebRtcTransport (UDP range)
  RTC_MAX_PORT: z.coerce.number().int().min(1024).max(65535).default(49999), // used by WebRtcTransport
  ANNOUNCED_IP: z.string().optional(), // used by WebRtcTransport: the address put in ICE candidates (public/LAN IP behind NAT)
  PUBLIC_URL: z.string().url().optional(), // used by routes: absolute base for URLs in API answers
  DATA_DIR: z.string().default('data'), // used by stream store, HLS archive, VOD
  FFMPEG_PATH: z.string().optional(), // used by hls-bridge (default: @ffmpeg-installer/ffmpeg)
  HLS: bool.default('1'), // used by HlsService: transcode every live stream to LL-HLS (HLS=0 turns the tier off)
  HLS_VIDEO_ENCODER: z.string().regex(/^[A-Za-z0-9_-]+$/, 'an ffmpeg encoder name like libx264 or h264_nvenc').default('libx264'), // used by hls-bridge ladder
  VOD_IO_LIMIT_MBPS: z.coerce.number().min(0).default(0), // used by VodLibrary: disk read rate of background VOD jobs, MB/s (0 = unlimited)
  PUBLISHER_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(30_000), // used by SessionManager: how long a stream whose publisher dropped stays 'reconnecting' before it ends (0 = end at once)
  WEBRTC_MAX_VIEWERS: z.coerce.number().int().min(0).default(500), // used by SessionManager: WebRTC viewers per stream; more are sent to HLS (503 webrtc_full)
  KEYFRAME_THROTTLE_MS: z.coerce.number().int().min(0).max(5000).default(200), // used by KeyframeRequester
  WS_MAX_FRAME_BYTES: z.coerce.number().int().min(1024).default(64 * 1024), // used by WsGateway
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'), // used by logger
  ...CLUSTER_ENV_SHAPE, // used by signaling/cluster: role, registry (REDIS_URL), secret, capacity (see cluster-config.ts)
});

export interface AppConfig {
  readonly host: string;
  readonly port: number;
  readonly https: boolean;
  readonly tlsDir: string;
  readonly publicUrl: string | undefined;
  readonly dataDir: string;
  readonly ffmpegPath: string | undefined;
  readonly hls: {
    readonly enabled: boolean;
    readonly videoEncoder: string;
  };
  readonly vod: {
    /** Disk read rate of background VOD jobs (stitch, captions), bytes/s; 0 = unlimited. */
    readonly ioLimitBytesPerSec: number;
  };
  /** WebRTC viewers per stream; watch requests past it get 503 webrtc_full (use HLS). */
  readonly webrtcMaxViewers: number;
  /** How long a stream whose publisher dropped waits for it ('reconnecting') before it ends. */
  readonly publisherGraceMs: number;
  readonly logLevel: LogLevel;
  readonly wsMaxFrameBytes: number;
  /** Cascaded SFU cluster (role 'standalone' on one box). */
  readonly cluster: ClusterConfig;
  readonly rtc: {
    readonly listenIp: string;
    readonly announcedIp: string | undefined;
    readonly minPort: number;
    readonly maxPort: number;
    readonly keyframeThrottleMs: number;
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof z.input<typeof EnvSchema>, string>> = {}): AppConfig {
  const parsed = EnvSchema.safeParse({ ...pickDefined(env), ...overrides });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration, fix these environment variables:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.RTC_MIN_PORT > e.RTC_MAX_PORT) {
    throw new Error(`invalid configuration: RTC_MIN_PORT (${e.RTC_MIN_PORT}) must not exceed RTC_MAX_PORT (${e.RTC_MAX_PORT})`);
  }
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    https: e.HTTPS,
    tlsDir: e.TLS_DIR,
    publicUrl: e.PUBLIC_URL,
    dataDir: e.DATA_DIR,
    ffmpegPath: e.FFMPEG_PATH,
    hls: Object.freeze({ enabled: e.HLS, videoEncoder: e.HLS_VIDEO_ENCODER }),
    vod: Object.freeze({ ioLimitBytesPerSec: Math.round(e.VOD_IO_LIMIT_MBPS * 1024 * 1024) }),
    webrtcMaxViewers: e.WEBRTC_MAX_VIEWERS,
    publisherGraceMs: e.PUBLISHER_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    wsMaxFrameBytes: e.WS_MAX_FRAME_BYTES,
    cluster: toClusterConfig(e, e.PORT),
    rtc: Object.freeze({
      // Listening on the HTTP host keeps the one-box default on loopback; 0.0.0.0 serves a LAN.
      listenIp: e.HOST,
      announcedIp: e.ANNOUNCED_IP,
      minPort: e.RTC_MIN_PORT,
      maxPort: e.RTC_MAX_PORT,
      keyframeThrottleMs: e.KEYFRAME_THROTTLE_MS,
    }),
  });
}

function pickDefined(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
