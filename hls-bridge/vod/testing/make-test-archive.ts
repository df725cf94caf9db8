/**
 * Test and benchmark archives made by ffmpeg alone (no capture, no bridge): a video
 * rendition (testsrc2, keyframe every 2 s) and an AAC audio rendition (tone, silence, or
 * espeak-ng phrases at given times), cut by ffmpeg's HLS muxer into fMP4 segments laid out
 * and listed exactly as live/SegmentArchive writes them: <dir>/<rendition>/init-1.mp4,
 * seg-<msn>.m4s and manifest.ndjson with program-date-times. Decode times are moved to
 * start one second after the epoch, as the bridge's do.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseInitSegment } from '../../fmp4/fmp4-boxes.ts';
import { firstDecodeTime, shiftDecodeTimes } from '../fmp4-rebase.ts';

const run = promisify(execFile);

export interface SpokenPhrase {
  readonly atSec: number;
  readonly text: string;
}

export interface TestArchiveOptions {
  /** The stream's archive folder (<archiveDir>/<streamId>). */
  readonly dir: string;
  readonly durationSec: number;
  /** Capture time of the first sample, Unix ms. */
  readonly startMs: number;
  readonly video?: { readonly width: number; readonly height: number; readonly fps?: number; readonly bitrateKbps?: number } | false;
  readonly audio?: 'tone' | 'silence' | { readonly speech: readonly SpokenPhrase[] } | false;
  readonly ffmpegPath?: string;
  /** Stream copy this many times over (a long archive from a short encode; benchmarks). */
  readonly loops?: number;
}

export interface TestArchive {
  readonly dir: string;
  readonly renditions: readonly string[];
  readonly startMs: number;
}

const EPOCH_LEAD_MS = 1000;

