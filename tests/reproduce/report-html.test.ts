import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  jsonForScript,
  renderReproductionReport,
  reproductionCharts,
  scriptSafe,
  writeReproductionReport,
} from '../../kernel-lib/src/reproduce/report-html';
import type { ReproductionResults } from '../../kernel-lib/src/reproduce/results';

const EVIL = '</script><script>alert("x")</script> & <b>bold</b>';

/** A results.json as `galore-lab reproduce` writes it, plus the optional metrics and samples. */
function results(withExtras = true): ReproductionResults {
  const base = { test_nll_before: 3.2, perplexity_after: 12.1, optimizer_state_bytes: 2_000_000, ledger_total_bytes: 40_000_000, memory_bytes: 30_000_000, wasm_heap_bytes: null };
  return {
    model: '/models/tiny-qwen2', seed: 42, steps: 3, batch_size: 8, seq_len: 192, lr: 1e-3,
    runs: [
      { method: 'full', label: 'full AdamW', ...base, test_nll_after: 2.4, wall_ms: 1500, tokens_per_second: 900, losses: [3, 2.8, 2.5],
        ...(withExtras ? { metrics: { bleu4: 10.5, rouge1: 20.25, rouge2: 5.5, rougeL: 18, count: 2 } } : {}) },
      { method: 'galore', label: `GaLore r=32 ${EVIL}`, ...base, test_nll_after: 2.5, wall_ms: 1700, tokens_per_second: 800, losses: [3, 2.9, 2.6],
        ledger_parts: { weights: 4_000_000, gradients: 4_000_000, optimizer_states: 1_000_000, activations: 20_000_000, backward_workspace: 1_000_000 },
        ...(withExtras ? { metrics: { bleu4: 11, rouge1: 21, rouge2: 6, rougeL: 19 } } : {}) },
    ],
    ...(withExtras ? {
      samples: [{ question: 'How do I treat a sprain? <img src=x onerror=alert(1)>', reference: 'Rest, ice & elevate.',
        answers: { full: 'Rest it.', galore: EVIL } }],
    } : {}),
  };
}

/**
 * A structural HTML check: with script and style bodies taken out, every
 * non-void element closes in order, nothing is left open, and no '<' remains
 * in text (all data was escaped).
 */
