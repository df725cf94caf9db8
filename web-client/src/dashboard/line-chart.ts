/**
 * Draws time series on a canvas: a shared time axis, a y axis from 0 to the
 * largest value (rounded up), one coloured line per series, a legend. No
 * library: the dashboard is one small page.
 */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<{ readonly t: number; readonly v: number | null }>;
}

const PAD = { left: 48, right: 12, top: 22, bottom: 22 };

export function drawLineChart(canvas: HTMLCanvasElement, series: readonly Series[], unit: string): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = '12px system-ui, sans-serif';

  const all = series.flatMap((s) => s.points);
  const values = all.flatMap((p) => (p.v === null ? [] : [p.v]));
  if (all.length === 0) {
    g.fillStyle = '#adadb8';
    g.fillText('no data yet', PAD.left, height / 2);
    return;
  }
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(t0 + 1000, ...all.map((p) => p.t));
  const vMax = niceCeiling(Math.max(1e-9, ...values));
  const x = (t: number): number => PAD.left + ((t - t0) / (t1 - t0)) * (width - PAD.left - PAD.right);
  const y = (v: number): number => height - PAD.bottom - (v / vMax) * (height - PAD.top - PAD.bottom);

  g.strokeStyle = '#2e2e36';
  g.fillStyle = '#adadb8';
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = (vMax * i) / 4;
    g.beginPath();
    g.moveTo(PAD.left, y(v));
    g.lineTo(width - PAD.right, y(v));
    g.stroke();
    g.fillText(formatValue(v), 4, y(v) + 4);
  }
  g.fillText(unit, 4, 12);
  g.fillText(`${Math.round((t1 - t0) / 1000)} s`, width - PAD.right - 30, height - 6);

  let legendX = PAD.left;
  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = 2;
    g.beginPath();
    let pen = false;
    for (const p of s.points) {
      if (p.v === null) {
        pen = false;
        continue;
      }
      if (pen) g.lineTo(x(p.t), y(p.v));
      else g.moveTo(x(p.t), y(p.v));
      pen = true;
    }
    g.stroke();
    g.fillStyle = s.color;
    g.fillText(s.label, legendX, 14);
    legendX += g.measureText(s.label).width + 16;
  }
}

function niceCeiling(v: number): number {
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

function formatValue(v: number): string {
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(0);
  return v.toFixed(v === 0 ? 0 : 1);
}
