/**
 * The whole platform in this process on a free port, quiet logs: what benchmarks and loadtest
 * tests run against. In-process so the fan-out benchmark can read the server's CPU time.
 */
import { loadConfig } from '../../signaling/config.ts';
import { startPlatform } from '../../signaling/platform.ts';

export interface LocalPlatform {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** @param overrides config variables (as env strings) on top of PORT=0, LOG_LEVEL=warn. */
export async function startLocalPlatform(overrides: Parameters<typeof loadConfig>[1] = {}): Promise<LocalPlatform> {
  const platform = await startPlatform(loadConfig(process.env, { PORT: '0', LOG_LEVEL: 'warn', ...overrides }));
  return { url: platform.url, port: platform.port, close: async () => platform.close() };
}
