/**
 * The soak in CI: two minutes of the real thing (platform process, Chromium publisher with the
 * frame clock, three decoding viewers). The 30-minute run is `npm run soak`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { describe, test } from 'node:test';
import { runSoak } from './run-soak.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('soak (2 minutes)', () => {
  test('samples every minute, all three viewers decode, few freezes, no runaway server memory, nothing left running', { timeout: 8 * 60_000 }, async () => {
    const { report, jsonPath } = await runSoak({ durationSec: 120, warmupSec: 10 });

    assert.equal(report.interrupted, false);
    assert.equal(report.minutes.length, 2, 'one row per minute');
    for (const row of report.minutes) {
      for (const label of ['viewer-1', 'viewer-2', 'viewer-3']) {
        // 30 fps source: a viewer showing under ~5 fps over a minute is not really playing.
        assert.ok((row.framesPerViewer[label] ?? 0) > 300, `minute ${row.minute}: ${label} presented ${row.framesPerViewer[label]} frames`);
      }
      assert.ok(row.delay.count > 0 && row.delay.p95 !== null, `minute ${row.minute} has glass-to-glass samples`);
      assert.ok(row.server.rssMB > 0 && row.server.heapUsedMB > 0, `minute ${row.minute} has server memory`);
      assert.ok(row.pageHeapMB.publisher! > 0 && row.pageHeapMB['viewer-1']! > 0, `minute ${row.minute} has page heaps`);
    }

    const verdict = report.verdict;
    assert.ok(verdict, 'a verdict was computed');
    assert.ok(verdict.freezeRatio !== null && verdict.freezeRatio < 0.05, `freeze ratio ${verdict.freezeRatio} (limit 5 %); load average over the run ${report.loadAverage1m.mean.toFixed(1)}, max ${report.loadAverage1m.max.toFixed(1)} on ${cpus().length} cores`);

    const first = report.samples[0]!;
    const last = report.samples[report.samples.length - 1]!;
    assert.ok(report.samples.length >= 12, `${report.samples.length} memory samples`);
    const growth = (last.rssBytes - first.rssBytes) / first.rssBytes;
    assert.ok(growth < 0.5, `server RSS grew ${(growth * 100).toFixed(1)} % in two minutes (limit 50 %)`);

    const saved = JSON.parse(await readFile(jsonPath, 'utf8')) as { benchmark: string; minutes: unknown[] };
    assert.equal(saved.benchmark, 'soak');
    assert.equal(saved.minutes.length, 2);

    assert.ok(report.serverPid, 'the server ran in its own process');
    assert.equal(alive(report.serverPid), false, `the platform process ${report.serverPid} is still running`);
  });
});
