/**
 * Boot: read config, start the platform, print where to go, and close
 * cleanly on SIGINT/SIGTERM (a second signal, or a stuck close, forces exit).
 */
import { bootBanner } from './boot-banner.ts';
import { loadConfig } from './config.ts';
import { createLogger, setLogLevel } from './logger.ts';
import { startPlatform } from './platform.ts';

const logger = createLogger('signaling:main');
const FORCED_EXIT_MS = 5000;

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const platform = await startPlatform(config);
  process.stdout.write(bootBanner(config, platform.url, platform.port).join('\n') + '\n');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received, closing`);
    setTimeout(() => {
      logger.error(`close did not finish within ${FORCED_EXIT_MS} ms, exiting`);
      process.exit(1);
    }, FORCED_EXIT_MS).unref();
    platform.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('close failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  logger.error('could not start', err);
  process.exit(1);
});
