import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { missedRtpPackets, parseLogLine, parseProgressLine, splitLines } from './ffmpeg-log.ts';

describe('ffmpeg-log', () => {
  test('reads the progress line', () => {
    const line = 'frame=  196 fps= 31 q=-1.0 q=26.0 size=     730kB time=00:01:06.50 bitrate= 869.6kbits/s dup=2 drop=1 speed=1.04x    ';
    assert.deepEqual(parseProgressLine(line), { frame: 196, fps: 31, timeSec: 66.5, bitrateKbps: 869.6, speed: 1.04, dup: 2, drop: 1 });
    assert.equal(parseProgressLine('[info] Stream mapping:'), null);
  });

  test('reads N/A figures as absent', () => {
    assert.deepEqual(parseProgressLine('size=N/A time=00:00:01.00 bitrate=N/A speed=N/A'), { timeSec: 1 });
  });

  test('reads tagged log lines with and without a component', () => {
    assert.deepEqual(parseLogLine('[mp4 @ 0x1b200440] [warning] Invalid DTS: 18000'), { level: 'warning', component: 'mp4', message: 'Invalid DTS: 18000' });
    assert.deepEqual(parseLogLine('[error] pipe:3: Broken pipe'), { level: 'error', component: '', message: 'pipe:3: Broken pipe' });
    assert.equal(parseLogLine('plain text').level, 'unknown');
  });

  test('counts RTP packets ffmpeg reports missing', () => {
    assert.equal(missedRtpPackets('RTP: missed 17 packets'), 17);
    assert.equal(missedRtpPackets('RTP: PT=60: bad cseq'), 0);
  });

  test('splits on carriage returns and keeps the partial tail', () => {
    const a = splitLines('', 'frame=1 time=00:00:00.03\rframe=2 ti');
    assert.deepEqual(a.lines, ['frame=1 time=00:00:00.03']);
    const b = splitLines(a.tail, 'me=00:00:00.06\r\n[error] boom\n');
    assert.deepEqual(b.lines, ['frame=2 time=00:00:00.06', '[error] boom']);
    assert.equal(b.tail, '');
  });
});
