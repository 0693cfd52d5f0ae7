/**
 * Summaries of a data set as plain tables (`{columns, rows}`) that display in
 * a notebook, print as Markdown, and turn into a danfo.js DataFrame on demand;
 * and plots as plotly figure JSON (`{data, layout}`).
 */
import { escapeHtml, JUPYTER_DISPLAY, MimeBundle } from './html';

export type Cell = string | number | null;

/** A table of rows; every row has one cell per column. */
export class DataTable {
  constructor(
    readonly columns: string[],
    readonly rows: Cell[][],
    readonly title?: string,
  ) {
    rows.forEach((r, i) => {
      if (r.length !== columns.length) {
        throw new Error(`DataTable: row ${i} has ${r.length} cells; expected ${columns.length} (${columns.join(', ')})`);
      }
    });
  }

  /**
   * Rows as objects keyed by column name.
   *
   * @example
   * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
   * countBy(records, 'language').toRecords(); // [{ language: 'en', count: 800 }, ...]
   */
  toRecords(): Array<Record<string, Cell>> {
    return this.rows.map((r) => Object.fromEntries(this.columns.map((c, i) => [c, r[i]])));
  }

  /**
   * A GitHub-flavoured Markdown table (used in the dataset card).
   *
   * @example
   * console.log(countBy([{ phase: 'prevention' }, { phase: 'treatment' }], 'phase').toMarkdown());
   */
  toMarkdown(): string {
    const esc = (c: Cell): string => String(c ?? '').replace(/\|/g, '\\|');
    const numeric = this.columns.map((_, i) => this.rows.length > 0 && this.rows.every((r) => typeof r[i] === 'number' || r[i] === null));
    const head = `| ${this.columns.map(esc).join(' | ')} |`;
    const rule = `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`;
    return [head, rule, ...this.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
  }

  /** Plain-text rendering with aligned columns. */
  toString(): string {
    const cells = [this.columns, ...this.rows.map((r) => r.map((c) => String(c ?? '')))];
    const widths = this.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
    const lines = cells.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
    return (this.title ? `${this.title}\n` : '') + lines.join('\n');
  }

  /** An HTML table (all cells escaped). */
  toHtml(): string {
    const head = this.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
    const body = this.rows
      .map((r) => `<tr>${r.map((c) => `<td style="text-align:${typeof c === 'number' ? 'right' : 'left'}">${escapeHtml(c ?? '')}</td>`).join('')}</tr>`)
      .join('');
    const caption = this.title ? `<caption>${escapeHtml(this.title)}</caption>` : '';
    return `<table class="galore-data-table">${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    return { 'text/html': this.toHtml(), 'text/plain': this.toString() };
  }

  /**
   * Converts to a danfo.js DataFrame. `danfojs-node` is an optional peer
   * dependency (not installed with galore-lab, because it pulls a native
   * TensorFlow); install it in the notebook's project to use this.
   *
   * @example
   * const df = countBy([{ language: 'en', topic: 'concussion' }], ['language', 'topic']).toDataFrame(); // needs: npm install danfojs-node
   */
  toDataFrame(): unknown {
    let danfo: { DataFrame: new (data: Cell[][], options: { columns: string[] }) => unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      danfo = require('danfojs-node');
    } catch (err) {
      throw new Error(
        'DataTable.toDataFrame() needs the optional package danfojs-node, which is not installed ' +
          `(${(err as Error).message.split('\n')[0]}). Install it next to your notebook with \`npm install danfojs-node\` ` +
          '(it downloads a native TensorFlow; see the GaLore Lab toolchain notes), or use table.toRecords() / table.rows instead.',
      );
    }
    return new danfo.DataFrame(this.rows, { columns: this.columns });
  }
}

type Key<T> = keyof T & string;

/**
 * Counts records per value of one or more keys, sorted by the key values.
 *
 * @example
 * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * countBy(records, ['language', 'phase']).toString();
 */
export function countBy<T extends object>(records: readonly T[], keys: Key<T> | Array<Key<T>>, title?: string): DataTable {
  const list = Array.isArray(keys) ? keys : [keys];
  const counts = new Map<string, { values: Cell[]; count: number }>();
  for (const r of records) {
    const values = list.map((k) => (r[k] === undefined ? null : (r[k] as unknown as Cell)));
    const key = JSON.stringify(values);
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { values, count: 1 });
  }
  const rows = [...counts.values()]
    .sort((a, b) => {
      for (let i = 0; i < list.length; i++) {
        const x = String(a.values[i]);
        const y = String(b.values[i]);
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    })
    .map((e) => [...e.values, e.count]);
  return new DataTable([...list, 'count'], rows, title);
}

