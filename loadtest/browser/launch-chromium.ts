/**
 * Headless Debian Chromium for tests and benchmarks, with a fake camera/microphone and no
 * permission prompts, networking kept to loopback (no QUIC, no background fetches).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
]);

export interface LaunchChromiumOptions {
  /** Extra command-line flags, appended to CHROMIUM_ARGS. */
  readonly extraArgs?: readonly string[];
  readonly headless?: boolean;
  /** Passed through to playwright's launch (e.g. timeout). executablePath and args are set here. */
  readonly launch?: Omit<LaunchOptions, 'executablePath' | 'args' | 'headless'>;
}

export async function launchChromium(opts: LaunchChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}; install it with: apt-get install -y chromium`);
  }
  return chromium.launch({
    timeout: 30_000,
    ...opts.launch,
    executablePath: CHROMIUM_PATH,
    headless: opts.headless ?? true,
    args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])],
  });
}
