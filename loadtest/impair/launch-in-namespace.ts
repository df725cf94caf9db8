/**
 * Debian Chromium inside a NetNamespace, driven by playwright-core: the executable is a
 * generated wrapper script that runs `ip netns exec <ns> /usr/bin/chromium "$@"`. Playwright
 * talks to it over inherited pipes, which survive the exec, so nothing listens on the network.
 * Pages reach the host's servers at ns.hostAddress; that address is not a secure context, so
 * give its origin in secureOrigins when the page needs getUserMedia.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../browser/launch-chromium.ts';
import type { NetNamespace } from './NetNamespace.ts';

export interface NamespaceChromiumOptions {
  /** Origins (e.g. http://10.201.0.1:8080) treated as secure, so getUserMedia works there. */
  readonly secureOrigins?: readonly string[];
  readonly extraArgs?: readonly string[];
}

export async function launchChromiumInNamespace(ns: NetNamespace, opts: NamespaceChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}; install it with: apt-get install -y chromium`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'chromium-netns-'));
  const wrapper = join(dir, 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const secure = opts.secureOrigins && opts.secureOrigins.length > 0 ? [`--unsafely-treat-insecure-origin-as-secure=${opts.secureOrigins.join(',')}`] : [];
  try {
    const browser = await chromium.launch({
      timeout: 30_000,
      executablePath: wrapper,
      headless: true,
      args: [...CHROMIUM_ARGS, ...secure, ...(opts.extraArgs ?? [])],
    });
    browser.once('disconnected', () => rmSync(dir, { recursive: true, force: true }));
    return browser;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
