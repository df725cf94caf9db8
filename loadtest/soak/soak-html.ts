/** The soak's HTML report beside its JSON: memory over time, delay and freezes per minute. */
import { fmt } from '../report/format-table.ts';
import { lineChartSvg } from '../report/svg-chart.ts';
import { writeHtmlReport } from '../report/write-html-report.ts';
import type { MinuteRow } from './MinuteAggregator.ts';
import type { MemorySample, SoakVerdict } from './soak-verdict.ts';

const MB = 2 ** 20;

export async function writeSoakHtml(
  jsonPath: string,
  input: { readonly durationSec: number; readonly rows: readonly MinuteRow[]; readonly samples: readonly MemorySample[]; readonly verdict: SoakVerdict; readonly streamId: string },
): Promise<string> {
  const { rows, samples, verdict } = input;
  const labels = [...new Set(samples.flatMap((s) => Object.keys(s.pageHeaps)))];
  const perMinute = (read: (r: MinuteRow) => number | null) => rows.map((r) => [r.minute, read(r)] as const);
  return writeHtmlReport(jsonPath, {
    title: `Soak: ${fmt(input.durationSec / 60, 1)} minutes, 1 publisher, ${labels.length - 1} viewers`,
    subtitle: `stream ${input.streamId}; verdict ${verdict.ok ? 'PASS' : 'FAIL'}`,
    figures: [
      ...Object.entries(verdict.memory).map(
        ([name, t]) => [`${name} (MB, baseline → last window)`, `${fmt(t.baselineMean, 1)} → ${fmt(t.lastMean, 1)} (${fmt(t.growthPct, 1)} %)${verdict.gated.includes(name) ? (t.ok ? ' ok' : ' FAIL') : ''}`] as const,
      ),
      ['p95 drift', `${fmt(verdict.drift.slopeMsPerMinute, 2)} ms/min, fitted rise ${fmt(verdict.drift.riseMs, 0)} ms (limit ${verdict.driftLimitMs} ms) ${verdict.drift.ok ? 'ok' : 'FAIL'}`],
      ['freeze ratio', `${fmt(verdict.freezeRatio === null ? undefined : verdict.freezeRatio * 100, 3)} % (${verdict.freezes} freezes)`],
    ],
    charts: [
      lineChartSvg(
        [
          { label: 'RSS', points: samples.map((s) => [s.t / 60, s.rssBytes / MB] as const) },
          { label: 'heap used', points: samples.map((s) => [s.t / 60, s.heapUsedBytes / MB] as const) },
        ],
        { title: 'Server memory', yLabel: 'MB', xLabel: 'minutes' },
      ),
      lineChartSvg(
        labels.map((l) => ({ label: l, points: samples.map((s) => [s.t / 60, s.pageHeaps[l] === undefined ? null : s.pageHeaps[l]! / MB] as const) })),
        { title: 'Browser pages: JS heap after GC', yLabel: 'MB', xLabel: 'minutes' },
      ),
      lineChartSvg(
        [
          { label: 'p50', points: perMinute((r) => r.delay.p50) },
          { label: 'p95', points: perMinute((r) => r.delay.p95) },
        ],
        { title: 'Glass-to-glass delay per minute', yLabel: 'ms', xLabel: 'minute' },
      ),
      lineChartSvg([{ label: 'freeze ratio', points: perMinute((r) => (r.freeze.ratio === null ? null : r.freeze.ratio * 100)) }], {
        title: 'Freeze ratio per minute (all viewers)',
        yLabel: '% of time frozen',
        xLabel: 'minute',
      }),
    ],
    notes: [
      'Server memory: process_resident_memory_bytes and nodejs_heap_size_used_bytes from the platform process /metrics.',
      'Browser heaps: CDP Runtime.getHeapUsage right after HeapProfiler.collectGarbage, per page.',
      'Delay: the frame clock read by each viewer page; freezes per stats/freezes.ts on presented-frame times.',
    ],
  });
}
