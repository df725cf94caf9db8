/** The soak's console output: one line per minute as it closes, then the verdict. */
import { fmt } from '../report/format-table.ts';
import type { MinuteRow } from './MinuteAggregator.ts';
import { formatPublisherStatus, type PublisherStatus } from './publisher-status.ts';
import type { SoakVerdict } from './soak-verdict.ts';

const COLUMNS: ReadonlyArray<readonly [header: string, width: number]> = [
  ['min', 4],
  ['srv RSS MB', 10],
  ['srv heap MB', 11],
  ['srv ext MB', 10],
  ['srv CPU%', 8],
  ['pub heap MB', 11],
  ['viewer heaps MB', 18],
  ['g2g p50', 7],
  ['g2g p95', 7],
  ['samples', 7],
  ['freeze%', 7],
  ['frames per viewer', 20],
  ['pub sends', 16],
  ['load1', 5],
];

function line(cells: readonly string[]): string {
  return cells.map((c, i) => c.padStart(COLUMNS[i]![1])).join('  ');
}

export function minuteHeader(): string {
  const header = line(COLUMNS.map(([h]) => h));
  return `${header}\n${'-'.repeat(header.length)}`;
}

export function formatMinute(row: MinuteRow, viewerLabels: readonly string[], publisher: PublisherStatus | null): string {
  return line([
    String(row.minute),
    fmt(row.server.rssMB, 1),
    fmt(row.server.heapUsedMB, 1),
    fmt(row.server.externalMB ?? undefined, 1),
    fmt(row.server.cpuPct ?? undefined, 0),
    fmt(row.pageHeapMB.publisher, 1),
    viewerLabels.map((l) => fmt(row.pageHeapMB[l], 1)).join('/'),
    fmt(row.delay.p50 ?? undefined, 0),
    fmt(row.delay.p95 ?? undefined, 0),
    String(row.delay.count),
    fmt(row.freeze.ratio === null ? undefined : row.freeze.ratio * 100, 2),
    viewerLabels.map((l) => String(row.framesPerViewer[l] ?? 0)).join('/'),
    formatPublisherStatus(publisher),
    fmt(row.loadAverage1m, 2),
  ]);
}

export function formatVerdict(v: SoakVerdict): string {
  const [b0, b1] = v.windows.baseline.map(minutes);
  const [l0, l1] = v.windows.last.map(minutes);
  const mark = (ok: boolean): string => (ok ? 'ok' : 'FAIL');
  const out = [
    `Verdict (${v.ok ? 'PASS' : 'FAIL'})`,
    `  memory windows: minutes ${b0}–${b1} against ${l0}–${l1}${v.windows.scaled ? ' (scaled to this short run: 1/6–1/2 of it against its last third; the 30-minute run uses 5–15 against the last 10)' : ''}; limit +${v.memoryTolerancePct} %`,
  ];
  for (const [name, t] of Object.entries(v.memory)) {
    out.push(`  ${name.padEnd(22)} ${fmt(t.baselineMean, 1).padStart(7)} → ${fmt(t.lastMean, 1).padStart(7)} MB  ${signed(t.growthPct)} %  ${v.gated.includes(name) ? mark(t.ok) : `(info: ${t.ok ? 'flat' : 'grows'})`}`);
  }
  const d = v.drift;
  out.push(
    `  delay drift            p95 slope ${signed(d.slopeMsPerMinute, 2)} ms/min over ${d.minutes} minutes (fitted rise ${signed(d.riseMs, 0)} ms, r² ${fmt(d.r2, 2)}); limit ${v.driftLimitMs} ms  ${mark(d.ok)}`,
  );
  out.push(`  freeze ratio           ${fmt(v.freezeRatio === null ? undefined : v.freezeRatio * 100, 3)} % of watched time (${v.freezes} freezes)`);
  return out.join('\n');
}

function minutes(sec: number): string {
  return Number.isInteger(sec / 60) ? String(sec / 60) : (sec / 60).toFixed(2);
}

function signed(v: number, decimals = 1): string {
  return Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(decimals)}` : '–';
}
