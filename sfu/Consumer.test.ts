/**
 * Packet-level rules of the forward path, on real werift tracks and senders
 * with recording DTLS transports (sfu/testing/forwarding-rig.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { GenericNack, PictureLossIndication, RtcpPayloadSpecificFeedback, RtcpSrPacket, RtcpTransportLayerFeedback } from 'werift';
import { setLogLevel } from '../signaling/logger.ts';
import { DELTA, ForwardingRig, KEYFRAME } from './testing/forwarding-rig.ts';

const isPli = (p: unknown): boolean =>
  p instanceof RtcpPayloadSpecificFeedback && p.feedback.count === PictureLossIndication.count;

describe('Consumer forwarding', () => {
  let rig: ForwardingRig;

  beforeEach(() => {
    setLogLevel('warn');
  });

  afterEach(() => {
    rig?.close();
  });

  test("rewrites SSRC, payload type and extension ids to the viewer's (pitfalls 5 and 6)", () => {
    rig = new ForwardingRig();
    const a = rig.addViewer();
    const b = rig.addViewer();
    rig.receive('', 100, 9000, KEYFRAME);
    const sent = a.dtls.rtp[0]!;
    assert.equal(sent.ssrc, a.sender.ssrc);
    assert.notEqual(a.sender.ssrc, b.sender.ssrc);
    assert.equal(sent.payloadType, 96);
    // mid is the viewer's own (id 3, "1"), abs-send-time is written here (id 5), the audio level moves from id 1 to 7;
    // the publisher's mid (id 4) and any rid never reach the viewer.
    assert.deepEqual(sent.extensions.map((e) => e.id).sort(), [3, 5, 7]);
    assert.equal(sent.extensions.find((e) => e.id === 3)!.payload.toString(), '1');
    assert.deepEqual([...sent.extensions.find((e) => e.id === 7)!.payload], [0x90]);
    assert.equal(sent.extensions.find((e) => e.id === 5)!.payload.length, 3);
  });

  test('video starts at a keyframe, and a joining viewer asks the publisher for one', () => {
    rig = new ForwardingRig();
    const viewer = rig.addViewer();
    assert.equal(rig.publisherDtls.rtcp.filter(isPli).length, 0, 'no PLI before the layer SSRC is known');
    rig.receive('', 1, 0, DELTA);
    rig.receive('', 2, 0, DELTA);
    assert.equal(viewer.dtls.rtp.length, 0, 'delta frames before the first keyframe are held back');
    viewer.consumer.requestKeyFrame();
    assert.equal(rig.publisherDtls.rtcp.filter(isPli).length, 1, 'a PLI for the publisher SSRC');
    rig.receive('', 3, 3000, KEYFRAME);
    rig.receive('', 4, 3000, DELTA);
    assert.equal(viewer.dtls.rtp.length, 2);
    const [first, second] = viewer.dtls.rtp;
    assert.equal((second!.sequenceNumber - first!.sequenceNumber) & 0xffff, 1);
  });

  test('sequence numbers stay gapless and timestamps move forward across a simulcast switch at a keyframe', () => {
    rig = new ForwardingRig({ rids: ['low', 'high'] });
    const viewer = rig.addViewer('low');
    const layers: Array<string | null> = [];
    viewer.consumer.on('layerchange', (rid) => layers.push(rid));
    // Layers have unrelated sequence and timestamp bases, as in Chromium.
    rig.receive('low', 5000, 100_000, KEYFRAME);
    rig.receive('low', 5001, 103_000, DELTA);
    rig.receive('high', 40000, 7_000_000, KEYFRAME);
    assert.equal(viewer.dtls.rtp.length, 2, 'the high layer is not forwarded to a low viewer');

    viewer.consumer.setPreference('high');
    rig.receive('low', 5002, 106_000, DELTA); // still low until the high keyframe
    rig.receive('high', 40001, 7_003_000, DELTA); // not a keyframe: no switch yet
    rig.receive('high', 40002, 7_006_000, KEYFRAME); // switch here
    rig.receive('low', 5003, 109_000, DELTA); // old layer no longer forwarded
    rig.receive('high', 40003, 7_009_000, DELTA);
    assert.deepEqual(layers, ['low', 'high']);
    const seqs = viewer.dtls.rtp.map((p) => p.sequenceNumber);
    assert.equal(seqs.length, 5);
    for (let i = 1; i < seqs.length; i++) assert.equal((seqs[i]! - seqs[i - 1]!) & 0xffff, 1, `gapless at ${i}: ${seqs.join(',')}`);
    const ts = viewer.dtls.rtp.map((p) => p.timestamp);
    for (let i = 1; i < ts.length; i++) assert.ok(((ts[i]! - ts[i - 1]!) | 0) > 0, `timestamps move forward: ${ts.join(',')}`);
    assert.equal((ts[4]! - ts[3]!) | 0, 3000, 'after the switch the new layer keeps its own spacing');
    assert.equal(viewer.consumer.currentLayer, 'high');
  });

  test("sender reports are the publisher's, moved onto the viewer's timeline (pitfall 8)", () => {
    rig = new ForwardingRig();
    const viewer = rig.addViewer();
    rig.receive('', 10, 90_000, KEYFRAME);
    const offset = (viewer.dtls.rtp[0]!.timestamp - 90_000) >>> 0;
    const ntp = (3_900_000_000n << 32n) | 0x80000000n;
    rig.senderReport('', ntp, 95_000);
    const reports = viewer.dtls.rtcp.filter((p): p is RtcpSrPacket => p instanceof RtcpSrPacket);
    assert.equal(reports.length, 1);
    const sr = reports[0]!;
    assert.equal(sr.ssrc, viewer.sender.ssrc);
    assert.equal(sr.senderInfo.ntpTimestamp, ntp, "the publisher's NTP time");
    assert.equal(sr.senderInfo.rtpTimestamp, (95_000 + offset) >>> 0, 'its RTP time plus this viewer’s offset');
    assert.equal(sr.senderInfo.packetCount, 1, "this viewer's own packet count");
  });

  test("after a simulcast switch, sender reports are the new layer's, moved by the new offset", () => {
    rig = new ForwardingRig({ rids: ['low', 'high'] });
    const viewer = rig.addViewer('low');
    const reports = (): RtcpSrPacket[] => viewer.dtls.rtcp.filter((p): p is RtcpSrPacket => p instanceof RtcpSrPacket);
    const ntp = 3_900_000_000n << 32n;
    // Layers have unrelated RTP bases; each layer's report maps the same NTP instant to its own base.
    rig.receive('low', 5000, 100_000, KEYFRAME);
    rig.receive('high', 40000, 7_000_000, KEYFRAME);
    rig.senderReport('low', ntp, 100_000);
    rig.senderReport('high', ntp, 7_000_000);
    assert.equal(reports().length, 1, 'only the forwarded layer is reported');
    const lowOffset = (viewer.dtls.rtp[0]!.timestamp - 100_000) >>> 0;
    assert.equal(reports()[0]!.senderInfo.rtpTimestamp, (100_000 + lowOffset) >>> 0);

    viewer.consumer.setPreference('high');
    rig.receive('high', 40001, 7_003_000, KEYFRAME);
    const switched = viewer.dtls.rtp.at(-1)!;
    const highOffset = (switched.timestamp - 7_003_000) >>> 0;
    assert.notEqual(highOffset, lowOffset);
    const sr = reports().at(-1)!;
    assert.equal(reports().length, 2, 'a fresh report right after the switch');
    assert.equal(sr.senderInfo.ntpTimestamp, ntp);
    assert.equal(sr.senderInfo.rtpTimestamp, (7_000_000 + highOffset) >>> 0, "the high layer's report on the viewer's new timeline");
  });

  test("the publisher's padding-only probes never reach the viewer, and its sequence has no hole where they were", () => {
    rig = new ForwardingRig();
    const viewer = rig.addViewer();
    const recorded: number[] = [];
    rig.producer.on('rtp', (p) => recorded.push(p.header.sequenceNumber));
    const PADDING = Buffer.alloc(0);
    rig.receive('', 699, 0, PADDING); // before any keyframe: nothing to continue
    rig.receive('', 700, 3000, KEYFRAME);
    // Chromium probes on the media SSRC between frames when RTX is not negotiated.
    rig.receive('', 701, 3000, PADDING);
    rig.receive('', 702, 3000, PADDING);
    rig.receive('', 703, 6000, DELTA);
    const sent = viewer.dtls.rtp;
    assert.deepEqual(sent.map((p) => p.payload.length), [KEYFRAME.length, DELTA.length]);
    assert.equal((sent[1]!.sequenceNumber - sent[0]!.sequenceNumber) & 0xffff, 1, 'gapless');
    assert.deepEqual(recorded, [699, 700], "'rtp' listeners (pipes, recorders) get the same numbering, media only");
  });

  test('a packet resent late goes out in its own slot, between the packets around it', () => {
    rig = new ForwardingRig();
    const viewer = rig.addViewer();
    rig.receive('', 10, 3000, KEYFRAME);
    rig.receive('', 11, 3000, Buffer.alloc(0)); // padding: taken out of the numbering
    rig.receive('', 13, 6000, DELTA); // 12 lost: it may be media, so it keeps a slot
    rig.receive('', 14, 6000, DELTA);
    rig.receive('', 12, 6000, DELTA); // the resend
    rig.receive('', 12, 6000, DELTA); // a duplicate resend
    const seqs = viewer.dtls.rtp.map((p) => p.sequenceNumber);
    const base = seqs[0]!;
    assert.deepEqual(seqs.map((s) => (s - base) & 0xffff), [0, 2, 3, 1]);
  });

  test('a viewer NACK is answered from its cache with the original sequence number and timestamp', () => {
    rig = new ForwardingRig();
    const lossy = rig.addViewer();
    const clean = rig.addViewer();
    rig.receive('', 200, 1000, KEYFRAME);
    rig.receive('', 201, 1000, DELTA);
    rig.receive('', 202, 4000, DELTA);
    const lost = lossy.dtls.rtp[1]!;
    lossy.sender.handleRtcpPacket(
      new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: lossy.sender.ssrc, lost: [lost.sequenceNumber] }) }),
    );
    assert.equal(lossy.dtls.rtp.length, 4);
    const resent = lossy.dtls.rtp[3]!;
    assert.equal(resent.sequenceNumber, lost.sequenceNumber);
    assert.equal(resent.timestamp, lost.timestamp);
    assert.deepEqual(resent.payload, lost.payload);
    // Same SRTP index as the first time, so the same key stream: identical ciphertext (the header's abs-send-time is new).
    const ciphertext = (d: Buffer): Buffer => d.subarray(d.length - 16 - lost.payload.length, d.length - 16);
    assert.deepEqual(ciphertext(lossy.dtls.datagrams[3]!), ciphertext(lossy.dtls.datagrams[1]!));
    assert.equal(lossy.consumer.stats.retransmits, 1);
    assert.equal(clean.dtls.rtp.length, 3, 'other viewers are not affected');
  });

  test('PLIs from many viewers reach the publisher throttled', () => {
    rig = new ForwardingRig({ keyframeThrottleMs: 500 });
    const viewers = Array.from({ length: 50 }, () => rig.addViewer());
    rig.receive('', 1, 0, KEYFRAME);
    const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc: 0 }) });
    for (const v of viewers) v.sender.handleRtcpPacket(pli);
    assert.equal(rig.publisherDtls.rtcp.filter(isPli).length, 1, 'one PLI now, the rest collapse into one trailing request');
  });
});
