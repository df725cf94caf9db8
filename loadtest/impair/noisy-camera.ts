/**
 * A fake camera that is hard to compress: Chromium's built-in fake camera is a flat pattern the
 * encoder sends at a few hundred kbps whatever its target, so a bandwidth limit above that never
 * bites. This renders a short noisy test clip once (ffmpeg, cached in the temp dir) for
 * `--use-file-for-fake-video-capture`, which Chromium loops; the encoder then spends its whole target.
 */
import { execFile } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NoisyCameraOptions {
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  /** Clip length, s (the file is width × height × 1.5 bytes per frame). */
  readonly seconds?: number;
}

/** Path of the .y4m clip (rendered on first use). */
export async function noisyCameraFile(opts: NoisyCameraOptions = {}): Promise<string> {
  const { width = 640, height = 360, frameRate = 30, seconds = 4 } = opts;
  const file = join(tmpdir(), `livestream-noisy-camera-${width}x${height}-${frameRate}-${seconds}s.y4m`);
  if (existsSync(file)) return file;
  const partial = `${file}.${process.pid}.partial.y4m`;
  try {
    await run(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${frameRate}`,
        '-vf', 'noise=alls=30:allf=t+u', '-t', String(seconds), '-pix_fmt', 'yuv420p', partial],
      { timeout: 120_000 },
    );
  } catch (err) {
    rmSync(partial, { force: true });
    throw new Error(`ffmpeg could not render the noisy camera clip (is ffmpeg installed? apt-get install -y ffmpeg): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  renameSync(partial, file);
  return file;
}

/** Chromium flag that replaces the fake camera with the clip. */
export function fakeCameraFileArg(file: string): string {
  return `--use-file-for-fake-video-capture=${file}`;
}
