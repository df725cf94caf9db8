import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setLogLevel } from '../../signaling/logger.ts';
import { PocketsphinxRecognizer } from './PocketsphinxRecognizer.ts';
import { makeTestArchive } from './testing/make-test-archive.ts';
import { VodLibrary, type VodSummary } from './VodLibrary.ts';
import { VodOrigin } from './VodOrigin.ts';
import { parseWebVtt } from './webvtt.ts';

const START = 1_800_000_000_000;
let root: string;

before(async () => {
  setLogLevel('warn');
  root = await mkdtemp(path.join(os.tmpdir(), 'vod-captions-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('captions: words spoken into the stream appear in the WebVTT track at about the times they were said', async () => {
  const recognizer = new PocketsphinxRecognizer();
  const missing = await recognizer.unavailableReason();
  assert.equal(missing, null, `this test needs PocketSphinx: ${missing}`);
  // espeak-ng speaks into the archived audio (AAC, like the live bridge's), at known times.
  await makeTestArchive({
    dir: path.join(root, 'hls', 'spoken'),
    durationSec: 20,
    startMs: START,
    video: { width: 160, height: 90 },
    audio: {
      speech: [
        { atSec: 3, text: 'hello world welcome to the stream' },
        { atSec: 12, text: 'today we talk about music' },
      ],
    },
  });
  const lib = new VodLibrary({ root: path.join(root, 'vod'), archiveRoot: path.join(root, 'hls'), recognizer });
  await lib.streamCreated('spoken', { title: 'Talk', captions: true });
  await lib.streamStarted('spoken', new Date(START).toISOString(), 'Talk');
  await lib.streamEnded('spoken', new Date(START + 20_000).toISOString());
  let s: VodSummary | null = null;
  for (let i = 0; i < 600 && s?.state !== 'ready' && s?.state !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = await lib.summary('spoken');
  }
  assert.equal(s?.state, 'ready', JSON.stringify(s?.job));
  assert.equal(s.captions, 'ready', JSON.stringify(s.job?.stages));

  const cues = parseWebVtt(await readFile(path.join(root, 'vod', 'spoken', 'captions.vtt'), 'utf8'));
  const when = (word: string): number | undefined => cues.find((c) => c.text.split(' ').includes(word))?.startSec;
  // Recognition of synthetic speech is imperfect: a few distinctive words must be heard, near where they were said.
  for (const [word, atSec] of [
    ['hello', 3],
    ['world', 3],
    ['welcome', 3],
    ['today', 12],
    ['music', 12],
  ] as const) {
    const t = when(word);
    assert.ok(t !== undefined, `"${word}" not recognized; cues: ${JSON.stringify(cues)}`);
    assert.ok(t >= atSec - 0.5 && t <= atSec + 2.5, `"${word}" said at ${atSec} s appears at ${t} s`);
  }
  assert.ok(!cues.some((c) => c.startSec > 5.5 && c.endSec < 11.5), `nothing was said between the phrases: ${JSON.stringify(cues)}`);

  const origin = new VodOrigin(lib);
  assert.match(String((await origin.handle({ path: 'spoken/master.m3u8' })).body), /TYPE=SUBTITLES[^\n]*URI="captions\.m3u8"[\s\S]*SUBTITLES="subs"/);
  assert.match(String((await origin.handle({ path: 'spoken/captions-hls.vtt' })).body), /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:90000,LOCAL:00:00:00\.000\n/);
  await lib.close();
});
