/**
 * `out/report.html`: the reproduction's results as one self-contained page
 * that opens offline. plotly.js is read from the installed
 * `plotly.js-dist-min` package and inlined; the chart data travels as JSON in
 * a `<script type="application/json">` block; every text from the results
 * (labels, questions, answers) is HTML-escaped.
 *
 * Sections: settings, the results table, charts (training loss per method;
 * memory per method: the ledger's predicted peak by part beside what was
 * measured; wall time; tokens/s; BLEU-4/ROUGE when present), the metrics
 * table, and sample answers side by side.
 */
import * as fs from 'node:fs';
import { escapeHtml } from '../data/html';
import { formatBytes } from '../cli/format';
import { writeFileAtomic } from '../util/atomic-write';
import { checkReproductionResults, ReproductionResults, ReproductionRun } from './results';

/**
 * One plotly chart of the report: its div id, heading, and plotly `data`/`layout`.
 *
 * @example
 * const [loss] = reproductionCharts(results); // { id: 'chart-loss', title: 'Training loss per method', data: [...], layout: {...} }
 * Plotly.newPlot(loss.id, loss.data, loss.layout); // in a browser
 */
export interface ReportChart {
  id: string;
  title: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/**
 * Options of `renderReproductionReport` / `writeReproductionReport`.
 *
 * @example
 * await writeReproductionReport(results, 'out/report.html', { title: 'Sports-injury SFT: GaLore vs LoRA' });
 */
export interface ReproductionReportOptions {
  /** Page title (default "GaLore Lab reproduction"). */
  title?: string;
  /** The plotly.js bundle to inline (default: the installed `plotly.js-dist-min`, see `plotlyBundleSource`). */
  plotlySource?: string;
  /** Timestamp shown in the header (default: now, ISO 8601). */
  generatedAt?: string;
}

/**
 * What `writeReproductionReport` wrote.
 *
 * @example
 * const { file, bytes, charts } = await writeReproductionReport(results, 'out/report.html');
 */
export interface WrittenReport {
  file: string;
  bytes: number;
  /** Div ids of the charts, in page order. */
  charts: string[];
}

const MIB = 1024 * 1024;

/**
 * The installed plotly.js bundle (`plotly.js-dist-min`), made safe to inline
 * in a `<script>` element. Throws, naming the package, when it is not installed.
 *
 * @example
 * plotlyBundleSource().length; // about 4.8 million characters
 */
export function plotlyBundleSource(): string {
  let file: string;
  try {
    file = require.resolve('plotly.js-dist-min');
  } catch {
    throw new Error('report.html: the npm package plotly.js-dist-min is not installed; run `npm install` in the galore-lab checkout (it is a dependency of galore-lab)');
  }
  return scriptSafe(fs.readFileSync(file, 'utf8'));
}

/**
 * Makes JavaScript source safe inside an inline `<script>` element: an HTML
 * parser ends the element at the first `</script` and changes state at
 * `<!--`, whatever the JavaScript meant. Both can only occur inside string,
 * template or regular-expression literals, where `<\/` and `<\!` mean the
 * same characters.
 *
 * @example
 * scriptSafe('var s = "</script>";'); // 'var s = "<\\/script>";'
 */
export function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the
 * JavaScript line separators are written as `\u` escapes, so no text in the
 * data (an answer containing `</script>`) can end the element.
 *
 * @example
 * jsonForScript({ answer: '</script>' }); // '{"answer":"\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const mib = (bytes: number | null | undefined): number | null => (bytes === null || bytes === undefined ? null : bytes / MIB);
const has = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The report's charts for a results object, in page order; a chart whose data
 * no run has (no wall times, no metrics) is left out.
 *
 * @example
 * reproductionCharts(readReproductionResults('out/results.json')).map((c) => c.id);
 * // ['chart-loss', 'chart-memory', 'chart-time', 'chart-throughput']
 */
export function reproductionCharts(results: ReproductionResults): ReportChart[] {
  const runs = results.runs;
  const charts: ReportChart[] = [];
  const bar = { margin: { t: 30, r: 20 }, legend: { orientation: 'h' } };

  const lossTraces: Record<string, unknown>[] = [];
  for (const r of runs) {
    if (r.losses.length > 0) {
      lossTraces.push({ type: 'scatter', mode: r.losses.length > 1 ? 'lines' : 'markers', name: r.label,
        x: r.loss_steps ?? r.losses.map((_, i) => i + 1), y: r.losses });
    }
    if (r.eval_losses && r.eval_losses.length > 0) {
      lossTraces.push({ type: 'scatter', mode: 'lines+markers', line: { dash: 'dot' }, name: `${r.label} (validation)`,
        x: r.eval_losses.map((e) => e.step), y: r.eval_losses.map((e) => e.loss) });
    }
  }
  if (lossTraces.length > 0) {
    charts.push({ id: 'chart-loss', title: 'Training loss per method', data: lossTraces,
      layout: { ...bar, xaxis: { title: { text: 'optimizer step' } }, yaxis: { title: { text: 'loss (mean token NLL)' } } } });
  }

  // Memory: grouped by method (multicategory x: [method, what]); the ledger's parts stack.
  const memory: Record<string, unknown>[] = [];
  const group = (name: string, what: string, pick: (r: ReproductionRun) => number | null | undefined, extra: Record<string, unknown> = {}): void => {
    const sel = runs.filter((r) => has(pick(r)));
    if (sel.length === 0) return;
    memory.push({ type: 'bar', name, x: [sel.map((r) => r.label), sel.map(() => what)], y: sel.map((r) => mib(pick(r))),
      hovertext: sel.map((r) => `${r.label}: ${name} ${formatBytes(pick(r) as number)}`), hoverinfo: 'text', ...extra });
  };
  const partNames: [keyof NonNullable<ReproductionRun['ledger_parts']>, string][] = [
    ['weights', 'ledger: weights'], ['gradients', 'ledger: gradients'], ['optimizer_states', 'ledger: optimizer states'],
    ['activations', 'ledger: activations'], ['backward_workspace', 'ledger: backward workspace'],
  ];
  for (const [key, name] of partNames) group(name, 'ledger peak', (r) => r.ledger_parts?.[key]);
  group('ledger: total', 'ledger peak', (r) => (r.ledger_parts ? null : r.ledger_total_bytes));
  group('measured: tensors at step end', 'measured', (r) => r.memory_bytes);
  group('measured: optimizer state', 'optimizer state', (r) => r.optimizer_state_bytes);
  group('measured: wasm heap', 'wasm heap', (r) => r.wasm_heap_bytes);
  if (memory.length > 0) {
    // plotly orders multicategory groups by first appearance: an invisible first
    // trace lists every (method, what) pair in run order.
    const whats = [...new Set(memory.flatMap((t) => (t.x as string[][])[1]))];
    const pairs = runs.flatMap((r) => whats.filter((w) => memory.some((t) => (t.x as string[][])[0].some((l, i) => l === r.label && (t.x as string[][])[1][i] === w))).map((w) => [r.label, w]));
    memory.unshift({ type: 'bar', name: 'order', x: [pairs.map((p) => p[0]), pairs.map((p) => p[1])], y: pairs.map(() => 0),
      showlegend: false, hoverinfo: 'skip', marker: { opacity: 0 } });
    charts.push({ id: 'chart-memory', title: 'Memory per method: ledger peak (by part) vs measured', data: memory,
      layout: { ...bar, barmode: 'stack', legend: { orientation: 'h', y: -0.3 }, margin: { t: 30, r: 20, b: 60 }, yaxis: { title: { text: 'MiB' } } } });
  }

  const simple = (id: string, title: string, axis: string, pick: (r: ReproductionRun) => number | null | undefined): void => {
    const sel = runs.filter((r) => has(pick(r)));
    if (sel.length === 0) return;
    charts.push({ id, title, data: [{ type: 'bar', x: sel.map((r) => r.label), y: sel.map(pick), name: axis }],
      layout: { ...bar, showlegend: false, yaxis: { title: { text: axis } } } });
  };
  simple('chart-time', 'Training wall time', 'seconds', (r) => (has(r.wall_ms) ? r.wall_ms / 1000 : null));
  simple('chart-throughput', 'Training throughput', 'tokens / second', (r) => r.tokens_per_second);

  const scored = runs.filter((r) => r.metrics);
  if (scored.length > 0) {
    const names: [keyof NonNullable<ReproductionRun['metrics']>, string][] = [['bleu4', 'BLEU-4'], ['rouge1', 'ROUGE-1'], ['rouge2', 'ROUGE-2'], ['rougeL', 'ROUGE-L']];
    charts.push({ id: 'chart-metrics', title: 'BLEU-4 and ROUGE on the test answers',
      data: names.map(([k, name]) => ({ type: 'bar', name, x: scored.map((r) => r.label), y: scored.map((r) => r.metrics![k]) })),
      layout: { ...bar, barmode: 'group', yaxis: { title: { text: 'score x 100' } } } });
  }
  return charts;
}

const fixed = (v: number | null | undefined, digits: number): string => (has(v) ? v.toFixed(digits) : 'n/a');
const bytes = (v: number | null | undefined): string => (has(v) ? formatBytes(v) : 'n/a');

function table(header: string[], rows: string[][], numericFrom = 1): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function samplesSection(results: ReproductionResults): string {
  const samples = results.samples ?? [];
  if (samples.length === 0) return '';
  const methods: string[] = results.runs.map((r) => r.method);
  for (const s of samples) for (const m of Object.keys(s.answers)) if (!methods.includes(m)) methods.push(m);
  const labelOf = (m: string): string => results.runs.find((r) => r.method === m)?.label ?? m;
  const items = samples.map((s, i) => {
    const cells = [`<div class="answer reference"><h4>reference</h4><p>${escapeHtml(s.reference)}</p></div>`,
      ...methods.filter((m) => m in s.answers).map((m) => `<div class="answer"><h4>${escapeHtml(labelOf(m))}</h4><p>${escapeHtml(s.answers[m])}</p></div>`)];
    return `<article class="sample">\n<h3>${i + 1}. ${escapeHtml(s.question)}</h3>\n<div class="answers">\n${cells.join('\n')}\n</div>\n</article>`;
  });
  return `<section id="samples">\n<h2>Sample answers</h2>\n${items.join('\n')}\n</section>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { width: 100%; height: 420px; } figure { margin: 1.5em 0; } figcaption { font-weight: 600; }
.answers { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 0.8em; }
.answer { border: 1px solid #ddd; border-radius: 4px; padding: 0.4em 0.8em; } .answer.reference { background: #f6f9f4; }
.answer p { white-space: pre-wrap; } .answer h4 { margin: 0.3em 0; color: #555; }
`;

const DRAW = `
(function () {
  var charts = JSON.parse(document.getElementById('report-data').textContent);
  charts.forEach(function (c) {
    Plotly.newPlot(c.id, c.data, c.layout, { responsive: true, displaylogo: false });
  });
})();
`;

/**
 * The report as an HTML string (see `writeReproductionReport`). The results
 * are checked first; an error names the bad field.
 *
 * @example
 * const html = renderReproductionReport(readReproductionResults('out/results.json'), { plotlySource: '' });
 * html.startsWith('<!DOCTYPE html>'); // true
 */
export function renderReproductionReport(results: ReproductionResults, options: ReproductionReportOptions = {}): string {
  const r = checkReproductionResults(results, 'report.html: results');
  const title = options.title ?? 'GaLore Lab reproduction';
  const charts = reproductionCharts(r);
  const settings = table(['setting', 'value'], [
    ['model', r.model], ['seed', String(r.seed)], ['steps', String(r.steps)], ['batch size', String(r.batch_size)],
    ['sequence length', String(r.seq_len)], ['learning rate', String(r.lr)], ['methods', r.runs.map((x) => x.label).join(', ')],
  ], 2);
  const resultRows = r.runs.map((x) => [x.label, x.method, fixed(x.test_nll_before, 4), fixed(x.test_nll_after, 4), fixed(x.perplexity_after, 2),
    has(x.wall_ms) ? (x.wall_ms / 1000).toFixed(1) : 'n/a', fixed(x.tokens_per_second, 0), bytes(x.optimizer_state_bytes),
    bytes(x.ledger_total_bytes), bytes(x.memory_bytes), bytes(x.wasm_heap_bytes)]);
  const resultsTable = table(['method', 'id', 'test NLL before', 'test NLL after', 'perplexity after', 'wall s', 'tokens/s',
    'optimizer state', 'ledger peak', 'tensors at step end', 'wasm heap so far (never shrinks)'], resultRows, 2);
  const scored = r.runs.filter((x) => x.metrics);
  const metricsTable = scored.length === 0
    ? '<p>No BLEU-4/ROUGE scores in these results.</p>'
    : table(['method', 'BLEU-4', 'ROUGE-1', 'ROUGE-2', 'ROUGE-L', 'answers'], scored.map((x) => [x.label, x.metrics!.bleu4.toFixed(2),
      x.metrics!.rouge1.toFixed(2), x.metrics!.rouge2.toFixed(2), x.metrics!.rougeL.toFixed(2), has(x.metrics!.count) ? String(x.metrics!.count) : 'n/a']));
  const figures = charts.map((c) => `<figure>\n<figcaption>${escapeHtml(c.title)}</figcaption>\n<div class="chart" id="${c.id}"></div>\n</figure>`).join('\n');
  const plotly = options.plotlySource ?? plotlyBundleSource();
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    `<script>${scriptSafe(plotly)}</script>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">generated ${escapeHtml(options.generatedAt ?? new Date().toISOString())} by galore-lab</p>`,
    `<section id="settings">\n<h2>Settings</h2>\n${settings}\n</section>`,
    `<section id="results">\n<h2>Results</h2>\n${resultsTable}\n</section>`,
    `<section id="charts">\n<h2>Charts</h2>\n${figures}\n</section>`,
    `<section id="metrics">\n<h2>BLEU-4 and ROUGE (LLaMA-Factory's definitions)</h2>\n${metricsTable}\n</section>`,
    samplesSection(r),
    `<script type="application/json" id="report-data">${jsonForScript(charts)}</script>`,
    `<script>${DRAW}</script>`,
    '</body>',
    '</html>',
    '',
  ].filter((line) => line !== '').join('\n');
}

/**
 * Writes the reproduction report (one self-contained HTML file that opens
 * offline, plotly inlined) atomically to `file`. `results` is the object
 * `galore-lab reproduce` writes to `results.json`, optionally with `metrics`
 * per run and `samples`.
 *
 * @example
 * const { readReproductionResults, writeReproductionReport } = require('galore-lab');
 * await writeReproductionReport(readReproductionResults('out/results.json'), 'out/report.html');
 * // { file: 'out/report.html', bytes: 4.9e6, charts: ['chart-loss', 'chart-memory', 'chart-time', 'chart-throughput'] }
 */
export async function writeReproductionReport(
  results: ReproductionResults, file: string, options: ReproductionReportOptions = {},
): Promise<WrittenReport> {
  const html = renderReproductionReport(results, options);
  await writeFileAtomic(file, html);
  return { file, bytes: Buffer.byteLength(html, 'utf8'), charts: reproductionCharts(results).map((c) => c.id) };
}
