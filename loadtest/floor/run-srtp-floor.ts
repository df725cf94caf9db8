/**
 * The fan-out floor: CPU µs per packet for only SRTP-protecting and sending, measured in a child
 * process with the sinks in another. Same packet count, pacing, packet size and SRTP profile as the
 * SFU step it sits beside.
 */
import { SRTP_AEAD_AES_128_GCM } from '../../sfu/SrtpProtector.ts';
import { WorkerProcess } from '../process/WorkerProcess.ts';
import type { SenderCommand, SenderEvent, SinkCommand, SinkEvent } from './floor-messages.ts';

export interface SrtpFloorOptions {
  /** Number of sinks (viewers), each with its own socket and SRTP keys. */
  readonly sinks: number;
  readonly incomingPacketsPerSecond: number;
  readonly durationMs: number;
  /** RTP packet size before protection (header + payload); default 1,100. */
  readonly packetBytes?: number;
  /** DTLS-SRTP profile id; default AEAD_AES_128_GCM, which werift and Chromium viewers negotiate with the SFU. */
  readonly srtpProfile?: number;
}

export interface SrtpFloorResult {
  readonly sinks: number;
  readonly packetsSent: number;
  readonly warmupPackets: number;
  /** Received by the sinks, warm-up included (compare with packetsSent + warmupPackets). */
  readonly packetsReceived: number;
  readonly cpuUs: number;
  readonly usPerPacket: number;
  readonly wallMs: number;
  readonly packetBytes: number;
  readonly srtpProfile: number;
}

export async function runSrtpFloor(opts: SrtpFloorOptions): Promise<SrtpFloorResult> {
  const packetBytes = opts.packetBytes ?? 1_100;
  const srtpProfile = opts.srtpProfile ?? SRTP_AEAD_AES_128_GCM;
  const lifetimeMs = opts.durationMs + 30_000;
  const sink = new WorkerProcess<SinkCommand, SinkEvent>(new URL('./udp-sink-worker.ts', import.meta.url), 'floor UDP sink');
  const sender = new WorkerProcess<SenderCommand, SenderEvent>(new URL('./floor-sender-worker.ts', import.meta.url), 'floor SRTP sender');
  try {
    sink.send({ type: 'start', sockets: opts.sinks, lifetimeMs });
    const { ports } = await sink.next('ready', 15_000);
    sender.send({
      type: 'start',
      sinkPorts: ports,
      incomingPacketsPerSecond: opts.incomingPacketsPerSecond,
      durationMs: opts.durationMs,
      packetBytes,
      srtpProfile,
      lifetimeMs,
    });
    const sent = await sender.next('report', opts.durationMs + 20_000);
    sink.send({ type: 'stop' });
    const got = await sink.next('report', 10_000);
    const cpuUs = sent.cpuUserUs + sent.cpuSystemUs;
    return {
      sinks: opts.sinks,
      packetsSent: sent.packets,
      warmupPackets: sent.warmupPackets,
      packetsReceived: got.received,
      cpuUs,
      usPerPacket: sent.packets ? cpuUs / sent.packets : Number.NaN,
      wallMs: sent.wallMs,
      packetBytes,
      srtpProfile,
    };
  } finally {
    await Promise.all([sender.stop(3_000), sink.stop(3_000)]);
  }
}
