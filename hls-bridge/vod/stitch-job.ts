/**
 * Stitches the archive into one MP4 without re-encoding: the top video rendition and the
 * audio rendition are each fed to ffmpeg as one fragmented MP4 on a pipe (decode times
 * moved onto the VOD timeline), with the chapters and title as an FFMETADATA input:
 *   ffmpeg -copyts -f mp4 -i pipe:3 -f mp4 -i pipe:4 -f ffmetadata -i chapters.txt
 *          -map 0:v -map 1:a -map_chapters 2 -c copy -movflags +faststart -fflags +bitexact out.mp4
 * The output is written under a temporary name and renamed when complete, and is the same
 * bytes for the same archive and chapters (bitexact), so a restarted job ends identically.
 */
import { spawn } from 'node:child_process';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { feedBytes, feedTrack } from './archive-feed.ts';
import type { Chapter } from './chapters.ts';
import { renderFfmetadata } from './ffmetadata.ts';
import type { IoRateLimiter } from './IoRateLimiter.ts';
import type { VodTimeline } from './vod-timeline.ts';

export interface StitchJobOptions {
  readonly ffmpegPath: string;
  /** The stream's archive folder. */
  readonly archiveDir: string;
  readonly timeline: VodTimeline;
  readonly chapters: readonly Chapter[];
  readonly title: string;
  /** Final MP4 path; written as `<dir>/.<name>.<pid>.tmp` first. */
  readonly outputFile: string;
  readonly limiter: IoRateLimiter;
  readonly signal: AbortSignal;
  /** 0…1, from the bytes handed to ffmpeg. */
  readonly onProgress?: (fraction: number) => void;
}

export interface StitchResult {
  readonly file: string;
  readonly bytes: number;
  readonly durationSec: number;
  readonly inputBytes: number;
}

export async function runStitchJob(o: StitchJobOptions): Promise<StitchResult> {
  const { timeline } = o;
  const tracks = [timeline.video, timeline.audio].filter((t) => t !== undefined);
  if (tracks.length === 0) throw new Error('nothing to stitch: the archive has neither video nor audio');
  const dir = path.dirname(o.outputFile);
  const tmp = path.join(dir, `.${path.basename(o.outputFile)}.${process.pid}.tmp`);
  const metaFile = path.join(dir, `.${path.basename(o.outputFile)}.ffmeta.txt`);
  await writeFile(metaFile, renderFfmetadata({ title: o.title, chapters: o.chapters }));

  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-copyts'];
  tracks.forEach((_, i) => args.push('-thread_queue_size', '1024', '-f', 'mp4', '-i', `pipe:${3 + i}`));
  args.push('-f', 'ffmetadata', '-i', metaFile);
  tracks.forEach((t, i) => args.push('-map', `${i}:${t.rendition.kind === 'video' ? 'v' : 'a'}`));
  args.push(
    '-map_metadata', String(tracks.length), '-map_chapters', String(tracks.length),
    '-c', 'copy', '-movflags', '+faststart', '-fflags', '+bitexact', '-f', 'mp4', tmp,
  );

  const total = tracks.reduce((sum, t) => sum + feedBytes(t), 0);
  let fed = 0;
  const child = spawn(o.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe', ...tracks.map(() => 'pipe' as const)] });
  // A killed ffmpeg resets its pipes; the exit code tells what happened.
  for (const stream of child.stdio) stream?.on('error', () => undefined);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ffmpeg at ${o.ffmpegPath} (${err.message}); set FFMPEG_PATH`)));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const feedAbort = new AbortController();
  const onAbort = (): void => {
    feedAbort.abort(o.signal.reason);
    child.kill('SIGKILL');
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const feeds = tracks.map((t, i) =>
      feedTrack(o.archiveDir, t, timeline.shiftMs, child.stdio[3 + i] as Writable, {
        limiter: o.limiter,
        signal: feedAbort.signal,
        onBytes: (n) => {
          fed += n;
          o.onProgress?.(Math.min(0.99, fed / Math.max(1, total)));
        },
      }),
    );
    const fedAll = Promise.all(feeds);
    // If ffmpeg dies, the feeds fail on the closed pipes; report ffmpeg's own reason first.
    const [result] = await Promise.all([exited, fedAll.catch(() => undefined)]);
    o.signal.throwIfAborted();
    if (result.code !== 0) {
      throw new Error(`ffmpeg could not stitch the archive (exit ${result.code ?? result.signal}): ${lastLine(stderr)}`);
    }
    await fedAll;
    await rename(tmp, o.outputFile);
    const size = (await stat(o.outputFile)).size;
    o.onProgress?.(1);
    return { file: o.outputFile, bytes: size, durationSec: timeline.durationSec, inputBytes: total };
  } catch (err) {
    child.kill('SIGKILL');
    await rm(tmp, { force: true });
    throw err;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    await rm(metaFile, { force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? 'no message';
}
