import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryFlag, watchStreamId } from './route-params.ts';

describe('watchStreamId', () => {
  test('takes the id from /watch/:id, with or without a trailing slash', () => {
    assert.equal(watchStreamId('/watch/abc_DEF-123'), 'abc_DEF-123');
    assert.equal(watchStreamId('/watch/abcd/'), 'abcd');
  });

  test('falls back to ?id=', () => {
    assert.equal(watchStreamId('/watch.html', '?id=abcd1234'), 'abcd1234');
  });

  test('rejects ids the server would never issue', () => {
    assert.equal(watchStreamId('/watch/a b c d'), null);
    assert.equal(watchStreamId('/watch/%E0%A4%A'), null);
    assert.equal(watchStreamId('/watch/abc'), null);
    assert.equal(watchStreamId('/watch/'), null);
  });
});

describe('queryFlag', () => {
  test('is on for ?x, ?x=1 and ?x=true, off for ?x=0, ?x=false and absence', () => {
    assert.equal(queryFlag('?debug', 'debug'), true);
    assert.equal(queryFlag('?debug=1', 'debug'), true);
    assert.equal(queryFlag('?a=2&debug=true', 'debug'), true);
    assert.equal(queryFlag('?debug=0', 'debug'), false);
    assert.equal(queryFlag('?debug=false', 'debug'), false);
    assert.equal(queryFlag('', 'debug'), false);
  });
});
