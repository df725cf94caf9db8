/**
 * ffprobe of a rendition's init + segment bytes, for end-to-end tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedStream {
  readonly codec_type: string;
  readonly codec_name: string;
  readonly width?: number;
  readonly height?: number;
  readonly channels?: number;
  readonly sample_rate?: string;
}

export async function probeMedia(data: Buffer, ffprobePath = 'ffprobe'): Promise<{ streams: ProbedStream[]; packets: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hls-probe-'));
  try {
    const file = path.join(dir, 'media.mp4');
    await writeFile(file, data);
    const { stdout } = await run(ffprobePath, ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,width,height,channels,sample_rate,nb_read_packets', '-of', 'json', file]).catch((err: Error) => {
      throw new Error(`ffprobe failed (is ffprobe installed? apt-get install ffmpeg): ${err.message}`);
    });
    const parsed = JSON.parse(stdout) as { streams: (ProbedStream & { nb_read_packets?: string })[] };
    return { streams: parsed.streams, packets: parsed.streams.reduce((n, s) => n + Number(s.nb_read_packets ?? 0), 0) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
