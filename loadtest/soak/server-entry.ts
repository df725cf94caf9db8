/**
 * Child-process entry running the whole platform for the soak, so its memory (RSS, heap) is the
 * server's alone and can be read from its /metrics. "start" → startLocalPlatform → "ready";
 * "stop" → close → "stopped" → exit. Exits by itself at the start message's lifetime or when
 * the parent goes away (boundLifetime), so a crashed soak leaves no server behind.
 */
import { startLocalPlatform, type LocalPlatform } from '../platform/start-local-platform.ts';
import { boundLifetime, onParentMessage, sendToParent } from '../process/parent-channel.ts';
import type { ServerCommand, ServerEvent, ServerStart } from './server-messages.ts';

let platform: LocalPlatform | undefined;

async function close(): Promise<void> {
  const p = platform;
  platform = undefined;
  await p?.close();
}

async function start(cmd: ServerStart): Promise<void> {
  boundLifetime(cmd.lifetimeMs, close);
  try {
    platform = await startLocalPlatform(cmd.overrides);
    await sendToParent<ServerEvent>({ type: 'ready', url: platform.url, error: null });
  } catch (err) {
    await sendToParent<ServerEvent>({ type: 'ready', url: null, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    process.exit(1);
  }
}

async function stop(): Promise<void> {
  await close().catch((err: unknown) => process.stderr.write(`soak server: close failed: ${err instanceof Error ? err.message : String(err)}\n`));
  await sendToParent<ServerEvent>({ type: 'stopped' });
  process.exit(0);
}

onParentMessage<ServerCommand>((m) => {
  if (m.type === 'start') void start(m);
  else void stop();
});
