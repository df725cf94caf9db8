/**
 * RtpEgress on a recording stand-in for werift's DTLS transport (real SRTP keys,
 * datagrams decrypted by werift's receiver): what leaves, where it goes, and
 * when nothing may leave.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { writeRtpHeader } from './rtp-header.ts';
import { RtpEgress } from './RtpEgress.ts';
import { RecordingDtlsTransport } from './testing/forwarding-rig.ts';

function header(seq: number): { buf: Buffer; length: number } {
  const buf = Buffer.alloc(64, 0xee); // scratch longer than the header, as in Consumer
  return { buf, length: writeRtpHeader(buf, false, 96, seq, 1000 + seq, 0xcafe, [{ id: 3, payload: Buffer.from('0') }], 1, false) };
}

type Pair = { protocol: { type: string; transport?: { socket?: { send: (b: Buffer) => void }; closed?: boolean } }; remoteCandidate: { host: string; port: number } };
const pairOf = (dtls: RecordingDtlsTransport): Pair => dtls.iceTransport.connection.nominated as unknown as Pair;

describe('RtpEgress', () => {
  test('sends each packet SRTP-protected to the selected pair, header and payload intact', () => {
    const dtls = new RecordingDtlsTransport();
    const egress = new RtpEgress(dtls);
    const h = header(10);
    assert.equal(egress.send(h.buf, h.length, Buffer.from('hello')), true);
    assert.equal(dtls.rtp.length, 1);
    const [sent] = dtls.rtp;
    assert.equal(sent!.sequenceNumber, 10);
    assert.equal(sent!.ssrc, 0xcafe);
    assert.equal(sent!.payload.toString(), 'hello');
    assert.equal(dtls.datagrams[0]!.length, h.length + 5 + 16, 'header, payload and a 16-byte GCM tag');
  });

  test('sends nothing before DTLS is connected or without ICE consent', () => {
    const dtls = new RecordingDtlsTransport();
    const egress = new RtpEgress(dtls);
    const h = header(1);
    dtls.state = 'closed';
    assert.equal(egress.send(h.buf, h.length, Buffer.from('x')), false);
    dtls.state = 'connected';
    const connection = dtls.iceTransport.connection as { canSendApplicationData: () => boolean };
    connection.canSendApplicationData = () => false;
    assert.equal(egress.send(h.buf, h.length, Buffer.from('x')), false);
    assert.equal(dtls.datagrams.length, 0);
  });

  test('follows a newly selected pair, and leaves non-UDP pairs to werift', async () => {
    const dtls = new RecordingDtlsTransport();
    const egress = new RtpEgress(dtls);
    const first = pairOf(dtls);
    const viaSocket: Buffer[] = [];
    first.protocol.transport!.socket = { send: (b) => viaSocket.push(b) };
    egress.send(header(1).buf, header(1).length, Buffer.from('a'));
    assert.equal(viaSocket.length, 1);

    // A TCP pair: the datagram goes through werift's connection.send (which frames it).
    const viaWerift: Buffer[] = [];
    const connection = dtls.iceTransport.connection as { nominated: Pair; send: (b: Buffer) => Promise<void> };
    connection.send = async (b) => void viaWerift.push(b);
    connection.nominated = { protocol: { type: 'tcp' }, remoteCandidate: { host: '127.0.0.1', port: 9 } };
    egress.send(header(2).buf, header(2).length, Buffer.from('b'));
    assert.equal(viaWerift.length, 1);
    assert.equal(viaSocket.length, 1, 'not on the old pair any more');
  });
});
