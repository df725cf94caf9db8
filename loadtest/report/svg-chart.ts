/**
 * Line charts as standalone SVG strings for the HTML reports: a shared x axis
 * (seconds), a y axis from 0, one polyline per series, a legend. No library.
 */
export interface ChartSeries {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [x: number, y: number | null]>;
}

export interface ChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly xLabel?: string;
  readonly width?: number;
  readonly height?: number;
  /** A horizontal reference line (e.g. a target). */
  readonly target?: { readonly value: number; readonly label: string };
}

const COLORS = ['#7c4dff', '#00a152', '#ff9100', '#0091ea', '#d50000', '#aa00ff', '#00897b', '#c0ca33'];
const PAD = { left: 56, right: 16, top: 36, bottom: 34 };

export function lineChartSvg(series: readonly ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 260;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.flatMap((p) => (p[1] === null ? [] : [p[1]])));
  if (options.target) ys.push(options.target.value);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(x0 + 1, ...xs) : 1;
  const yMax = niceCeiling(Math.max(1e-9, ...ys));
  const px = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * (width - PAD.left - PAD.right);
  const py = (y: number): number => height - PAD.bottom - (y / yMax) * (height - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui,sans-serif" font-size="12">`,
    `<text x="${PAD.left}" y="16" font-weight="600" font-size="14">${escapeXml(options.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    out.push(`<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${py(v) + 4}" text-anchor="end" fill="#555">${formatTick(v)}</text>`);
  }
  out.push(`<text x="12" y="${(height - PAD.bottom + PAD.top) / 2}" transform="rotate(-90 12 ${(height - PAD.bottom + PAD.top) / 2})" text-anchor="middle" fill="#555">${escapeXml(options.yLabel)}</text>`);
  out.push(`<text x="${width - PAD.right}" y="${height - 6}" text-anchor="end" fill="#555">${escapeXml(options.xLabel ?? 'seconds')}</text>`);
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    out.push(`<text x="${px(x)}" y="${height - PAD.bottom + 16}" text-anchor="middle" fill="#555">${formatTick(x)}</text>`);
  }
  if (options.target) {
    const y = py(options.target.value);
    out.push(`<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${y}" y2="${y}" stroke="#d50000" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${width - PAD.right}" y="${y - 4}" text-anchor="end" fill="#d50000">${escapeXml(options.target.label)}</text>`);
  }
  let legendX = PAD.left + 200;
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const runs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (y === null) runs.push([]);
      else runs[runs.length - 1]!.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    }
    for (const run of runs) if (run.length > 0) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${run.join(' ')}"/>`);
    out.push(`<rect x="${legendX}" y="8" width="10" height="10" fill="${color}"/><text x="${legendX + 14}" y="17">${escapeXml(s.label)}</text>`);
    legendX += 24 + s.label.length * 7;
  });
  out.push('</svg>');
  return out.join('');
}

function niceCeiling(v: number): number {
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

function formatTick(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}
