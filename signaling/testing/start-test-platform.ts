/** Starts the real platform on a free loopback port with quiet logs, for tests. */
import { loadConfig } from '../config.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../platform.ts';

export type TestEnv = Parameters<typeof loadConfig>[1];

/**
 * Every SFU starts handing out UDP ports at the bottom of its range, so test processes
 * running side by side (other folders' suites) would fight over the same ports.
 * Each test platform gets its own random 100-port range below the ephemeral ports.
 */
function randomRtcPorts(): { RTC_MIN_PORT: string; RTC_MAX_PORT: string } {
  const base = 20_000 + Math.floor(Math.random() * 120) * 100;
  return { RTC_MIN_PORT: String(base), RTC_MAX_PORT: String(base + 99) };
}

/** HLS is off (no ffmpeg per stream) unless `env` turns it on with HLS: '1'. */
export async function startTestPlatform(env: TestEnv = {}, options: PlatformOptions = {}): Promise<Platform> {
  const config = loadConfig({}, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', HLS: '0', ...randomRtcPorts(), ...env });
  return startPlatform(config, options);
}
