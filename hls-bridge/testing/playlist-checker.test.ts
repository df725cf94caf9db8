import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkMediaPlaylist } from './playlist-checker.ts';

const HEADER = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-PART-INF:PART-TARGET=0.334',
  '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,CAN-SKIP-UNTIL=12',
  '#EXT-X-MEDIA-SEQUENCE:7',
  '#EXT-X-MAP:URI="init-1.mp4"',
];

const good = (): string[] => [
  ...HEADER,
  '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000Z',
  '#EXT-X-PART:DURATION=0.33333,URI="part-7.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PART:DURATION=0.3,URI="part-7.1.m4s"',
  '#EXTINF:0.63333,',
  'seg-7.m4s',
  '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.633Z',
  '#EXT-X-PART:DURATION=0.33333,URI="part-8.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8.1.m4s"',
];

describe('checkMediaPlaylist', () => {
  test('accepts a playlist that follows the rules', () => {
    assert.deepEqual(checkMediaPlaylist(good().join('\n')).errors, []);
  });

  test('flags a part longer than PART-TARGET, a missing PDT and a wrong preload hint', () => {
    const lines = good()
      .map((l) => l.replace('DURATION=0.3,', 'DURATION=0.4,'))
      .filter((l) => l !== '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.633Z')
      .map((l) => l.replace('part-8.1.m4s', 'part-9.0.m4s'));
    const errors = checkMediaPlaylist(lines.join('\n')).errors.join('\n');
    assert.match(errors, /part-7\.1\.m4s lasts 0\.4 s, more than PART-TARGET/);
    assert.match(errors, /segment 8 has no EXT-X-PROGRAM-DATE-TIME/);
    assert.match(errors, /preload hint part-9\.0\.m4s is not the next part part-8\.1\.m4s/);
  });

  test('flags a short non-final part, weak server control and a media sequence going back', () => {
    const prev = checkMediaPlaylist(good().join('\n')).playlist;
    const lines = good()
      .map((l) => l.replace('PART-HOLD-BACK=1.002', 'PART-HOLD-BACK=0.5'))
      .map((l) => l.replace('MEDIA-SEQUENCE:7', 'MEDIA-SEQUENCE:6'))
      .map((l) => l.replace('DURATION=0.33333,URI="part-7.0', 'DURATION=0.2,URI="part-7.0'));
    const errors = checkMediaPlaylist(lines.join('\n'), prev).errors.join('\n');
    assert.match(errors, /PART-HOLD-BACK 0\.5 is below/);
    assert.match(errors, /media sequence went back from 7 to 6/);
    assert.match(errors, /part-7\.0\.m4s lasts 0\.2 s, under 85%/);
  });
});
