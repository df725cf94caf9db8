/**
 * The whole platform in this process on a free port, quiet logs: what benchmarks and loadtest
 * tests run against. In-process so the fan-out benchmark can read the server's CPU time.
 * Each run takes a random 500-port window of the default RTC range (40000–49999): the SFU hands
 * out slices from the bottom of its range, so two servers on one machine with the same range
 * (tests of other folders running alongside) would otherwise collide on the same ports.
 */
import { randomInt } from 'node:crypto';
import { loadConfig } from '../../signaling/config.ts';
import { setLogLevel } from '../../signaling/logger.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../../signaling/platform.ts';

export type LocalPlatform = Platform;

const RTC_WINDOW_PORTS = 500;

/** @param overrides config variables (as env strings) on top of PORT=0, LOG_LEVEL=warn and the random RTC window. */
export async function startLocalPlatform(overrides: Parameters<typeof loadConfig>[1] = {}, options: PlatformOptions = {}): Promise<LocalPlatform> {
  const min = 40_000 + randomInt(0, 10_000 / RTC_WINDOW_PORTS) * RTC_WINDOW_PORTS;
  const config = loadConfig(process.env, {
    PORT: '0',
    LOG_LEVEL: 'warn',
    // ffmpeg per stream costs a core on this 2-core box: only callers that test HLS turn it on (HLS: '1').
    HLS: '0',
    RTC_MIN_PORT: String(min),
    RTC_MAX_PORT: String(min + RTC_WINDOW_PORTS - 1),
    ...overrides,
  });
  setLogLevel(config.logLevel);
  return startPlatform(config, options);
}
