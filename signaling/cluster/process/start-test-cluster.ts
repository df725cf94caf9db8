/**
 * A LocalCluster for tests: its own temporary DATA_DIR, a random slice of RTC
 * ports (test files run side by side with other suites), quiet logs and a fast
 * heartbeat (500 ms, node TTL 1.5 s) so expiry-based behaviour shows in seconds.
 * dispose() stops every process and removes the data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from './LocalCluster.ts';

export interface TestClusterOptions {
  readonly nodes: LocalClusterOptions['nodes'];
  /** Names the temporary data folder (e.g. 'chat-cluster'). */
  readonly label: string;
  /** Added to (and overriding) the quiet, fast-heartbeat defaults. */
  readonly env?: Record<string, string>;
  readonly maxLifetimeSeconds?: number;
}

export interface TestCluster {
  readonly cluster: LocalCluster;
  dispose(): Promise<void>;
}

const RTC_PORTS_PER_NODE = 60;

export async function startTestCluster(options: TestClusterOptions): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), `${options.label}-test-`));
  try {
    const cluster = await LocalCluster.start({
      nodes: options.nodes,
      rtcBasePort: 20_000 + Math.floor(Math.random() * 40) * 300,
      rtcPortsPerNode: RTC_PORTS_PER_NODE,
      dataDir,
      maxLifetimeSeconds: options.maxLifetimeSeconds ?? 300,
      env: { LOG_LEVEL: 'warn', CLUSTER_HEARTBEAT_MS: '500', CLUSTER_NODE_TTL_MS: '1500', ...options.env },
    });
    return {
      cluster,
      async dispose() {
        await cluster.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
