/** Writes a benchmark's JSON report to loadtest/reports/<name>-<UTC timestamp>.json (git-ignored) and returns the path. */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';

const REPORTS_DIR = fileURLToPath(new URL('../reports/', import.meta.url));

export async function writeReport(name: string, data: unknown): Promise<string> {
  await mkdir(REPORTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(REPORTS_DIR, `${name}-${stamp}.json`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
  await writeFile(path, JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine, ...(data as object) }, null, 2) + '\n');
  return path;
}
