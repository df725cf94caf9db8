import { HlsBridge, HlsOrigin, BridgeEvents } from '../index.ts';
import { FfmpegRtpSource } from '../testing/FfmpegRtpSource.ts';
import { resolveFfmpegPath } from '../transcode/ffmpeg-path.ts';
import { rmSync } from 'node:fs';
const ffmpegPath = await resolveFfmpegPath(process.env.FF);
const src = new FfmpegRtpSource({ ffmpegPath, width: 854, height: 480, gop: 30, durationSec: 30, videoCodec: (process.env.VC as any) ?? 'h264' });
rmSync('/tmp/hlsarch', { recursive: true, force: true });
const bridge = new HlsBridge({ streamId: 's1', sources: { video: src.video, audio: src.audio }, archiveDir: '/tmp/hlsarch', ffmpegPath, threads: 1 });
const origin = new HlsOrigin(); origin.attach('s1', bridge);
const t0 = Date.now();
bridge.on(BridgeEvents.STATE, (d) => console.log(Date.now() - t0, 'state', d.from, '->', d.to));
bridge.on(BridgeEvents.ERROR, (d) => console.log(Date.now() - t0, 'ERROR', d.message));
bridge.on(BridgeEvents.READY, () => console.log(Date.now() - t0, 'READY'));
let parts = 0; bridge.on(BridgeEvents.PART, (p) => { if (parts++ < 3) console.log(Date.now() - t0, 'part', p); });
await bridge.start(); await src.start();
await new Promise((r) => setTimeout(r, Number(process.env.SECS ?? 7000)));
const m = await origin.handle({ path: 's1/master.m3u8' }); console.log(m.status, m.body.toString());
for (const r of ['480p', '360p', 'audio']) { const p = await origin.handle({ path: `s1/${r}/index.m3u8` }); console.log(r, p.status); if (r !== 'audio') console.log(p.body.toString()); }
console.log(JSON.stringify(bridge.status, null, 1));
if (process.env.KILL) { process.kill(bridge.status.transcoder!.pid!, 'SIGKILL'); await new Promise((r) => setTimeout(r, 5000)); const p = await origin.handle({ path: `s1/360p/index.m3u8` }); console.log(p.body.toString()); }
await bridge.close(); await src.close();
console.log('closed', Date.now() - t0);
