/** Starts the real platform on a free loopback port with quiet logs, for tests. */
import { loadConfig } from '../config.ts';
import { setLogLevel } from '../logger.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../platform.ts';

export type TestEnv = Parameters<typeof loadConfig>[1];

export async function startTestPlatform(env: TestEnv = {}, options: PlatformOptions = {}): Promise<Platform> {
  const config = loadConfig({}, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env });
  setLogLevel(config.logLevel);
  return startPlatform(config, options);
}
