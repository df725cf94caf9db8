import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initUri, parseHlsPath, partUri, segmentUri } from './hls-paths.ts';

describe('hls-paths', () => {
  test('parses every resource shape it prints', () => {
    assert.deepEqual(parseHlsPath('abc/master.m3u8'), { type: 'master', streamId: 'abc' });
    assert.deepEqual(parseHlsPath('/abc/720p/index.m3u8'), { type: 'playlist', streamId: 'abc', rendition: '720p' });
    assert.deepEqual(parseHlsPath(`abc/audio/${initUri(3)}`), { type: 'init', streamId: 'abc', rendition: 'audio', generation: 3 });
    assert.deepEqual(parseHlsPath(`abc/480p/${segmentUri(42)}`), { type: 'segment', streamId: 'abc', rendition: '480p', msn: 42 });
    assert.deepEqual(parseHlsPath(`abc/480p/${partUri(42, 5)}`), { type: 'part', streamId: 'abc', rendition: '480p', msn: 42, index: 5 });
  });

  test('rejects anything else', () => {
    for (const p of ['', 'abc', 'abc/', 'abc/720p', 'abc/720P/index.m3u8', 'a.b/master.m3u8', 'abc/720p/seg-1.ts', 'abc/720p/seg--1.m4s', 'abc/720p/part-1.m4s', 'abc/a/b/seg-1.m4s', 'abc/720p/seg-1.m4s?x']) {
      assert.equal(parseHlsPath(p), null, p);
    }
  });
});
