/** Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with +-20% jitter so clients do not retry in lockstep. */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** 0..1 random source; injectable for tests. */
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 8000;
  const random = options.random ?? Math.random;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
