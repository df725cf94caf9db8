/**
 * Least-squares line through (x, y) points. The fan-out benchmark fits server CPU time
 * against packets forwarded: the slope is the marginal cost of one more forwarded packet,
 * free of the fixed cost of ingesting the publisher.
 */

export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination, 1 for a perfect line; NaN when y does not vary. */
  readonly r2: number;
}

export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length) throw new RangeError(`linearFit needs as many x as y values (${xs.length} vs ${ys.length})`);
  const n = xs.length;
  if (n < 2) throw new RangeError(`linearFit needs at least 2 points, got ${n}`);
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i] as number;
    sy += ys[i] as number;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new RangeError('linearFit needs at least two distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? Number.NaN : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}
