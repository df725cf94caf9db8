import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addPart, addSegments, newPlaylist } from '../testing/playlist-feed.ts';
import { directivesSatisfied, parseDirectives, tooFarAhead } from './blocking-reload.ts';

const parse = (q: string) => parseDirectives(new URLSearchParams(q));

describe('parseDirectives', () => {
  test('reads _HLS_msn, _HLS_part and _HLS_skip', () => {
    assert.deepEqual(parse('_HLS_msn=12&_HLS_part=3&_HLS_skip=YES'), { ok: true, directives: { msn: 12, part: 3, skip: true } });
    assert.deepEqual(parse(''), { ok: true, directives: { skip: false } });
  });

  test('refuses nonsense values and a part without a segment number', () => {
    for (const q of ['_HLS_msn=abc', '_HLS_msn=-1', '_HLS_msn=1e3', '_HLS_msn=1&_HLS_part=x', '_HLS_part=2', '_HLS_skip=NO']) {
      assert.equal(parse(q).ok, false, q);
    }
  });
});

describe('blocking reload decisions', () => {
  test('a request for the next part waits until that part (or a later one) exists', () => {
    const p = newPlaylist();
    addSegments(p, 2);
    addPart(p, true);
    const next = { msn: 2, part: 1, skip: false };
    assert.equal(directivesSatisfied(p, next), false);
    addPart(p);
    assert.equal(directivesSatisfied(p, next), true);
  });

  test('a part past the end of a segment is satisfied by the first part of the next segment', () => {
    const p = newPlaylist();
    addSegments(p, 2);
    const beyond = { msn: 1, part: 6, skip: false };
    assert.equal(directivesSatisfied(p, beyond), false);
    addPart(p, true);
    assert.equal(directivesSatisfied(p, beyond), true);
  });

  test('a segment-only request waits for that segment to be complete', () => {
    const p = newPlaylist();
    addSegments(p, 1);
    addPart(p, true);
    assert.equal(directivesSatisfied(p, { msn: 1, skip: false }), false);
    addSegments(p, 1);
    assert.equal(directivesSatisfied(p, { msn: 1, skip: false }), true);
  });

  test('more than two segments ahead, or past the advance part limit, is too far', () => {
    const p = newPlaylist();
    addSegments(p, 3);
    addPart(p, true); // last part: 3.0
    assert.equal(tooFarAhead(p, { msn: 5, skip: false }), false);
    assert.equal(tooFarAhead(p, { msn: 6, skip: false }), true);
    assert.equal(tooFarAhead(p, { msn: 3, part: 5, skip: false }), false);
    // Advance Part Limit = 3 / 0.334 ≈ 8.98 parts; 6 parts per segment.
    assert.equal(tooFarAhead(p, { msn: 4, part: 2, skip: false }), false, '8 parts ahead');
    assert.equal(tooFarAhead(p, { msn: 4, part: 3, skip: false }), true, '9 parts ahead');
  });

  test('old segments and ended streams answer at once', () => {
    const p = newPlaylist('720p', 3);
    addSegments(p, 6);
    assert.equal(directivesSatisfied(p, { msn: 1, part: 0, skip: false }), true);
    p.end();
    assert.equal(directivesSatisfied(p, { msn: 7, part: 0, skip: false }), true);
  });
});
