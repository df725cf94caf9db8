import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RenditionIndex } from './archive-index.ts';
import { wordsToCues } from './caption-cues.ts';
import { planChapters } from './chapters.ts';
import { renderFfmetadata } from './ffmetadata.ts';
import { parseWordLine } from './PocketsphinxRecognizer.ts';
import { renderSubtitlesPlaylist, renderVodMasterPlaylist, renderVodMediaPlaylist } from './vod-playlist.ts';
import { parseWebVtt, renderWebVtt, vttTime } from './webvtt.ts';

const ORIGIN = 1_800_000_000_000;

function rendition(present: boolean[], o: { name?: string; generations?: number[] } = {}): RenditionIndex {
  const name = o.name ?? '720p';
  const segments = present.map((p, i) => ({
    msn: i,
    generation: o.generations?.[i] ?? 1,
    discontinuity: false,
    programDateTimeMs: ORIGIN + i * 2000,
    duration: 2,
    bytes: 250_000,
    file: `${name}/seg-${i}.m4s`,
    present: p,
  }));
  const generations = new Set(segments.map((s) => s.generation));
  return {
    name,
    kind: name === 'audio' ? 'audio' : 'video',
    height: name === 'audio' ? 0 : 720,
    inits: new Map([...generations].map((g) => [g, `${name}/init-${g}.mp4`])),
    segments,
    presentDurationSec: present.filter(Boolean).length * 2,
  };
}