/**
 * A cross-tabulation: one row per value of `rowKey`, one column per value of
 * `columnKey` (in `columnOrder` if given), plus a total column and a total row.
 *
 * @example
 * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * crossTab(records, 'topic', 'language').toMarkdown();
 */
export function crossTab<T extends object>(
  records: readonly T[],
  rowKey: Key<T>,
  columnKey: Key<T>,
  options: { rowOrder?: readonly string[]; columnOrder?: readonly string[]; title?: string } = {},
): DataTable {
  const str = (v: unknown): string => String(v ?? '');
  const columnValues = options.columnOrder ? [...options.columnOrder] : [...new Set(records.map((r) => str(r[columnKey])))].sort();
  const present = new Set(records.map((r) => str(r[rowKey])));
  const rowValues = options.rowOrder ? options.rowOrder.filter((v) => present.has(v)) : [...present].sort();
  for (const v of present) if (!rowValues.includes(v)) rowValues.push(v);
  const rows: Cell[][] = rowValues.map((rv) => {
    const counts = columnValues.map((cv) => records.filter((r) => str(r[rowKey]) === rv && str(r[columnKey]) === cv).length);
    return [rv, ...counts, counts.reduce((a, b) => a + b, 0)];
  });
  const totals = columnValues.map((cv) => records.filter((r) => str(r[columnKey]) === cv).length);
  rows.push(['total', ...totals, totals.reduce((a, b) => a + b, 0)]);
  return new DataTable([rowKey, ...columnValues, 'total'], rows, options.title);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Length in Unicode characters (code points). */
export const charLength = (s: string): number => Array.from(s).length;

/**
 * Length distribution (in characters) of a text field, per group: count, min,
 * quartiles, max and mean.
 *
 * @example
 * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * lengthStats(records, 'answer', 'language').toString();
 */
export function lengthStats<T extends object>(records: readonly T[], field: Key<T>, groupBy?: Key<T>): DataTable {
  const groups = new Map<string, number[]>();
  for (const r of records) {
    const g = groupBy ? String(r[groupBy]) : 'all';
    const n = charLength(String(r[field] ?? ''));
    const list = groups.get(g);
    if (list) list.push(n);
    else groups.set(g, [n]);
  }
  const rows: Cell[][] = [...groups.keys()].sort().map((g) => {
    const v = (groups.get(g) as number[]).sort((a, b) => a - b);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return [g, v.length, v[0], quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75), v[v.length - 1], Number(mean.toFixed(1))];
  });
  return new DataTable([groupBy ?? 'group', 'count', 'min', 'p25', 'median', 'p75', 'max', 'mean'], rows, `${field} length (characters)`);
}

/** A plotly figure as JSON: give it to plotly in a browser, or to the GaLore Lab extension. */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

/**
 * A histogram figure of a text field's length, one trace per group.
 *
 * @example
 * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const fig = lengthHistogramFigure(records, 'answer', 'language'); // { data: [...], layout: {...} }
 */
export function lengthHistogramFigure<T extends object>(records: readonly T[], field: Key<T>, groupBy?: Key<T>): PlotlyFigure {
  const groups = new Map<string, number[]>();
  for (const r of records) {
    const g = groupBy ? String(r[groupBy]) : 'all';
    const list = groups.get(g) ?? [];
    list.push(charLength(String(r[field] ?? '')));
    groups.set(g, list);
  }
  return {
    data: [...groups.keys()].sort().map((g) => ({ type: 'histogram', name: g, x: groups.get(g), opacity: 0.7 })),
    layout: {
      title: { text: `${field} length (characters)` },
      barmode: 'overlay',
      xaxis: { title: { text: 'characters' } },
      yaxis: { title: { text: 'examples' } },
    },
  };
}

/**
 * A bar chart of a table: x from one column, one trace per numeric column
 * listed in `series`.
 *
 * @example
 * const records = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * barFigure(crossTab(records, 'topic', 'language'), 'topic', ['en', 'zh']);
 */
export function barFigure(table: DataTable, x: string, series: string[], title?: string): PlotlyFigure {
  const xi = table.columns.indexOf(x);
  if (xi < 0) throw new Error(`barFigure: no column ${JSON.stringify(x)}; the table has ${table.columns.join(', ')}`);
  const rows = table.rows.filter((r) => r[xi] !== 'total');
  return {
    data: series.map((s) => {
      const si = table.columns.indexOf(s);
      if (si < 0) throw new Error(`barFigure: no column ${JSON.stringify(s)}; the table has ${table.columns.join(', ')}`);
      return { type: 'bar', name: s, x: rows.map((r) => r[xi]), y: rows.map((r) => r[si]) };
    }),
    layout: { title: { text: title ?? table.title ?? '' }, barmode: 'group' },
  };
}
