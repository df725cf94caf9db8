import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkMediaPlaylist, parseMasterPlaylist, parseMediaPlaylist } from '../testing/playlist-checker.ts';
import { addPart, addSegments, newPlaylist, T0 } from '../testing/playlist-feed.ts';
import { renderMasterPlaylist, renderMediaPlaylist } from './playlist-render.ts';

describe('renderMediaPlaylist', () => {
  test('prints the LL-HLS header, parts of the open segment and a preload hint for the next part', () => {
    const p = newPlaylist();
    addSegments(p, 2);
    addPart(p, true);
    addPart(p);
    const text = renderMediaPlaylist(p);
    assert.match(text, /^#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0\.334\n/);
    assert.match(text, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1\.002,HOLD-BACK=6\.000,CAN-SKIP-UNTIL=12\.000/);
    assert.match(text, /#EXT-X-PART:DURATION=0\.33333,URI="part-2\.1\.m4s"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-2\.2\.m4s"\n$/);
    const { playlist, errors } = checkMediaPlaylist(text);
    assert.deepEqual(errors, []);
    assert.equal(playlist.segments.length, 3);
    assert.equal(playlist.segments[2]!.uri, undefined, 'the open segment has parts but no URI yet');
  });

  test('puts a program date time on every segment, including the open one', () => {
    const p = newPlaylist();
    addSegments(p, 3);
    addPart(p, true);
    const parsed = parseMediaPlaylist(renderMediaPlaylist(p));
    assert.deepEqual(parsed.segments.map((s) => s.programDateTime), [0, 1, 2, 3].map((i) => new Date(T0 + i * 2000).toISOString()));
  });

  test('lists parts only for the last three complete segments', () => {
    const p = newPlaylist();
    addSegments(p, 6);
    const parsed = parseMediaPlaylist(renderMediaPlaylist(p));
    assert.deepEqual(parsed.segments.map((s) => s.parts.length), [0, 0, 0, 6, 6, 6]);
    assert.equal(parsed.preloadHint, 'part-6.0.m4s');
  });

  test('slides the window and counts discontinuities that leave it', () => {
    const p = newPlaylist('720p', 4);
    addSegments(p, 2, 1);
    p.markDiscontinuity();
    addSegments(p, 2, 2);
    let parsed = parseMediaPlaylist(renderMediaPlaylist(p));
    assert.deepEqual([parsed.mediaSequence, parsed.discontinuitySequence], [0, 0]);
    assert.deepEqual(parsed.segments.map((s) => s.discontinuity), [false, false, true, false]);
    assert.deepEqual(parsed.segments.map((s) => s.map), ['init-1.mp4', undefined, 'init-2.mp4', undefined]);
    addSegments(p, 3, 2);
    parsed = parseMediaPlaylist(renderMediaPlaylist(p));
    assert.deepEqual([parsed.mediaSequence, parsed.discontinuitySequence], [3, 1]);
    assert.equal(parsed.segments[0]!.map, 'init-2.mp4', 'the first listed segment repeats its EXT-X-MAP');
  });

  test('a delta update skips segments older than CAN-SKIP-UNTIL and says so with version 9', () => {
    const p = newPlaylist();
    addSegments(p, 10);
    addPart(p, true);
    const full = parseMediaPlaylist(renderMediaPlaylist(p));
    const text = renderMediaPlaylist(p, { skip: true });
    const delta = parseMediaPlaylist(text);
    assert.equal(delta.version, 9);
    assert.equal(delta.skipped, 4, '6 segments (12 s) stay');
    assert.equal(delta.mediaSequence, full.mediaSequence);
    assert.deepEqual(delta.segments.map((s) => s.msn), full.segments.slice(4).map((s) => s.msn));
    assert.deepEqual(checkMediaPlaylist(text).errors, []);
  });

  test('does not skip when the playlist is shorter than CAN-SKIP-UNTIL', () => {
    const p = newPlaylist();
    addSegments(p, 5);
    assert.equal(parseMediaPlaylist(renderMediaPlaylist(p, { skip: true })).skipped, 0);
  });

  test('prints rendition reports and, once ended, EXT-X-ENDLIST without a preload hint', () => {
    const p = newPlaylist();
    addSegments(p, 1);
    p.end();
    const text = renderMediaPlaylist(p, { renditionReports: [{ uri: '../480p/index.m3u8', lastMsn: 0, lastPart: 5 }, { uri: '../360p/index.m3u8', lastMsn: -1, lastPart: -1 }] });
    assert.match(text, /#EXT-X-ENDLIST\n#EXT-X-RENDITION-REPORT:URI="\.\.\/480p\/index\.m3u8",LAST-MSN=0,LAST-PART=5\n$/);
    assert.doesNotMatch(text, /PRELOAD-HINT|360p/);
  });
});

describe('renderMasterPlaylist', () => {
  test('lists video variants (highest first) with every attribute, the audio group and an audio-only variant', () => {
    const text = renderMasterPlaylist(
      [
        { uri: '360p/index.m3u8', bandwidth: 760_000, averageBandwidth: 700_000, codecs: 'avc1.64001e,mp4a.40.2', width: 640, height: 360, frameRate: 30 },
        { uri: '720p/index.m3u8', bandwidth: 2_900_000, averageBandwidth: 2_600_000, codecs: 'avc1.64001f,mp4a.40.2', width: 1280, height: 720, frameRate: 29.97 },
      ],
      { uri: 'audio/index.m3u8', name: 'Audio', channels: 2 },
      { uri: 'audio/index.m3u8', bandwidth: 105_000, averageBandwidth: 96_000, codecs: 'mp4a.40.2' },
    );
    const master = parseMasterPlaylist(text);
    assert.deepEqual(master.variants.map((v) => v.uri), ['720p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8']);
    assert.deepEqual(master.variants[0]!.attributes, {
      BANDWIDTH: '2900000', 'AVERAGE-BANDWIDTH': '2600000', CODECS: 'avc1.64001f,mp4a.40.2', RESOLUTION: '1280x720', 'FRAME-RATE': '29.970', AUDIO: 'audio',
    });
    assert.equal(master.variants[2]!.attributes.RESOLUTION, undefined);
    assert.deepEqual(master.media[0], { TYPE: 'AUDIO', 'GROUP-ID': 'audio', NAME: 'Audio', DEFAULT: 'YES', AUTOSELECT: 'YES', CHANNELS: '2', URI: 'audio/index.m3u8' });
  });
});
