/**
 * The abs-send-time RTP header extension value (24-bit, seconds in 6.18 fixed
 * point, wrapping every 64 s): written when a packet leaves, it lets the
 * viewer's browser estimate bandwidth from send/arrival spacing and report REMB.
 */

/** Writes the current time into a 3-byte buffer (no allocation: called per packet). */
export function writeAbsSendTime(buf: Buffer, nowMs: number = performance.timeOrigin + performance.now()): void {
  const v = Math.floor(nowMs * 262.144) & 0xffffff;
  buf[0] = v >>> 16;
  buf[1] = (v >>> 8) & 0xff;
  buf[2] = v & 0xff;
}
