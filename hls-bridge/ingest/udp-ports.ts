/**
 * Loopback UDP ports for ffmpeg's RTP input. ffmpeg binds RTP on the SDP port and
 * RTCP on port + 1, so each stream needs an even port whose neighbour is free too.
 * Readiness is read from /proc/net/udp rather than by test-binding, which could race
 * ffmpeg's own bind and make it fail.
 */
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';

/** Returns `count` even ports such that port and port + 1 were both free a moment ago. */
export async function allocateRtpPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 50; attempt++) {
    const probe = await bindSocket(0);
    const base = probe.address().port & ~1;
    probe.close();
    if (ports.includes(base) || base < 1024) continue;
    const pair = await Promise.all([tryBind(base), tryBind(base + 1)]);
    for (const s of pair) s?.close();
    if (pair[0] && pair[1]) ports.push(base);
  }
  if (ports.length < count) throw new Error('no free loopback UDP port pair for ffmpeg: check the ephemeral port range');
  return ports;
}

function bindSocket(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    // ffmpeg binds the wildcard address, so the check must too.
    s.bind(port, '0.0.0.0', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

async function tryBind(port: number): Promise<dgram.Socket | null> {
  try {
    return await bindSocket(port);
  } catch {
    return null;
  }
}

/** Reads the kernel's UDP socket tables; null when they are not available (non-Linux). */
export async function boundUdpPorts(): Promise<Set<number> | null> {
  const tables = await Promise.all(['/proc/net/udp', '/proc/net/udp6'].map((f) => readFile(f, 'utf8').catch(() => null)));
  if (tables.every((t) => t === null)) return null;
  const ports = new Set<number>();
  for (const table of tables) {
    for (const line of table?.split('\n').slice(1) ?? []) {
      const local = line.trim().split(/\s+/)[1];
      const hex = local?.split(':')[1];
      if (hex) ports.add(parseInt(hex, 16));
    }
  }
  return ports;
}

/**
 * Resolves once every port has a socket bound (ffmpeg finished opening its input),
 * or after `timeoutMs`. Without /proc it waits `fallbackMs`, which covers ffmpeg's start.
 */
export async function waitForUdpBound(ports: readonly number[], timeoutMs: number, signal?: AbortSignal, fallbackMs = 400): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal?.aborted) {
    const bound = await boundUdpPorts();
    if (bound === null) {
      await sleep(fallbackMs);
      return true;
    }
    if (ports.every((p) => bound.has(p))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(15);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
