import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestError } from '../errors.ts';
import { checkSdpOffer } from './sdp-offer.ts';

const MINIMAL_OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=fingerprint:sha-256 AA:BB',
  'a=ice-ufrag:abcd',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  '',
].join('\r\n');

describe('checkSdpOffer', () => {
  test('accepts a structurally sound offer and reports its ICE ufrag', () => {
    assert.deepEqual(checkSdpOffer(MINIMAL_OFFER), { iceUfrag: 'abcd', mediaCount: 1 });
  });

  for (const [name, body, fragment] of [
    ['an empty body', '', 'empty SDP offer'],
    ['JSON instead of SDP', '{"sdp":"v=0"}', 'first line must be "v=0"'],
    ['an offer without media', 'v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\na=fingerprint:sha-256 AA\r\n', 'no m= section'],
    ['an offer without DTLS fingerprint', 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n', 'no a=fingerprint'],
  ] as const) {
    test(`rejects ${name} with a one-line reason`, () => {
      assert.throws(
        () => checkSdpOffer(body),
        (err: unknown) => err instanceof BadRequestError && err.message.includes(fragment) && !err.message.includes('\n'),
      );
    });
  }
});
