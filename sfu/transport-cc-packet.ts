/**
 * Serializes one RTCP transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01, RTPFB FMT 15): which
 * transport sequence numbers arrived and when, so the publisher's send-side
 * bandwidth estimator (Chromium's GCC) sees queueing delay and loss.
 * werift's own builder rounds the reference time without rounding the first
 * delta (every feedback shifts arrival times by up to 64 ms, which GCC reads
 * as congestion: pitfall 7) and truncates the RTCP length; this one follows
 * libwebrtc's TransportFeedback.
 */

/** What the receiver reports: `count` packets from `baseSequence` on, arrival times in ms (a negative value: not received). */
export interface TransportCcReport {
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  /** 16-bit transport sequence number of arrivals[0]. */
  readonly baseSequence: number;
  readonly arrivalsMs: ArrayLike<number>;
  readonly count: number;
  /** 8-bit feedback packet counter. */
  readonly feedbackCount: number;
}

export interface TransportCcPacket {
  readonly packet: Buffer;
  /** How many of `count` packets it covers: fewer when an arrival gap does not fit a 16-bit delta (the rest goes in the next one). */
  readonly covered: number;
}

const RTPFB = 205;
const FMT_TRANSPORT_CC = 15;
const HEADER_BYTES = 20;
/** Receive deltas are in 250 µs ticks; the reference time in 64 ms units (256 ticks). */
const TICKS_PER_MS = 4;
const TICKS_PER_REFERENCE = 256;

const NOT_RECEIVED = 0;
const SMALL_DELTA = 1;
const LARGE_DELTA = 2;

/** Returns undefined when no packet of the range was received (nothing to anchor the reference time on). */
export function writeTransportCcFeedback(report: TransportCcReport): TransportCcPacket | undefined {
  const { arrivalsMs } = report;
  let first = -1;
  for (let i = 0; i < report.count; i++) {
    if (arrivalsMs[i]! >= 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return undefined;

  // Reference time from the first arrival, and every delta from the rounded reference, so rounding never accumulates.
  const referenceUnits = Math.floor(arrivalsMs[first]! / 64);
  let previousTicks = referenceUnits * TICKS_PER_REFERENCE;
  const symbols = new Uint8Array(report.count);
  const deltas = new Int32Array(report.count);
  let deltaBytes = 0;
  let covered = 0;
  let lastReceived = -1;
  for (let i = 0; i < report.count; i++) {
    const arrival = arrivalsMs[i]!;
    if (arrival < 0) {
      symbols[i] = NOT_RECEIVED;
      covered = i + 1;
      continue;
    }
    const ticks = Math.round(arrival * TICKS_PER_MS);
    const delta = ticks - previousTicks;
    if (delta >= 0 && delta <= 0xff) {
      symbols[i] = SMALL_DELTA;
      deltaBytes += 1;
    } else if (delta >= -0x8000 && delta <= 0x7fff) {
      symbols[i] = LARGE_DELTA;
      deltaBytes += 2;
    } else {
      break; // more than ~8 s apart: starts the next feedback
    }
    deltas[i] = delta;
    previousTicks = ticks;
    covered = i + 1;
    lastReceived = i;
  }
  // A feedback ends at a received packet: trailing losses are reported once something after them arrives.
  const statusCount = lastReceived + 1;
  covered = Math.min(covered, statusCount);

  const chunks = encodeChunks(symbols, statusCount);
  const unpadded = HEADER_BYTES + chunks.length * 2 + deltaBytes;
  const padding = (4 - (unpadded % 4)) % 4;
  const packet = Buffer.alloc(unpadded + padding);
  packet[0] = 0x80 | (padding > 0 ? 0x20 : 0) | FMT_TRANSPORT_CC;
  packet[1] = RTPFB;
  packet.writeUInt16BE(packet.length / 4 - 1, 2);
  packet.writeUInt32BE(report.senderSsrc >>> 0, 4);
  packet.writeUInt32BE(report.mediaSsrc >>> 0, 8);
  packet.writeUInt16BE(report.baseSequence & 0xffff, 12);
  packet.writeUInt16BE(statusCount, 14);
  packet.writeUIntBE(referenceUnits & 0xffffff, 16, 3);
  packet[19] = report.feedbackCount & 0xff;
  let o = HEADER_BYTES;
  for (const chunk of chunks) {
    packet.writeUInt16BE(chunk, o);
    o += 2;
  }
  for (let i = 0; i < statusCount; i++) {
    if (symbols[i] === SMALL_DELTA) packet[o++] = deltas[i]!;
    else if (symbols[i] === LARGE_DELTA) {
      packet.writeInt16BE(deltas[i]!, o);
      o += 2;
    }
  }
  if (padding > 0) packet[packet.length - 1] = padding;
  return { packet, covered };
}

/**
 * Packet status chunks: a run-length chunk for 14+ equal symbols, otherwise a
 * one-bit status vector (14 symbols) when they are all "not received / small
 * delta", else a two-bit vector (7 symbols). Symbols past the end are padding
 * the receiver ignores (it knows the status count).
 */
function encodeChunks(symbols: Uint8Array, count: number): number[] {
  const chunks: number[] = [];
  let i = 0;
  while (i < count) {
    const symbol = symbols[i]!;
    let run = 1;
    while (i + run < count && symbols[i + run] === symbol && run < 0x1fff) run++;
    if (run >= 14) {
      chunks.push((symbol << 13) | run);
      i += run;
      continue;
    }
    let oneBit = true;
    for (let j = i; j < Math.min(count, i + 14); j++) if (symbols[j]! > SMALL_DELTA) oneBit = false;
    if (oneBit) {
      let chunk = 0x8000;
      for (let j = 0; j < 14; j++) if (i + j < count && symbols[i + j] === SMALL_DELTA) chunk |= 1 << (13 - j);
      chunks.push(chunk);
      i += 14;
    } else if (run >= 7) {
      chunks.push((symbol << 13) | run);
      i += run;
    } else {
      let chunk = 0xc000;
      for (let j = 0; j < 7; j++) if (i + j < count) chunk |= symbols[i + j]! << (2 * (6 - j));
      chunks.push(chunk);
      i += 7;
    }
  }
  return chunks;
}
