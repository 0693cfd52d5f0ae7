/** Human-readable bytes (binary units). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** A one-line chart of a series, e.g. a loss curve: ▇▆▅▃▂▁. */
export function sparkline(values: number[], width = 40): string {
  if (values.length === 0) return '';
  const blocks = '▁▂▃▄▅▆▇█';
  const step = Math.max(1, values.length / width);
  const sampled: number[] = [];
  for (let i = 0; i < values.length; i += step) sampled.push(values[Math.floor(i)]);
  const lo = Math.min(...sampled);
  const hi = Math.max(...sampled);
  return sampled.map((x) => blocks[hi === lo ? 0 : Math.min(7, Math.floor(((x - lo) / (hi - lo)) * 8))]).join('');
}

/** A plain-text table with aligned columns. */
export function textTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((s, c) => s.padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
