/** Reads samples out of Prometheus text exposition (what `GET /metrics` returns). */

/**
 * Sum of every sample of `name` whose label set contains all of `labels`
 * (e.g. {tier: "edge"}); undefined when there is none.
 */
export function metricSum(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  let sum = 0;
  let found = false;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const after = line[name.length];
    if (after !== '{' && after !== ' ') continue;
    if (wanted.some((w) => !line.includes(w))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    sum += value;
    found = true;
  }
  return found ? sum : undefined;
}
