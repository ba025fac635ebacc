// Reads one sample out of a Prometheus text exposition, for tests that scrape /metrics.

/** The value of `name` with exactly these labels (in any order), or null when it is absent. */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | null {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
    if (have.sort().join(',') === want) return Number(m[3]);
  }
  return null;
}
