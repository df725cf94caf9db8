/**
 * Child-process entry for the floor: what an SFU cannot avoid per forwarded packet. For every
 * packet "arriving from the publisher" (paced at the publisher's measured rate), each sink gets
 * its own copy with its own SSRC and sequence number, SRTP-protected with its own keys by the
 * SFU's own protector (sfu/SrtpProtector.ts, same profile), sent from its own socket (as one
 * transport per viewer) the way the SFU sends: no completion callback. Reports the process's
 * CPU time for the run.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SrtpProtector, SRTP_AEAD_AES_128_GCM } from '../../sfu/SrtpProtector.ts';
import { boundLifetime, onParentMessage, sendToParent } from '../process/parent-channel.ts';
import type { SenderCommand, SenderEvent, SenderStart } from './floor-messages.ts';

interface Leg {
  readonly socket: Socket;
  readonly port: number;
  readonly protector: SrtpProtector;
  readonly header: Buffer;
  seq: number;
}

const legs: Leg[] = [];

async function closeAll(): Promise<void> {
  for (const leg of legs.splice(0)) leg.socket.close();
}

async function run(cmd: SenderStart): Promise<void> {
  boundLifetime(cmd.lifetimeMs, closeAll);
  const payload = randomBytes(Math.max(1, cmd.packetBytes - 12));
  for (const port of cmd.sinkPorts) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = 96;
    header.writeUInt32BE(randomBytes(4).readUInt32BE(0), 8);
    const protector = new SrtpProtector(cmd.srtpProfile, randomBytes(16), randomBytes(cmd.srtpProfile === SRTP_AEAD_AES_128_GCM ? 12 : 14));
    legs.push({ socket, port, protector, header, seq: randomBytes(2).readUInt16BE(0) });
  }
  const periodMs = 1000 / cmd.incomingPacketsPerSecond;
  const sendOne = (incoming: number): void => {
    const timestamp = Math.floor(incoming * periodMs * 90) >>> 0;
    for (const leg of legs) {
      leg.seq = (leg.seq + 1) & 0xffff;
      leg.header.writeUInt16BE(leg.seq, 2);
      leg.header.writeUInt32BE(timestamp, 4);
      leg.socket.send(leg.protector.protect(leg.header, payload), leg.port, '127.0.0.1');
    }
  };

  // Warm-up (not measured): the SFU it is compared with is already JIT-compiled and running.
  const warmupPackets = (await paced(periodMs, Math.min(1_000, cmd.durationMs), sendOne)) * legs.length;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const incomingCount = await paced(periodMs, cmd.durationMs, sendOne);
  const packets = incomingCount * legs.length;

  // Let queued sends complete so their cost is inside the measurement.
  await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  await closeAll();
  await sendToParent<SenderEvent>({ type: 'report', packets, warmupPackets, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, wallMs });
  process.exit(0);
}

/** Calls onIncoming(i) for i = 0, 1, … at one per periodMs (catching up after late timers) for durationMs; returns the count. */
function paced(periodMs: number, durationMs: number, onIncoming: (i: number) => void): Promise<number> {
  const total = Math.ceil(durationMs / periodMs);
  const t0 = performance.now();
  let done = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      const due = Math.min(Math.floor(elapsed / periodMs) + 1, total);
      for (; done < due; done++) onIncoming(done);
      if (done >= total) {
        resolve(done);
        return;
      }
      setTimeout(tick, Math.max(0, done * periodMs - (performance.now() - t0)));
    };
    tick();
  });
}

onParentMessage<SenderCommand>((cmd) => {
  void run(cmd);
});