describe('VOD media playlist', () => {
  test('is a VOD playlist with every segment, its program-date-time and an end', () => {
    const text = renderVodMediaPlaylist(rendition([true, true, true]));
    assert.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.match(text, /#EXT-X-ENDLIST\n$/);
    assert.equal(text.match(/#EXTINF:2\.00000,/g)?.length, 3);
    assert.match(text, new RegExp(`#EXT-X-PROGRAM-DATE-TIME:${new Date(ORIGIN + 2000).toISOString()}\n#EXTINF:2.00000,\nseg-1.m4s`));
    assert.doesNotMatch(text, /DISCONTINUITY|GAP/);
  });

  test('marks a missing segment as a gap and reopens after it with a discontinuity', () => {
    const text = renderVodMediaPlaylist(rendition([true, false, true]));
    assert.match(text, /#EXT-X-GAP\n#EXTINF:2\.00000,\nseg-1\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-1\.mp4"\n#EXT-X-PROGRAM-DATE-TIME:/);
    // The gap keeps its place: three slots of 2 s.
    assert.equal(text.match(/#EXTINF/g)?.length, 3);
  });

  test('starts a new init section after an encoder restart', () => {
    const text = renderVodMediaPlaylist(rendition([true, true, true], { generations: [1, 1, 2] }));
    assert.match(text, /seg-1\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-2\.mp4"/);
  });

  test('the master playlist names audio, captions and each variant with its codecs', () => {
    const text = renderVodMasterPlaylist({
      variants: [{ rendition: rendition([true, true]), codec: 'avc1.64001f', width: 1280, height: 720 }],
      audio: { rendition: rendition([true, true], { name: 'audio' }), codec: 'mp4a.40.2', channels: 2 },
      subtitles: { language: 'en', name: 'English (automatic)' },
    });
    assert.match(text, /TYPE=AUDIO,GROUP-ID="audio".*URI="audio\/vod\.m3u8"/);
    assert.match(text, /TYPE=SUBTITLES,GROUP-ID="subs".*URI="captions\.m3u8"/);
    assert.match(text, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.64001f,mp4a\.40\.2",RESOLUTION=1280x720,AUDIO="audio",SUBTITLES="subs"\n720p\/vod\.m3u8/);
    assert.match(renderSubtitlesPlaylist(61.5, 'captions-hls.vtt'), /#EXTINF:61\.500,\ncaptions-hls\.vtt\n#EXT-X-ENDLIST/);
  });
});

describe('chapters', () => {
  const base = { originMs: ORIGIN, durationSec: 3600, initialTitle: 'Morning show' };

  test('marks and title changes become chapters on the VOD timeline, after an opening chapter', () => {
    const chapters = planChapters(
      [
        { streamTimeMs: ORIGIN + 600_000, title: 'Q&A', source: 'mark' },
        { streamTimeMs: ORIGIN + 120_000, title: 'Cooking now', source: 'title' },
        { streamTimeMs: ORIGIN + 1_800_000, title: null, source: 'mark' },
      ],
      base,
    );
    assert.deepEqual(chapters, [
      { startSec: 0, endSec: 120, title: 'Morning show' },
      { startSec: 120, endSec: 600, title: 'Cooking now' },
      { startSec: 600, endSec: 1800, title: 'Q&A' },
      { startSec: 1800, endSec: 3600, title: 'Chapter 4' },
    ]);
  });

  test('marks within a second are one chapter, keeping a title', () => {
    const chapters = planChapters(
      [
        { streamTimeMs: ORIGIN + 10_000, title: null, source: 'mark' },
        { streamTimeMs: ORIGIN + 10_400, title: 'Renamed', source: 'title' },
      ],
      { ...base, durationSec: 60 },
    );
    assert.deepEqual(chapters.map((c) => [c.startSec, c.title]), [
      [0, 'Morning show'],
      [10, 'Renamed'],
    ]);
  });

  test('without marks there is one chapter every 10 minutes', () => {
    const chapters = planChapters([], { ...base, durationSec: 1500 });
    assert.deepEqual(chapters, [
      { startSec: 0, endSec: 600, title: 'Part 1' },
      { startSec: 600, endSec: 1200, title: 'Part 2' },
      { startSec: 1200, endSec: 1500, title: 'Part 3' },
    ]);
    assert.deepEqual(planChapters([], { ...base, durationSec: 60 }), [{ startSec: 0, endSec: 60, title: 'Morning show' }]);
  });

  test('a mark before the recording starts opens it; one past the end is dropped', () => {
    const chapters = planChapters(
      [
        { streamTimeMs: ORIGIN - 5000, title: 'Intro', source: 'mark' },
        { streamTimeMs: ORIGIN + 70_000, title: 'Too late', source: 'mark' },
      ],
      { ...base, durationSec: 60 },
    );
    assert.deepEqual(chapters, [{ startSec: 0, endSec: 60, title: 'Intro' }]);
  });
});

describe('WebVTT and ffmetadata', () => {
  test('WebVTT round-trips cues with escaped text', () => {
    const text = renderWebVtt([
      { id: '1', startSec: 0, endSec: 65.25, text: 'Tom & Jerry <live>' },
      { startSec: 3725.5, endSec: 3726, text: 'late' },
    ]);
    assert.match(text, /^WEBVTT\n\n1\n00:00:00\.000 --> 00:01:05\.250\nTom &amp; Jerry &lt;live&gt;\n/);
    assert.equal(vttTime(3725.5), '01:02:05.500');
    assert.deepEqual(parseWebVtt(text), [
      { id: '1', startSec: 0, endSec: 65.25, text: 'Tom & Jerry <live>' },
      { startSec: 3725.5, endSec: 3726, text: 'late' },
    ]);
  });

  test('ffmetadata escapes special characters and gives chapters in milliseconds', () => {
    const text = renderFfmetadata({ title: 'A=B; #1', chapters: [{ startSec: 0, endSec: 12.3456, title: 'x\\y' }] });
    assert.equal(text, ';FFMETADATA1\ntitle=A\\=B\\; \\#1\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=12346\ntitle=x\\\\y\n');
  });
});

describe('captions', () => {
  test('PocketSphinx word lines become words; fillers and hypotheses do not', () => {
    assert.deepEqual(parseWordLine('to(3) 4.250 4.370 0.860951'), { word: 'to', startSec: 4.25, endSec: 4.37, confidence: 0.860951 });
    assert.equal(parseWordLine('<sil> 4.210 4.240 0.861813'), null);
    assert.equal(parseWordLine('[NOISE] 1.0 1.2 0.5'), null);
    assert.equal(parseWordLine('hello world welcome to the train'), null);
  });

  test('words group into cues that break at pauses and at the line length', () => {
    const w = (word: string, s: number, e: number) => ({ word, startSec: s, endSec: e });
    const cues = wordsToCues([w('hello', 3.0, 3.3), w('world', 3.35, 3.7), w('today', 12, 12.4), w('we', 12.4, 12.5), w('talk', 12.55, 12.9)]);
    assert.deepEqual(cues, [
      { startSec: 3, endSec: 4.2, text: 'hello world' },
      { startSec: 12, endSec: 13.4, text: 'today we talk' },
    ]);
    const long = wordsToCues(Array.from({ length: 20 }, (_, i) => w('word', i * 0.3, i * 0.3 + 0.25)));
    assert.ok(long.length >= 3 && long.every((c) => c.text.length <= 42), JSON.stringify(long));
  });
});
