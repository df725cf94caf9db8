import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Platform } from '../platform.ts';
import type { CreatedStream } from '../protocol/messages.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

/** Passes the envelope checks; codec negotiation is the SFU's job. */
const OFFER_WITHOUT_USABLE_CODEC = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS',
  'm=video 9 UDP/TLS/RTP/SAVPF 120',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 3F:6B:2A:9C:0D:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendonly',
  'a=rtcp-mux',
  'a=rtpmap:120 NOTACODEC/90000',
  '',
].join('\r\n');

interface Ctx {
  platform: Platform;
  stream: CreatedStream;
}
const ctx = {} as Ctx;

function post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${ctx.platform.url}${path}`, { method: 'POST', headers, body });
}

async function expectTextError(res: Response, status: number, pattern: RegExp): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  assert.ok(!text.trim().includes('\n'), `reason must be one line: ${JSON.stringify(text)}`);
  assert.match(text, pattern);
}

describe('WHIP/WHEP error paths', () => {
  before(async () => {
    ctx.platform = await startTestPlatform();
    const res = await fetch(`${ctx.platform.url}/api/streams`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'whip errors' }),
    });
    ctx.stream = (await res.json()) as CreatedStream;
  });
  after(async () => {
    await ctx.platform.close();
  });

  test('a missing stream key answers 401 with WWW-Authenticate: Bearer', async () => {
    const res = await post(ctx.stream.whip, 'v=0\r\n', { 'Content-Type': 'application/sdp' });
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    await expectTextError(res, 401, /Bearer/);
  });

  test('a wrong stream key answers 401', async () => {
    const res = await post(ctx.stream.whip, 'v=0\r\n', { 'Content-Type': 'application/sdp', Authorization: 'Bearer sk_not-the-key' });
    await expectTextError(res, 401, /stream key/);
    assert.equal(ctx.platform.streams.info(ctx.stream.id).state, 'idle');
  });

  test('an unknown stream answers 404', async () => {
    const res = await post('/whip/noSuchStream', 'v=0\r\n', { 'Content-Type': 'application/sdp', Authorization: `Bearer ${ctx.stream.streamKey}` });
    await expectTextError(res, 404, /does not exist/);
  });

  test('a body that is not application/sdp answers 415', async () => {
    const res = await post(ctx.stream.whip, '{"sdp":"v=0"}', { 'Content-Type': 'application/json', Authorization: `Bearer ${ctx.stream.streamKey}` });
    await expectTextError(res, 415, /application\/sdp/);
  });

  test('a malformed offer answers 400 with a one-line reason and the stream stays idle', async () => {
    const auth = { 'Content-Type': 'application/sdp', Authorization: `Bearer ${ctx.stream.streamKey}` };
    await expectTextError(await post(ctx.stream.whip, 'hello', auth), 400, /v=0/);
    await expectTextError(await post(ctx.stream.whip, '', auth), 400, /empty SDP offer/);
    assert.equal(ctx.platform.streams.info(ctx.stream.id).state, 'idle');
  });

  test('an offer with no usable codec answers 400 from the SFU and the stream stays idle', async () => {
    const res = await post(ctx.stream.whip, OFFER_WITHOUT_USABLE_CODEC, {
      'Content-Type': 'application/sdp',
      Authorization: `Bearer ${ctx.stream.streamKey}`,
    });
    await expectTextError(res, 400, /codec/i);
    assert.equal(ctx.platform.streams.info(ctx.stream.id).state, 'idle');
  });

  test('OPTIONS answers the CORS preflight and advertises Accept-Post', async () => {
    const res = await fetch(`${ctx.platform.url}${ctx.stream.whip}`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://obs.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Location/);
    assert.equal(res.headers.get('accept-post'), 'application/sdp');
  });

  test('other methods on the WHIP endpoint answer 405 with Allow', async () => {
    const res = await fetch(`${ctx.platform.url}${ctx.stream.whip}`);
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /POST/);
    await res.text();
  });

  test('DELETE and PATCH on an unknown session answer 404; PATCH with the wrong type 415', async () => {
    const url = `${ctx.platform.url}${ctx.stream.whip}/no-such-session`;
    await expectTextError(await fetch(url, { method: 'DELETE' }), 404, /session/);
    await expectTextError(await fetch(url, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: '' }), 404, /session/);
    await expectTextError(await fetch(url, { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: '' }), 415, /trickle-ice-sdpfrag/);
  });

  test('WHEP: unknown stream 404, idle stream 409 with the reason, wrong type 415', async () => {
    await expectTextError(await post('/whep/noSuchStream', 'v=0\r\n', { 'Content-Type': 'application/sdp' }), 404, /does not exist/);
    await expectTextError(await post(ctx.stream.whep, 'v=0\r\n', { 'Content-Type': 'application/sdp' }), 409, /not live/);
    await expectTextError(await post(ctx.stream.whep, 'v=0\r\n', { 'Content-Type': 'text/plain' }), 415, /application\/sdp/);
  });
});