function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  if (!/^<!DOCTYPE html>\n<html[ >]/.test(html)) problems.push('no <!DOCTYPE html> followed by <html>');
  const body = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, '<$1></$1>');
  const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'wbr', 'col', 'source']);
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>|<!DOCTYPE html>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    if (body.slice(last, m.index).includes('<')) problems.push(`unescaped '<' in text near ${JSON.stringify(body.slice(last, m.index).slice(0, 60))}`);
    last = tag.lastIndex;
    if (!m[2]) continue;
    const name = m[2].toLowerCase();
    if (VOID.has(name)) continue;
    if (m[1] === '') stack.push(name);
    else if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element`);
  }
  if (body.slice(last).trim() !== '') problems.push('text after </html>');
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

describe('report.html', () => {
  it('is written, self-contained, with plotly inlined and one div per chart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-report-'));
    const file = path.join(dir, 'report.html');
    const written = await writeReproductionReport(results(), file, { generatedAt: '2024-06-05T00:00:00Z' });
    expect(written.file).toBe(file);
    const html = fs.readFileSync(file, 'utf8');
    expect(written.bytes).toBe(Buffer.byteLength(html));
    expect(written.charts).toEqual(['chart-loss', 'chart-memory', 'chart-time', 'chart-throughput', 'chart-metrics']);
    for (const id of written.charts) expect(html.split(`<div class="chart" id="${id}"></div>`)).toHaveLength(2);
    expect(html.match(/<div class="chart"/g)).toHaveLength(written.charts.length);
    // The installed plotly.js bundle itself, not a link to it: opens offline.
    const bundle = fs.readFileSync(require.resolve('plotly.js-dist-min'), 'utf8');
    expect(html).toContain(bundle.slice(0, 200));
    expect(html.length).toBeGreaterThan(bundle.length);
    // Nothing else is fetched: no external scripts, styles or images outside the bundle.
    const page = html.replace(bundle, '');
    expect(page).not.toMatch(/<script[^>]+src=|<link\b|<img\b|https?:\/\//i);
    expect(fs.readdirSync(dir)).toEqual(['report.html']); // no temp file left behind
  });

  it('escapes every text: an answer with </script> stays text', async () => {
    const html = renderReproductionReport(results(), { plotlySource: '/* plotly */', generatedAt: 'now' });
    expect(htmlProblems(html)).toEqual([]);
    // Exactly the three scripts of the page: plotly, chart data, drawing.
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('How do I treat a sprain? &lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    // The chart data block parses back to the charts, label included.
    const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1];
    const charts = JSON.parse(data);
    expect(charts.map((c: { id: string }) => c.id)).toEqual(reproductionCharts(results()).map((c) => c.id));
    expect(charts[0].data[1].name).toBe(`GaLore r=32 ${EVIL}`);
  });

  it('shows the tables, metrics and answers side by side', () => {
    const html = renderReproductionReport(results(), { plotlySource: '', generatedAt: 'now' });
    expect(html).toContain('<td>/models/tiny-qwen2</td>');
    expect(html).toContain('<td class="num">2.4000</td>'); // test NLL after, full
    expect(html).toContain('<td class="num">10.50</td>'); // BLEU-4, full
    expect(html).toContain('<td class="num">n/a</td>'); // wasm heap absent; galore's count absent
    const sample = html.slice(html.indexOf('<section id="samples">'));
    expect(sample.match(/<div class="answer(?: reference)?">/g)).toHaveLength(3); // reference, full, galore
    expect(sample.indexOf('<h4>full AdamW</h4>')).toBeLessThan(sample.indexOf('<h4>GaLore r=32'));
  });

  it('works without metrics and samples (the results.json reproduce writes today)', () => {
    const r = results(false);
    const html = renderReproductionReport(r, { plotlySource: '', generatedAt: 'now' });
    expect(htmlProblems(html)).toEqual([]);
    expect(reproductionCharts(r).map((c) => c.id)).toEqual(['chart-loss', 'chart-memory', 'chart-time', 'chart-throughput']);
    expect(html).not.toContain('id="samples"');
    expect(html).toContain('No BLEU-4/ROUGE scores');
  });

  it('stacks the ledger parts beside the measured bytes, per method', () => {
    const memory = reproductionCharts(results()).find((c) => c.id === 'chart-memory')!;
    const byName = Object.fromEntries(memory.data.map((t) => [t.name as string, t]));
    // galore has parts; full only a ledger total.
    expect((byName['ledger: activations'].x as string[][])[0]).toEqual([`GaLore r=32 ${EVIL}`]);
    expect((byName['ledger: total'].x as string[][])[0]).toEqual(['full AdamW']);
    expect(byName['ledger: total'].y).toEqual([40_000_000 / 2 ** 20]);
    expect((byName['measured: tensors at step end'].x as string[][])[1]).toEqual(['measured', 'measured']);
    expect(byName['measured: wasm heap']).toBeUndefined(); // null everywhere
    expect(memory.layout.barmode).toBe('stack');
    // An invisible first trace fixes the group order to the run order (plotly orders by first appearance).
    expect(memory.data[0].name).toBe('order');
    expect((memory.data[0].x as string[][])[0][0]).toBe('full AdamW');
  });

  it('renders results.json files from before runs had labels', () => {
    const old = results(false) as unknown as { runs: Record<string, unknown>[] };
    for (const run of old.runs) delete run.label;
    const html = renderReproductionReport(old as unknown as ReproductionResults, { plotlySource: '', generatedAt: 'now' });
    expect(html).toContain('<td>galore</td><td>galore</td>');
  });

  it('names the bad field of malformed results', () => {
    const bad = results();
    (bad.runs[1].losses as unknown[])[2] = 'nan';
    expect(() => renderReproductionReport(bad, { plotlySource: '' })).toThrow('report.html: results: runs[1].losses[2]: expected a finite number, got the string "nan"');
    const noAnswers = results();
    (noAnswers.samples![0] as { answers: unknown }).answers = 'x';
    expect(() => renderReproductionReport(noAnswers, { plotlySource: '' })).toThrow(/samples\[0\]\.answers: expected an object/);
  });

  it('keeps inline scripts and JSON from ending their element', () => {
    expect(scriptSafe('a = "</SCRIPT>"; b = "<!--";')).toBe('a = "<\\/SCRIPT>"; b = "<\\!--";');
    expect(JSON.parse(jsonForScript({ a: '</script>\u2028&' }))).toEqual({ a: '</script>\u2028&' });
    expect(jsonForScript({ a: '</script>' })).not.toMatch(/[<>]/);
  });
});
