/**
 * Reads ffmpeg's stderr (run with -loglevel level+warning -stats): the periodic
 * progress line (frame=, fps=, time=, bitrate=, speed=) and tagged log lines
 * ("[mp4 @ 0x…] [warning] …"), which become the stream's transcoder status.
 */

export interface FfmpegProgress {
  readonly frame?: number;
  readonly fps?: number;
  /** Output position in seconds (time=). */
  readonly timeSec?: number;
  readonly bitrateKbps?: number;
  /** Real-time factor (speed=1.02x → 1.02). */
  readonly speed?: number;
  readonly dup?: number;
  readonly drop?: number;
}

export type FfmpegLogLevel = 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug' | 'trace' | 'unknown';

export interface FfmpegLogLine {
  readonly level: FfmpegLogLevel;
  /** The "[name @ 0x…]" context, e.g. 'mp4', 'libx264', or '' for ffmpeg itself. */
  readonly component: string;
  readonly message: string;
}

const LEVELS = new Set<FfmpegLogLevel>(['panic', 'fatal', 'error', 'warning', 'info', 'verbose', 'debug', 'trace']);

/** Returns the progress figures if `line` is a progress line, else null. */
export function parseProgressLine(line: string): FfmpegProgress | null {
  if (!/\btime=/.test(line) || !/\b(speed|frame|size)=/.test(line)) return null;
  const num = (key: string): number | undefined => {
    const m = new RegExp(`\\b${key}=\\s*(-?[\\d.]+)`).exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const out: { -readonly [K in keyof FfmpegProgress]: FfmpegProgress[K] } = {};
  const frame = num('frame');
  if (frame !== undefined) out.frame = frame;
  const fps = num('fps');
  if (fps !== undefined) out.fps = fps;
  const time = /\btime=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line);
  if (time) out.timeSec = (time[1] ? -1 : 1) * (Number(time[2]) * 3600 + Number(time[3]) * 60 + Number(time[4]));
  const bitrate = num('bitrate');
  if (bitrate !== undefined) out.bitrateKbps = bitrate;
  const speed = num('speed');
  if (speed !== undefined) out.speed = speed;
  const dup = num('dup');
  if (dup !== undefined) out.dup = dup;
  const drop = num('drop');
  if (drop !== undefined) out.drop = drop;
  return out;
}

export function parseLogLine(line: string): FfmpegLogLine {
  let rest = line.trim();
  let component = '';
  const ctx = /^\[([^\]@]+?)\s*@\s*0x[0-9a-f]+\]\s*/i.exec(rest);
  if (ctx) {
    component = ctx[1]!.trim();
    rest = rest.slice(ctx[0].length);
  }
  const lvl = /^\[(\w+)\]\s*/.exec(rest);
  if (lvl && LEVELS.has(lvl[1] as FfmpegLogLevel)) {
    return { level: lvl[1] as FfmpegLogLevel, component, message: rest.slice(lvl[0].length) };
  }
  return { level: 'unknown', component, message: rest };
}

/** "RTP: missed 5 packets" → 5 (loss on the loopback input), else 0. */
export function missedRtpPackets(message: string): number {
  const m = /RTP: missed (\d+) packets/.exec(message);
  return m ? Number(m[1]) : 0;
}

/** Splits a chunk stream on \r and \n (progress lines end in \r), keeping the partial tail. */
export function splitLines(tail: string, chunk: string): { lines: string[]; tail: string } {
  const text = tail + chunk;
  const pieces = text.split(/\r\n|\r|\n/);
  const rest = pieces.pop() ?? '';
  return { lines: pieces.filter((l) => l.trim().length > 0), tail: rest.length > 4096 ? rest.slice(-4096) : rest };
}
