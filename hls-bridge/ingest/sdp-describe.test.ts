import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeSdp } from './sdp-describe.ts';

describe('describeSdp', () => {
  test('describes each track on its port with the publisher payload type, fmtp and a loopback source filter', () => {
    const sdp = describeSdp([
      { kind: 'video', port: 50000, codec: { mimeType: 'video/H264', clockRate: 90000, payloadType: 102, fmtp: 'packetization-mode=1;profile-level-id=42e01f' } },
      { kind: 'audio', port: 50002, codec: { mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 } },
    ]);
    assert.match(sdp, /m=video 50000 RTP\/AVP 102\r\na=rtpmap:102 H264\/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\na=source-filter: incl IN IP4 \* 127\.0\.0\.1\r\n/);
    assert.match(sdp, /m=audio 50002 RTP\/AVP 111\r\na=rtpmap:111 opus\/48000\/2\r\n/);
  });

  test('keeps a hostile fmtp on one line and refuses a malformed codec name', () => {
    const sdp = describeSdp([{ kind: 'video', port: 50000, codec: { mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, fmtp: 'x=1\r\nm=application 9 RTP/AVP 0' } }]);
    assert.equal(sdp.split('\r\n').filter((l) => l.startsWith('m=')).length, 1);
    assert.throws(() => describeSdp([{ kind: 'video', port: 1, codec: { mimeType: 'video/VP8 1', clockRate: 90000, payloadType: 96 } }]), TypeError);
  });
});
