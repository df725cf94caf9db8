/**
 * The child side of WorkerProcess: typed send to the parent, and a guarantee that the child
 * never outlives its purpose (hard deadline, parent gone).
 */
import type { IpcMessage } from './WorkerProcess.ts';

/** Resolves once the message is handed to the IPC channel, so a following process.exit() cannot drop it. */
export function sendToParent<Out extends IpcMessage>(message: Out): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this module runs as a forked worker (WorkerProcess), not directly');
  return new Promise((resolve) => {
    send(message, undefined, undefined, () => resolve());
  });
}

export function onParentMessage<In extends IpcMessage>(handler: (message: In) => void): void {
  process.on('message', (m) => handler(m as In));
}

/**
 * Exits after deadlineMs whatever happens (after running cleanup, itself bounded to 3 s), and
 * at once when the parent disconnects, so a crashed benchmark leaves no orphans.
 */
export function boundLifetime(deadlineMs: number, cleanup: () => Promise<void>): void {
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(code), 3_000);
    force.unref();
    cleanup()
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };
  setTimeout(() => exit(2), deadlineMs).unref();
  process.once('disconnect', () => exit(3));
}
