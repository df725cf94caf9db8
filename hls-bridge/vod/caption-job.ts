/**
 * Captions for a VOD: the archived audio rendition is decoded by ffmpeg to 16 kHz mono PCM
 * on the VOD timeline (silence fills the start and any hole, so sample 0 is VOD time 0),
 * handed to a SpeechRecognizer, and the words become a WebVTT caption track.
 */
import { spawn } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { feedTrack } from './archive-feed.ts';
import { wordsToCues } from './caption-cues.ts';
import type { IoRateLimiter } from './IoRateLimiter.ts';
import { RECOGNIZER_SAMPLE_RATE, type RecognizedWord, type SpeechRecognizer } from './speech-recognizer.ts';
import type { VodTimeline } from './vod-timeline.ts';
import { renderWebVtt, type VttCue } from './webvtt.ts';

export interface CaptionJobOptions {
  readonly ffmpegPath: string;
  readonly archiveDir: string;
  readonly timeline: VodTimeline;
  readonly recognizer: SpeechRecognizer;
  /** Where the WebVTT goes (written atomically). */
  readonly outputFile: string;
  readonly limiter: IoRateLimiter;
  readonly signal: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
}

export interface CaptionResult {
  readonly file: string;
  readonly words: number;
  readonly cues: readonly VttCue[];
}

export async function runCaptionJob(o: CaptionJobOptions): Promise<CaptionResult> {
  const audio = o.timeline.audio;
  if (!audio) throw new Error('no captions: the stream has no audio');
  const unavailable = await o.recognizer.unavailableReason();
  if (unavailable) throw new Error(`no captions: ${unavailable}`);
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-copyts',
    '-thread_queue_size', '1024', '-f', 'mp4', '-i', 'pipe:3',
    '-vn', '-af', 'aresample=async=1:first_pts=0', '-ac', '1', '-ar', String(RECOGNIZER_SAMPLE_RATE), '-f', 's16le', 'pipe:1',
  ];
  const child = spawn(o.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  // A killed ffmpeg resets its pipes; the exit code tells what happened.
  for (const stream of child.stdio) stream?.on('error', () => undefined);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ffmpeg at ${o.ffmpegPath} (${err.message}); set FFMPEG_PATH`)));
    child.on('close', (code) => resolve(code));
  });
  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  const duration = Math.max(1, o.timeline.durationSec);
  try {
    const fed = feedTrack(o.archiveDir, audio, o.timeline.shiftMs, child.stdio[3] as Writable, { limiter: o.limiter, signal: o.signal });
    const recognized = o.recognizer.recognize(child.stdout!, {
      signal: o.signal,
      onProgress: (sec) => o.onProgress?.(Math.min(0.99, sec / duration)),
    });
    const [code, words] = await Promise.all([exited, recognized, fed.catch(() => undefined)]);
    o.signal.throwIfAborted();
    if (code !== 0) throw new Error(`ffmpeg could not decode the archived audio (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`);
    await fed;
    return await writeCaptions(o.outputFile, words);
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    child.kill('SIGKILL');
  }
}

async function writeCaptions(file: string, words: readonly RecognizedWord[]): Promise<CaptionResult> {
  const cues = wordsToCues(words);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, renderWebVtt(cues));
  await rename(tmp, file);
  return { file, words: words.length, cues };
}
