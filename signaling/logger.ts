/**
 * Namespaced logger shared by every service (sfu, signaling, hls-bridge).
 * Namespaces follow mediasoup: `sfu:Router`, with WARN/ERROR levels.
 * Output goes through one replaceable sink so tests and apps can redirect it.
 * `LOG_LEVEL` is read by config.ts and applied with setLogLevel().
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogSink = (level: Exclude<LogLevel, 'silent'>, namespace: string, message: string) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold: number = ORDER.info;
let sink: LogSink = (level, namespace, message) => {
  const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${namespace} ${message}`;
  if (level === 'error' || level === 'warn') process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
};

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

export function setLogSink(next: LogSink): void {
  sink = next;
}

export interface Logger {
  readonly namespace: string;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
  /** A child logger that prefixes every line with context, e.g. `[stream:abc]`. */
  child(context: string): Logger;
}

export function createLogger(namespace: string, context = ''): Logger {
  const prefix = context ? `${context} ` : '';
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string): void => {
    if (ORDER[level] < threshold) return;
    sink(level, namespace, prefix + message);
  };
  return {
    namespace,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m, err) => emit('error', err === undefined ? m : `${m}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
    child: (ctx) => createLogger(namespace, `${prefix}[${ctx}]`),
  };
}
