/**
 * A PipeSender and a PipeReceiver joined by real UDP sockets, fed by a
 * Producer whose publisher leg is recorded (sfu/testing/forwarding-rig):
 * packets keep their numbering across the pipe, NACKs are answered by the
 * upstream end's cache, and keyframe requests are throttled at each hop.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PictureLossIndication, RtcpPayloadSpecificFeedback, type RtpPacket } from 'werift';
import { setLogLevel } from '../../signaling/logger.ts';
import { DELTA, ForwardingRig, KEYFRAME } from '../testing/forwarding-rig.ts';
import { PipeReceiver } from './PipeReceiver.ts';
import { PipeSender } from './PipeSender.ts';
import { PipeTransport } from './PipeTransport.ts';

interface Ctx {
  rig: ForwardingRig;
  sender: PipeSender;
  receiver: PipeReceiver;
}

function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function plisTo(rig: ForwardingRig): number {
  return rig.publisherDtls.rtcp.filter((p) => p.type === RtcpPayloadSpecificFeedback.type && p.feedback.count === PictureLossIndication.count).length;
}

describe('PipeSender → PipeReceiver', () => {
  const ctx = {} as Ctx;

  beforeEach(async () => {
    setLogLevel('error');
    ctx.rig = new ForwardingRig({ keyframeThrottleMs: 330 });
    const options = { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', label: 'rig' };
    const up = await PipeTransport.create(options);
    const down = await PipeTransport.create(options);
    up.connect(down.localTuple);
    down.connect(up.localTuple);
    const source = { id: 'rig', closed: false, producers: [ctx.rig.producer] };
    ctx.sender = new PipeSender(source, up);
    ctx.receiver = new PipeReceiver({ transport: down, description: ctx.sender.description, keyframeThrottleMs: 330 });
  });

  afterEach(() => {
    ctx.sender.close();
    ctx.receiver.close();
    ctx.rig.close();
  });

  test('packets arrive downstream with the publisher sequence numbers, timestamps and payload', async () => {
    const got: RtpPacket[] = [];
    ctx.receiver.producers[0]!.on('rtp', (p) => got.push(p as RtpPacket));
    ctx.rig.receive('', 500, 9000, KEYFRAME);
    ctx.rig.receive('', 501, 9000, DELTA);
    await waitFor(() => got.length === 2, 2000, 'two packets');
    assert.deepEqual(got.map((p) => [p.header.sequenceNumber, p.header.timestamp, p.header.payloadType]), [
      [500, 9000, 102],
      [501, 9000, 102],
    ]);
    assert.deepEqual(got[0]!.payload, KEYFRAME);
    assert.equal(got[0]!.header.ssrc, ctx.sender.description.producers[0]!.layers[0]!.ssrc);
  });

  test('a packet lost on the pipe is NACKed downstream and resent from the upstream cache, not asked of the publisher', async () => {
    const got = new Set<number>();
    ctx.receiver.producers[0]!.on('rtp', (p) => got.add(p.header.sequenceNumber));
    // Lose seq 11 on the wire, once: the first send of it goes nowhere.
    const transport = ctx.sender.transport;
    const send = transport.sendRtp.bind(transport);
    let dropped = false;
    transport.sendRtp = (data: Buffer): void => {
      if (!dropped && data.readUInt16BE(2) === 11) {
        dropped = true;
        return;
      }
      send(data);
    };
    for (let seq = 10; seq <= 14; seq++) ctx.rig.receive('', seq, 3000 * seq, seq === 10 ? KEYFRAME : DELTA);
    await waitFor(() => got.has(11), 3000, 'the retransmission of seq 11');
    assert.equal(dropped, true);
    assert.ok(ctx.sender.stats.retransmits >= 1, 'the upstream end answered from its cache');
    const nacksToPublisher = ctx.rig.publisherDtls.rtcp.filter((p) => p.type === 205);
    assert.equal(nacksToPublisher.length, 0, 'the publisher was not asked: its packets all arrived upstream');
  });

  test('keyframe requests from many downstream viewers reach the publisher throttled at each hop', async () => {
    ctx.rig.receive('', 1, 3000, KEYFRAME); // both ends learn their SSRCs
    await waitFor(() => ctx.receiver.producers[0]!.layers[0]!.ssrc !== undefined, 2000, 'the downstream producer to see a packet');
    const before = plisTo(ctx.rig);
    for (let i = 0; i < 30; i++) ctx.receiver.producers[0]!.requestKeyFrame();
    await sleep(500);
    const upstreamRequests = ctx.sender.stats.keyframeRequests;
    const publisherPlis = plisTo(ctx.rig) - before;
    assert.ok(upstreamRequests >= 1 && upstreamRequests <= 2, `the pipe carried ${upstreamRequests} PLIs for 30 requests`);
    assert.ok(publisherPlis >= 1 && publisherPlis <= 2, `the publisher got ${publisherPlis} PLIs`);
  });

  test('closing the upstream end closes the downstream producers', async () => {
    const producer = ctx.receiver.producers[0]!;
    ctx.sender.close('publisher left');
    await waitFor(() => producer.closed, 2000, 'the downstream producer to close');
    assert.equal(ctx.receiver.closed, true);
  });

  test('sender reports cross the pipe with the publisher clock', async () => {
    const reports: bigint[] = [];
    ctx.receiver.producers[0]!.on('senderreport', (r) => reports.push(r.ntpTimestamp));
    ctx.rig.receive('', 1, 3000, KEYFRAME);
    await waitFor(() => ctx.receiver.producers[0]!.layers[0]!.ssrc !== undefined, 2000, 'first packet');
    ctx.rig.senderReport('', 0x1234_5678_9abc_def0n, 3000);
    await waitFor(() => reports.length === 1, 2000, 'the report');
    assert.equal(reports[0], 0x1234_5678_9abc_def0n);
  });
});
