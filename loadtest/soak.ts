/**
 * Soak test (`npm run soak -- --minutes 30`): the platform in its own process, one Chromium
 * publisher sending the frame clock, three decoding viewers, for the given time. Prints per
 * minute the server's RSS/heap, each page's JS heap, glass-to-glass p50/p95 and the freeze ratio;
 * then the verdict (memory trend, delay drift) and writes loadtest/reports/soak-<time>.json + .html.
 * See soak/run-soak.ts and soak/soak-verdict.ts.
 *
 * Flags: --minutes 30  --seconds N (instead of --minutes, for quick tries)  --viewers 3
 *        --warmup 15 (s)  --sample 10 (s between samples)
 * Exit code: 0 pass, 2 verdict failed, 1 error.
 */
import { parseArgs } from 'node:util';
import { runSoak } from './soak/run-soak.ts';

function parseFlags(): { durationSec: number; viewers: number; warmupSec: number; sampleSec: number } {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      seconds: { type: 'string' },
      viewers: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '15' },
      sample: { type: 'string', default: '10' },
    },
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}, got "${v}"`);
    return n;
  };
  return {
    durationSec: values.seconds !== undefined ? num('seconds', values.seconds, 10, 6 * 3600) : num('minutes', values.minutes, 1, 360) * 60,
    viewers: num('viewers', values.viewers, 1, 10),
    warmupSec: num('warmup', values.warmup, 0, 600),
    sampleSec: num('sample', values.sample, 2, 60),
  };
}

runSoak(parseFlags()).then(
  ({ report }) => {
    if (report.verdict && !report.verdict.ok) process.exitCode = 2;
  },
  (err: unknown) => {
    console.error(`soak failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
