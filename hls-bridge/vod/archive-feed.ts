/**
 * Streams one rendition of the archive as a single fragmented MP4 into a pipe: the first
 * init, then every present segment with its decode times moved onto the VOD timeline.
 * Missing segments are simply not sent: the decode times of the next ones keep their
 * place, so the hole stays a hole. Reads are paced by an IoRateLimiter and respect the
 * pipe's backpressure.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { shiftDecodeTimes } from './fmp4-rebase.ts';
import type { IoRateLimiter } from './IoRateLimiter.ts';
import { presentSegments, type TrackTimeline } from './vod-timeline.ts';

export interface FeedOptions {
  readonly limiter: IoRateLimiter;
  readonly signal: AbortSignal;
  /** Called after each file is handed to the pipe, with its size. */
  readonly onBytes?: (bytes: number) => void;
}

/** Bytes a feed of this track will send (init + present segments, by the manifest's sizes). */
export function feedBytes(track: TrackTimeline): number {
  return presentSegments(track.rendition).reduce((sum, s) => sum + s.bytes, 0);
}

export async function feedTrack(dir: string, track: TrackTimeline, shiftMs: number, sink: Writable, options: FeedOptions): Promise<void> {
  const { limiter, signal, onBytes } = options;
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure = err;
  };
  sink.on('error', onError);
  try {
    const init = await readFile(path.join(dir, track.initFile));
    await write(sink, init, signal, () => failure);
    for (const s of presentSegments(track.rendition)) {
      signal.throwIfAborted();
      await limiter.take(s.bytes, signal);
      const data = await readFile(path.join(dir, s.file));
      const timescale = track.timescales.get(s.generation) ?? track.init.timescale;
      shiftDecodeTimes(data, Math.round((shiftMs / 1000) * timescale));
      await write(sink, data, signal, () => failure);
      onBytes?.(data.length);
    }
  } finally {
    sink.off('error', onError);
    if (!sink.destroyed) sink.end();
  }
}

async function write(sink: Writable, data: Buffer, signal: AbortSignal, failed: () => Error | null): Promise<void> {
  const err = failed();
  if (err) throw new Error(`the encoder stopped reading its input (${err.message})`);
  if (sink.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the encoder closed its input early'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
