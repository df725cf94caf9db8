/**
 * Keeps a phone's screen on while streaming: a sleeping screen stops the
 * camera. Browsers drop the lock when the page is hidden, so it is taken
 * again on return. Silently does nothing where the API is missing.
 */

interface WakeLockLike {
  release(): Promise<void>;
}

export function keepScreenOn(): () => void {
  const api = (navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<WakeLockLike> } }).wakeLock;
  if (!api) return () => undefined;
  let lock: WakeLockLike | null = null;
  let active = true;
  const acquire = (): void => {
    if (!active || document.visibilityState !== 'visible') return;
    api
      .request('screen')
      .then((l) => {
        if (active) lock = l;
        else void l.release();
      })
      .catch(() => undefined); // denied (battery saver, no user gesture): streaming still works
  };
  document.addEventListener('visibilitychange', acquire);
  acquire();
  return () => {
    active = false;
    document.removeEventListener('visibilitychange', acquire);
    void lock?.release().catch(() => undefined);
    lock = null;
  };
}
