/**
 * Polls `read` until `done` accepts its value, for tests that wait on another
 * process, a browser page or the network. The timeout error names what was
 * awaited and the last value seen, so a failure says what the system showed.
 */
export async function pollUntil<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await read();
  }
  return last;
}
