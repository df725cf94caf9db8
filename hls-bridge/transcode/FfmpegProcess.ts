/**
 * One ffmpeg child: spawned with N extra output pipes (fd 3…), its stderr turned into
 * progress and log lines, and a stop that asks politely (SIGINT: ffmpeg flushes its
 * encoders and muxers) before it insists (SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { missedRtpPackets, parseLogLine, parseProgressLine, splitLines, type FfmpegLogLine, type FfmpegProgress } from './ffmpeg-log.ts';

export interface FfmpegProcessOptions {
  readonly path: string;
  readonly args: readonly string[];
  /** Output pipes; output i is written by ffmpeg to pipe:(3 + i). */
  readonly outputs: number;
  readonly onProgress?: (progress: FfmpegProgress) => void;
  readonly onLog?: (line: FfmpegLogLine) => void;
  /** After the process exited AND every pipe closed, so no output is lost. */
  readonly onClose?: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;
}

export interface FfmpegCounters {
  errors: number;
  warnings: number;
  rtpPacketsMissed: number;
  lastError: string | null;
}

export class FfmpegProcess {
  readonly #options: FfmpegProcessOptions;
  readonly #child: ChildProcess;
  readonly outputs: readonly Readable[];
  readonly startedAt = Date.now();
  readonly counters: FfmpegCounters = { errors: 0, warnings: 0, rtpPacketsMissed: 0, lastError: null };
  #progress: FfmpegProgress = {};
  #tail = '';
  #closed = false;
  readonly #closedPromise: Promise<void>;
  /** Last few log lines, for error reports. */
  readonly recentLog: string[] = [];

  constructor(options: FfmpegProcessOptions) {
    this.#options = options;
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'ignore', 'pipe'];
    for (let i = 0; i < options.outputs; i++) stdio.push('pipe');
    this.#child = spawn(options.path, [...options.args], { stdio });
    this.outputs = Array.from({ length: options.outputs }, (_, i) => this.#child.stdio[3 + i] as Readable);
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stderr!.on('data', (chunk: string) => this.#onStderr(chunk));
    this.#closedPromise = new Promise((resolve) => {
      // 'close' fires after 'exit' once all stdio streams are drained.
      this.#child.once('close', (code, signal) => {
        this.#closed = true;
        options.onClose?.({ code, signal });
        resolve();
      });
      this.#child.once('error', (err) => {
        this.counters.errors++;
        this.counters.lastError = `cannot run ffmpeg at "${options.path}": ${err.message} (set FFMPEG_PATH)`;
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get progress(): FfmpegProgress {
    return this.#progress;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * SIGINT, then SIGKILL after `graceMs`; resolves when the process and its pipes are closed.
   * ffmpeg notices one SIGINT only between input packets; a second one also interrupts a read
   * that waits for input, so it is sent shortly after in case the input has gone quiet.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#signal('SIGINT');
    const again = setTimeout(() => this.#signal('SIGINT'), Math.min(250, graceMs / 2));
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs);
    await this.#closedPromise;
    clearTimeout(again);
    clearTimeout(timer);
  }

  kill(): void {
    this.#signal('SIGKILL');
  }

  whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
  }

  #onStderr(chunk: string): void {
    const { lines, tail } = splitLines(this.#tail, chunk);
    this.#tail = tail;
    for (const line of lines) {
      const progress = parseProgressLine(line);
      if (progress) {
        this.#progress = progress;
        this.#options.onProgress?.(progress);
        continue;
      }
      const log = parseLogLine(line);
      this.recentLog.push(line);
      if (this.recentLog.length > 20) this.recentLog.shift();
      if (log.level === 'error' || log.level === 'fatal' || log.level === 'panic') {
        this.counters.errors++;
        this.counters.lastError = log.component ? `${log.component}: ${log.message}` : log.message;
      } else if (log.level === 'warning') {
        this.counters.warnings++;
        this.counters.rtpPacketsMissed += missedRtpPackets(log.message);
      }
      this.#options.onLog?.(log);
    }
  }
}
