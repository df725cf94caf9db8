/**
 * Child-process entry: UDP sockets on 127.0.0.1 that only count what arrives. They stand in for
 * the viewers of the SRTP floor, in their own process so the sender's CPU is measured alone.
 */
import { createSocket, type Socket } from 'node:dgram';
import { boundLifetime, onParentMessage, sendToParent } from '../process/parent-channel.ts';
import type { SinkCommand, SinkEvent } from './floor-messages.ts';

const sockets: Socket[] = [];
let received = 0;
let bytes = 0;

async function closeAll(): Promise<void> {
  for (const s of sockets.splice(0)) s.close();
}

async function start(count: number, lifetimeMs: number): Promise<void> {
  boundLifetime(lifetimeMs, closeAll);
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = createSocket('udp4');
    s.on('message', (msg) => {
      received++;
      bytes += msg.length;
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve());
    });
    // Room for bursts of one packet per sink without kernel drops.
    s.setRecvBufferSize(1 << 20);
    sockets.push(s);
    ports.push(s.address().port);
  }
  await sendToParent<SinkEvent>({ type: 'ready', ports });
}

onParentMessage<SinkCommand>((cmd) => {
  if (cmd.type === 'start') {
    void start(cmd.sockets, cmd.lifetimeMs);
    return;
  }
  // Let packets still in flight land before counting.
  setTimeout(() => {
    void closeAll()
      .then(() => sendToParent<SinkEvent>({ type: 'report', received, bytes }))
      .then(() => process.exit(0));
  }, 200);
});
