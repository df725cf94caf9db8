/**
 * Puts a UdpRelay between a page and the SFU: intercepts the page's WHIP/WHEP POSTs (Playwright
 * routing), starts one relay per answer towards the SFU's candidate, and rewrites that candidate
 * to the relay's address and port before the page sees the answer. Pure SDP rewriting is
 * rewriteCandidates(), for callers that do the HTTP themselves.
 */
import type { Page } from 'playwright-core';
import { UdpRelay, type Impairment } from './UdpRelay.ts';

export interface RelayedAnswers {
  /** One per answer so far, in order. */
  readonly relays: UdpRelay[];
  /** Resolves with the n-th relay (1-based) once its answer went through; rejects after timeoutMs. */
  relay(n?: number, timeoutMs?: number): Promise<UdpRelay>;
  /** Stops intercepting and closes every relay. */
  close(): Promise<void>;
}

export interface RelayAnswersOptions {
  /** Playwright URL glob of the endpoints, e.g. '**\/whip/**'. */
  readonly url: string;
  /** Settings each new relay starts with. */
  readonly up?: Partial<Impairment>;
  readonly down?: Partial<Impairment>;
  /** Where the relays listen; default 127.0.0.1. */
  readonly listenAddress?: string;
}

const CANDIDATE = /^(a=candidate:\S+ \d+ udp \d+ )(\S+) (\d+)( typ host.*)$/gim;

/** Replaces each UDP host candidate's address and port with what `map` returns (async: relays start on demand). */
export async function rewriteCandidates(
  sdp: string,
  map: (address: string, port: number) => Promise<{ address: string; port: number }>,
): Promise<string> {
  const found = [...sdp.matchAll(CANDIDATE)];
  if (found.length === 0) throw new Error('the answer has no UDP host candidate to relay');
  let out = sdp;
  for (const m of found) {
    const to = await map(m[2]!, Number(m[3]));
    out = out.replace(m[0], `${m[1]}${to.address} ${to.port}${m[4]}`);
  }
  return out;
}

export async function relayAnswers(page: Page, options: RelayAnswersOptions): Promise<RelayedAnswers> {
  const relays: UdpRelay[] = [];
  const waiters: Array<() => void> = [];
  let closed = false;
  await page.route(options.url, async (route) => {
    const request = route.request();
    if (request.method() !== 'POST' || closed) return route.fallback();
    const response = await route.fetch();
    const body = await response.text();
    if (response.status() !== 201) return route.fulfill({ response, body });
    const rewritten = await rewriteCandidates(body, async (address, port) => {
      const relay = await UdpRelay.start({ target: { address, port }, listenAddress: options.listenAddress, up: options.up, down: options.down });
      if (closed) relay.close();
      relays.push(relay);
      for (const wake of waiters.splice(0)) wake();
      return { address: relay.address, port: relay.port };
    });
    await route.fulfill({ response, body: rewritten });
  });
  return {
    relays,
    relay: async (n = 1, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (relays.length < n) {
        if (Date.now() > deadline) throw new Error(`no relayed answer #${n} within ${timeoutMs} ms (${relays.length} so far): did the page POST to ${options.url}?`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return relays[n - 1]!;
    },
    close: async () => {
      closed = true;
      await page.unroute(options.url).catch(() => undefined);
      for (const relay of relays) relay.close();
    },
  };
}
