import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIceFragment } from './ice-fragment.ts';

describe('parseIceFragment', () => {
  test('reads credentials and addresses each candidate by its m-line and mid', () => {
    const body = [
      'a=ice-ufrag:EsAw',
      'a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host',
      'a=mid:0',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:1',
      'a=candidate:2 1 udp 2122260223 192.0.2.1 61765 typ host',
      'a=end-of-candidates',
      '',
    ].join('\r\n');
    const fragment = parseIceFragment(body);
    assert.equal(fragment.iceUfrag, 'EsAw');
    assert.equal(fragment.icePwd, 'P2uYro0UCOQ4zxjKXaWCBui1');
    assert.equal(fragment.endOfCandidates, true);
    assert.deepEqual(fragment.candidates, [
      { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:2 1 udp 2122260223 192.0.2.1 61765 typ host', sdpMid: '1', sdpMLineIndex: 1 },
    ]);
  });

  test('an empty fragment yields no candidates', () => {
    const fragment = parseIceFragment('');
    assert.deepEqual(fragment.candidates, []);
    assert.equal(fragment.iceUfrag, undefined);
    assert.equal(fragment.endOfCandidates, false);
  });
});
