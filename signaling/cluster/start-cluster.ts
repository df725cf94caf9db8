/**
 * `npm run start:cluster`: the cascaded SFU cluster on this machine. Redis
 * (REDIS_URL if set; else one already answering on 127.0.0.1:6379; else
 * Debian's redis-server started here), an origin on --port and --edges edge
 * processes on the next ports, each with its own 1000-port UDP range from
 * --rtc-port. Edges past the first --tier1 pull through edge-1 (a 2-hop tree).
 * Ctrl-C stops every process started here.
 *
 *   npm run start:cluster -- --edges 2 --port 8080 --rtc-port 40000 --tier1 2
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildWebClient } from '../../web-client/build.ts';
import { loadConfig } from '../config.ts';
import { LocalCluster, type NodeSpec } from './process/LocalCluster.ts';
import { isRedisAnswering } from './process/RedisServer.ts';

const DEFAULT_REDIS_PORT = 6379;
const RTC_PORTS_PER_NODE = 1000;

function flags(): { edges: number; port: number; rtcPort: number; tier1: number } {
  const { values } = parseArgs({
    options: {
      edges: { type: 'string', default: '2' },
      port: { type: 'string', default: '8080' },
      'rtc-port': { type: 'string', default: '40000' },
      tier1: { type: 'string' },
    },
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer within ${min}..${max}, got "${v}"`);
    return n;
  };
  const edges = num('edges', values.edges, 0, 16);
  return {
    edges,
    port: num('port', values.port, 1024, 65000),
    rtcPort: num('rtc-port', values['rtc-port'], 1024, 65535 - (edges + 1) * RTC_PORTS_PER_NODE),
    tier1: values.tier1 === undefined ? edges : num('tier1', values.tier1, 1, Math.max(1, edges)),
  };
}

async function main(): Promise<void> {
  const f = flags();
  const config = loadConfig();
  process.stdout.write('building the web client…\n');
  await buildWebClient({ quiet: true });

  let redisUrl = config.cluster.redisUrl;
  if (!redisUrl && (await isRedisAnswering(DEFAULT_REDIS_PORT))) redisUrl = `redis://127.0.0.1:${DEFAULT_REDIS_PORT}`;
  process.stdout.write(redisUrl ? `using Redis at ${redisUrl}\n` : `starting redis-server on 127.0.0.1:${DEFAULT_REDIS_PORT}\n`);

  const nodes: NodeSpec[] = [{ id: 'origin', role: 'origin' }];
  // Edges relay WebRTC only: the origin alone runs the HLS ladder (one ffmpeg per stream, not one per node).
  for (let i = 1; i <= f.edges; i++) nodes.push({ id: `edge-${i}`, role: 'edge', env: { HLS: '0' }, ...(i > f.tier1 ? { parent: 'edge-1' } : {}) });

  const cluster = await LocalCluster.start({
    nodes,
    ...(redisUrl ? { redisUrl } : { redisPort: DEFAULT_REDIS_PORT }),
    basePort: f.port,
    rtcBasePort: f.rtcPort,
    rtcPortsPerNode: RTC_PORTS_PER_NODE,
    dataDir: join(config.dataDir, 'cluster'),
    secret: config.cluster.secret || randomBytes(24).toString('base64url'),
    env: { LOG_LEVEL: config.logLevel },
    echo: true,
  });

  const origin = cluster.node('origin').url;
  const lines = [
    '',
    `Cluster is up: Redis ${cluster.redisUrl}, ${cluster.nodes.length} nodes.`,
    `  Go live (origin):   ${origin}/live`,
    `  Watch:              ${origin}/watch/<streamId>   (placed on the least-loaded edge)`,
    `  Dashboard:          ${origin}/dashboard`,
    ...cluster.nodes.map((n) => `  ${n.spec.id.padEnd(8)} ${n.url}  UDP ${n.rtcPorts[0]}-${n.rtcPorts[1]}${n.spec.parent ? `  (pulls via ${n.spec.parent})` : ''}   metrics ${n.url}/metrics`),
    'Ctrl-C stops everything started here.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the cluster…\n`);
    cluster.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A node that dies by itself is reported; the others keep serving (that is the point of a cluster).
  const reported = new Set<string>();
  const watchdog = setInterval(() => {
    for (const n of cluster.nodes) {
      if (n.process.exited && !stopping && !reported.has(n.spec.id)) {
        reported.add(n.spec.id);
        process.stderr.write(`node ${n.spec.id} exited; its last lines:\n${n.process.tail(5)}\n`);
      }
    }
  }, 2000);
  watchdog.unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`start:cluster failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
