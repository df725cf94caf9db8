import { makeTestArchive } from './testing/make-test-archive.ts';
import { readArchiveIndex, topVideoRendition, audioRendition } from './archive-index.ts';
import { planTimeline } from './vod-timeline.ts';
import { runStitchJob } from './stitch-job.ts';
import { IoRateLimiter } from './IoRateLimiter.ts';
import { planChapters } from './chapters.ts';
import { rm } from 'node:fs/promises';
const dir = process.argv[2] ?? '/tmp/vodx/arch1';
if (process.argv[3] !== 'keep') { await rm(dir, { recursive: true, force: true });
const t = Date.now(); await makeTestArchive({ dir, durationSec: 20, startMs: 1_800_000_000_000 }); console.log('gen ms', Date.now() - t); }
const index = await readArchiveIndex(dir);
console.log(index.renditions.map((r) => `${r.name} ${r.segments.length} ${r.presentDurationSec}`));
const tl = await planTimeline(index, { video: topVideoRendition(index), audio: audioRendition(index) });
console.log({ origin: tl.originMs, dur: tl.durationSec, shift: tl.shiftMs, vEpoch: tl.video?.epochMs, aEpoch: tl.audio?.epochMs });
const chapters = planChapters([{ streamTimeMs: tl.originMs + 5000, title: 'Five', source: 'mark' }], { originMs: tl.originMs, durationSec: tl.durationSec, initialTitle: 'Test' });
const t2 = performance.now();
const res = await runStitchJob({ ffmpegPath: 'ffmpeg', archiveDir: dir, timeline: tl, chapters, title: 'Test', outputFile: '/tmp/vodx/s.mp4', limiter: new IoRateLimiter(0), signal: new AbortController().signal, onProgress: (f) => {} });
console.log(res, performance.now() - t2);
