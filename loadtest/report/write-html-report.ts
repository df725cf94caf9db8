/**
 * Writes an HTML report beside the JSON one (same name, .html): a title, a
 * table of headline figures, and SVG charts. Self-contained, no scripts.
 */
import { writeFile } from 'node:fs/promises';
import { escapeXml } from './svg-chart.ts';

export interface HtmlReport {
  readonly title: string;
  readonly subtitle: string;
  readonly figures: ReadonlyArray<readonly [label: string, value: string]>;
  /** SVG strings from lineChartSvg. */
  readonly charts: readonly string[];
  readonly notes?: readonly string[];
}

export async function writeHtmlReport(jsonPath: string, report: HtmlReport): Promise<string> {
  const path = jsonPath.replace(/\.json$/, '.html');
  const rows = report.figures.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('');
  const notes = (report.notes ?? []).map((n) => `<li>${escapeXml(n)}</li>`).join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(report.title)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1500px}table{border-collapse:collapse;margin:12px 0}
th,td{padding:4px 12px;border-bottom:1px solid #ddd;text-align:left}th{font-weight:600;color:#444}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg{background:#fafafa;border:1px solid #eee;border-radius:6px}</style></head><body>
<h1>${escapeXml(report.title)}</h1><p>${escapeXml(report.subtitle)}</p><table>${rows}</table>
<div class="charts">${report.charts.join('\n')}</div>${notes ? `<ul>${notes}</ul>` : ''}<p>JSON: ${escapeXml(jsonPath.split('/').pop() ?? '')}</p></body></html>
`;
  await writeFile(path, html);
  return path;
}
