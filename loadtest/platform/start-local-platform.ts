/**
 * The whole platform in this process on a free port, quiet logs: what benchmarks and loadtest
 * tests run against. In-process so the fan-out benchmark can read the server's CPU time.
 * Environment variables (RTC_MIN_PORT, ANNOUNCED_IP, …) still apply; PORT and LOG_LEVEL are set here.
 */
import { loadConfig } from '../../signaling/config.ts';
import { setLogLevel } from '../../signaling/logger.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../../signaling/platform.ts';

export type LocalPlatform = Platform;

/** @param overrides config variables (as env strings) on top of PORT=0, LOG_LEVEL=warn. */
export async function startLocalPlatform(overrides: Parameters<typeof loadConfig>[1] = {}, options: PlatformOptions = {}): Promise<LocalPlatform> {
  const config = loadConfig(process.env, { PORT: '0', LOG_LEVEL: 'warn', ...overrides });
  setLogLevel(config.logLevel);
  return startPlatform(config, options);
}