export async function makeTestArchive(o: TestArchiveOptions): Promise<TestArchive> {
  const ffmpeg = o.ffmpegPath ?? 'ffmpeg';
  await mkdir(o.dir, { recursive: true });
  const work = await mkdirTemp();
  try {
    const inputs: string[] = [];
    const outputs: string[] = [];
    const renditions: string[] = [];
    const video = o.video === undefined ? { width: 320, height: 180 } : o.video;
    if (video) {
      const fps = video.fps ?? 30;
      const name = `${Math.min(video.width, video.height)}p`;
      inputs.push('-f', 'lavfi', '-i', `testsrc2=size=${video.width}x${video.height}:rate=${fps}:duration=${o.durationSec}`);
      outputs.push('-map', `${inputs.filter((a) => a === '-i').length - 1}:v`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(fps * 2), '-keyint_min', String(fps * 2), '-sc_threshold', '0', '-pix_fmt', 'yuv420p', ...(video.bitrateKbps ? ['-b:v', `${video.bitrateKbps}k`, '-maxrate', `${video.bitrateKbps}k`, '-bufsize', `${video.bitrateKbps * 2}k`] : []), ...hlsOutput(work, name));
      renditions.push(name);
    }
    const audio = o.audio === undefined ? 'tone' : o.audio;
    if (audio) {
      const index = inputs.filter((a) => a === '-i').length;
      if (audio === 'tone') inputs.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${o.durationSec}`);
      else if (audio === 'silence') inputs.push('-f', 'lavfi', '-i', `anullsrc=r=48000:cl=stereo:d=${o.durationSec}`);
      else inputs.push('-f', 'lavfi', '-i', `anullsrc=r=48000:cl=stereo:d=${o.durationSec}`, ...(await speechInputs(work, audio.speech)));
      const mix =
        typeof audio === 'object' && audio.speech.length > 0
          ? ['-filter_complex', speechMix(index, audio.speech), '-map', '[speech]']
          : ['-map', `${index}:a`];
      outputs.push(...mix, '-c:a', 'aac', '-b:a', '64k', '-ac', '2', '-ar', '48000', ...hlsOutput(work, 'audio'));
      renditions.push('audio');
    }
    for (const r of renditions) await mkdir(path.join(work, r), { recursive: true });
    await run(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...inputs, ...outputs], { maxBuffer: 1 << 20 });
    if (o.loops && o.loops > 1) for (const r of renditions) await loopRendition(ffmpeg, work, r, o.loops);
    await importRenditions(work, o.dir, renditions, o.startMs);
    return { dir: o.dir, renditions, startMs: o.startMs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function hlsOutput(work: string, name: string): string[] {
  return [
    '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-hls_fmp4_init_filename', 'init-1.mp4', '-hls_segment_filename', path.join(work, name, 'seg-%d.m4s'),
    path.join(work, name, 'ffmpeg.m3u8'),
  ];
}

async function speechInputs(work: string, phrases: readonly SpokenPhrase[]): Promise<string[]> {
  const args: string[] = [];
  for (const [i, p] of phrases.entries()) {
    const wav = path.join(work, `phrase-${i}.wav`);
    // The klatt voice at 150 wpm is the one PocketSphinx's en-us model hears best.
    await run('espeak-ng', ['-v', 'en-us+klatt', '-s', '150', '-w', wav, p.text]);
    args.push('-i', wav);
  }
  return args;
}

function speechMix(silenceIndex: number, phrases: readonly SpokenPhrase[]): string {
  const delayed = phrases.map((p, i) => {
    const ms = Math.round(p.atSec * 1000);
    return `[${silenceIndex + 1 + i}:a]aresample=48000,pan=stereo|c0=c0|c1=c0,adelay=${ms}|${ms}[p${i}]`;
  });
  const mix = `[${silenceIndex}:a]${phrases.map((_, i) => `[p${i}]`).join('')}amix=inputs=${phrases.length + 1}:duration=first:normalize=0[speech]`;
  return [...delayed, mix].join(';');
}

/** Stream-copies a rendition `loops` times end to end (fast long archives for benchmarks). */
async function loopRendition(ffmpeg: string, work: string, name: string, loops: number): Promise<void> {
  const dir = path.join(work, name);
  const once = path.join(work, `${name}-once.mp4`);
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(dir, 'ffmpeg.m3u8'), '-c', 'copy', once]);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', String(loops - 1), '-i', once, '-c', 'copy', ...hlsOutput(work, name)], { maxBuffer: 1 << 20 });
}

interface Listed {
  readonly rendition: string;
  readonly msn: number;
  readonly duration: number;
  readonly pdt: number;
  readonly data: Buffer;
}

async function importRenditions(work: string, dir: string, renditions: readonly string[], startMs: number): Promise<void> {
  const epochMs = startMs - EPOCH_LEAD_MS;
  const listed: Listed[] = [];
  const manifest: string[] = [];
  for (const name of renditions) {
    await mkdir(path.join(dir, name), { recursive: true });
    const init = await readFile(path.join(work, name, 'init-1.mp4'));
    const timescale = parseInitSegment(init)[0]!.timescale;
    await writeFile(path.join(dir, name, 'init-1.mp4'), init);
    manifest.push(JSON.stringify({ type: 'init', rendition: name, generation: 1, file: `${name}/init-1.mp4` }));
    const playlist = await readFile(path.join(work, name, 'ffmpeg.m3u8'), 'utf8');
    let duration = 0;
    let firstTicks: number | null = null;
    for (const line of playlist.split('\n')) {
      const inf = /^#EXTINF:([\d.]+)/.exec(line);
      if (inf) duration = Number(inf[1]);
      const seg = /^seg-(\d+)\.m4s$/.exec(line.trim());
      if (!seg) continue;
      const data = await readFile(path.join(work, name, line.trim()));
      const ticks = firstDecodeTime(data) ?? 0;
      firstTicks ??= ticks;
      // Lead of one second, like the bridge's epoch; decode times keep their spacing.
      shiftDecodeTimes(data, firstTicks - timescale * (EPOCH_LEAD_MS / 1000));
      const pdt = epochMs + ((ticks - firstTicks) / timescale + EPOCH_LEAD_MS / 1000) * 1000;
      listed.push({ rendition: name, msn: Number(seg[1]), duration, pdt, data });
    }
  }
  // Interleaved by time, as a live archive is written.
  listed.sort((a, b) => a.pdt - b.pdt || a.rendition.localeCompare(b.rendition));
  for (const s of listed) {
    const file = `${s.rendition}/seg-${s.msn}.m4s`;
    await writeFile(path.join(dir, file), s.data);
    manifest.push(JSON.stringify({ type: 'segment', rendition: s.rendition, msn: s.msn, generation: 1, discontinuity: false, programDateTimeMs: s.pdt, duration: s.duration, bytes: s.data.length, file, programDateTime: new Date(s.pdt).toISOString() }));
  }
  await appendFile(path.join(dir, 'manifest.ndjson'), manifest.join('\n') + '\n');
}

async function mkdirTemp(): Promise<string> {
  const dir = path.join(os.tmpdir(), `vod-archive-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Names in a rendition folder (tests delete one to make a gap). */
export async function archiveFiles(dir: string, rendition: string): Promise<string[]> {
  return (await readdir(path.join(dir, rendition))).sort();
}
