import { spawn } from 'node:child_process';
import { writeFileSync, createWriteStream } from 'node:fs';
import { FfmpegRtpSource } from '/work/main/hls-bridge/testing/FfmpegRtpSource.ts';
import { RtpForwarder } from '/work/main/hls-bridge/ingest/RtpForwarder.ts';
import { allocateRtpPorts, waitForUdpBound } from '/work/main/hls-bridge/ingest/udp-ports.ts';
import { describeSdp } from '/work/main/hls-bridge/ingest/sdp-describe.ts';
import { parseRtpHeader } from '/work/main/hls-bridge/ingest/rtp-packet.ts';
import { inspectVideoPayload } from '/work/main/hls-bridge/ingest/video-payload.ts';

const F = '/work/main/node_modules/@ffmpeg-installer/linux-x64/ffmpeg';
const src = new FfmpegRtpSource({ ffmpegPath: F, width: 854, height: 480, fps: Number(process.env.SRC_FPS ?? 30), gop: 30, durationSec: 8 });
const [vp, ap] = await allocateRtpPorts(2);
const fwd = new RtpForwarder({ ports: { video: vp, audio: ap } });
let started = false; let t0 = 0;
src.video!.onRtp((p) => {
  const h = parseRtpHeader(p)!;
  const info = inspectVideoPayload('h264', p.subarray(h.payloadOffset, h.payloadEnd));
  if (!started && info.keyframeStart) { started = true; t0 = Date.now(); console.log('keyframe', info); startFfmpeg(); }
  if (started) fwd.push('video', p);
});
src.audio!.onRtp((p) => { if (started) fwd.push('audio', p); });
await src.start();

function startFfmpeg() {
  writeFileSync('in.sdp', describeSdp([{ kind: 'video', codec: src.video!.codec, port: vp! }, { kind: 'audio', codec: src.audio!.codec, port: ap! }]));
  const mov = ['-f', 'mp4', '-movflags', '+empty_moov+default_base_moof+frag_every_frame', '-flush_packets', '1'];
  const args = ['-hide_banner', '-nostdin', '-loglevel', process.argv[2] ?? 'level+info', '-protocol_whitelist', 'file,udp,rtp', ...(process.env.IN_ARGS ?? '').split(' ').filter(Boolean), '-i', 'in.sdp', '-vsync', process.env.VSYNC ?? '0',
    '-filter_complex', '[0:v]scale=640:360[v360]',
    '-map', '0:v', '-c:v', 'copy', ...mov, 'pipe:3',
    '-map', '[v360]', '-c:v', 'libx264', '-threads', '1', '-preset', 'veryfast', '-tune', 'zerolatency', '-level', '3.1', '-b:v', '600k', '-maxrate', '660k', '-bufsize', '600k', '-force_key_frames', 'source', '-sc_threshold', '0', '-g', '1000', ...(process.env.ENC_ARGS ?? '-enc_time_base -1').split(' '), ...mov, 'pipe:4',
    '-map', '0:a', '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-af', 'aresample=async=1', '-f', 'mp4', '-movflags', '+empty_moov+default_base_moof', '-frag_duration', '60000', '-flush_packets', '1', 'pipe:5'];
  const ff = spawn(F, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  ff.stderr!.pipe(createWriteStream('ff.log'));
  const names = ['top', 'v360', 'aud'];
  names.forEach((n, i) => {
    const out = createWriteStream(n + '.mp4'); let first = true;
    (ff.stdio[3 + i] as any).on('data', (d: Buffer) => { if (first) { first = false; console.log(n, 'first bytes after', Date.now() - t0, 'ms'); } out.write(d); });
  });
  waitForUdpBound([vp!, ap!], 3000).then((ok) => { console.log('bound', ok, Date.now() - t0, 'ms'); fwd.goLive(); });
  setTimeout(() => { ff.kill('SIGINT'); src.close(); fwd.close(); }, 7000);
  ff.on('exit', (c, s) => console.log('ffmpeg exit', c, s));
}
