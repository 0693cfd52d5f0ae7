import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../kernel-lib/src/cli/main';
import { metricsCommand } from '../../kernel-lib/src/cli/metrics-command';
import { loadPretrained } from '../../kernel-lib/src/model/model-folder';
import { saveAdapter } from '../../kernel-lib/src/peft/adapter-io';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { tinyBasePath } from '../../kernel-lib/src/tiny/tiny-base';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-eval-cli-'));
const data = path.join(dir, 'test.jsonl');
const tiny = tinyBasePath();
const adapterDir = path.join(dir, 'adapter');

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[]; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const errSpy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => { err.push(String(m)); });
  let stderr = '';
  const writeSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => { stderr += String(chunk); return true; });
  try {
    const code = await runCli(['eval', ...args], (l) => out.push(l));
    return { code, out, err, stderr };
  } finally {
    errSpy.mockRestore();
    writeSpy.mockRestore();
  }
}

const readRows = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  fs.writeFileSync(data, [
    { question: 'How should I treat a sprained ankle?', answer: 'Protect it, then load it gradually.' },
    { instruction: 'Answer briefly.', input: 'What helps shin splints?', output: 'Rest and a slower return to running.' },
    { messages: [{ role: 'user', content: 'Is ice useful after a knee injury?' }, { role: 'assistant', content: 'Ice can ease pain in the first days.' }] },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { model } = await loadPretrained(tiny);
  try {
    const adapter = loraAdapter(model, { r: 4, lora_alpha: 64, init_lora_weights: false, seed: 5 });
    await saveAdapter(adapter, adapterDir);
  } finally {
    model.dispose();
  }
});

describe('galore-lab eval --generate', () => {
  it('writes generated_predictions.jsonl with a progress bar and prints the metrics as `galore-lab metrics` does', async () => {
    const out = path.join(dir, 'base');
    const r = await run(['--model', tiny, '--data', data, '--generate', '--out', out, '--limit', '2', '--max-new-tokens', '4']);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const file = path.join(out, 'generated_predictions.jsonl');
    const rows = readRows(file);
    expect(rows).toHaveLength(2);
    expect(rows[1].prompt).toContain('<|im_start|>user\nAnswer briefly.\nWhat helps shin splints?<|im_end|>\n<|im_start|>assistant\n');
    expect(rows[1].label).toBe('Rest and a slower return to running.\n');
    expect(r.stderr).toMatch(/generate \[#+\] 2\/2 .*tokens\/s/);
    expect(r.out[0]).toMatch(new RegExp(`^predictions: .*generated_predictions\\.jsonl \\(2 generated: \\d+ tokens in [\\d.]+ s, [\\d.]+ tokens/s`));
    const metrics: string[] = [];
    expect(await metricsCommand(['--pred', file], (l) => metrics.push(l))).toBe(0);
    expect(r.out.slice(1)).toEqual(metrics);
    expect(fs.existsSync(path.join(out, 'predict_results.json'))).toBe(true);
  });

  it('refuses to overwrite, resumes after the written lines, and reports JSON', async () => {
    const out = path.join(dir, 'base');
    const again = await run(['--model', tiny, '--data', data, '--generate', '--out', out, '--max-new-tokens', '4', '--quiet']);
    expect(again.code).toBe(1);
    expect(again.err[0]).toContain('generated_predictions.jsonl: already holds 2 predictions; resume after them (--resume');
    const before = fs.readFileSync(path.join(out, 'generated_predictions.jsonl'), 'utf8');
    const resumed = await run(['--model', tiny, '--data', data, '--generate', '--out', out, '--max-new-tokens', '4', '--resume', '--json', '--quiet']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toBe('');
    const report = JSON.parse(resumed.out.join('\n'));
    expect(report).toMatchObject({ samples: 3, resumed: 2, generated: 1 });
    expect(report.tokensPerSecond).toBeGreaterThan(0);
    expect(Object.keys(report.average)).toEqual(['bleu-4', 'rouge-1', 'rouge-2', 'rouge-l']);
    const after = fs.readFileSync(path.join(out, 'generated_predictions.jsonl'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(readRows(path.join(out, 'generated_predictions.jsonl'))[2].label).toBe('Ice can ease pain in the first days.\n');
  });

  it('applies --adapter to the answers', async () => {
    const out = path.join(dir, 'lora');
    const r = await run(['--model', tiny, '--adapter', adapterDir, '--data', data, '--generate', '--out', out, '--limit', '2', '--max-new-tokens', '6', '--quiet']);
    expect(r.code).toBe(0);
    const plain = path.join(dir, 'plain');
    expect((await run(['--model', tiny, '--data', data, '--generate', '--out', plain, '--limit', '2', '--max-new-tokens', '6', '--quiet'])).code).toBe(0);
    const withAdapter = readRows(path.join(out, 'generated_predictions.jsonl'));
    const without = readRows(path.join(plain, 'generated_predictions.jsonl'));
    expect(withAdapter.map((row) => row.prompt)).toEqual(without.map((row) => row.prompt));
    expect(withAdapter.map((row) => row.predict)).not.toEqual(without.map((row) => row.predict));
    const missing = await run(['--model', tiny, '--adapter', path.join(dir, 'nowhere'), '--data', data, '--generate', '--out', path.join(dir, 'x'), '--quiet']);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toContain('nowhere: not a folder');
  });

  it('explains flags that do not fit together', async () => {
    const cases: [string[], RegExp][] = [
      [['--model', tiny, '--data', data, '--generate'], /--out is required/],
      [['--model', tiny, '--data', data, '--generate', '--out', dir, '--batch-size', '2'], /--batch-size does not apply with --generate/],
      [['--model', tiny, '--data', data, '--generate', '--out', dir, '--resume', '--overwrite'], /--resume and --overwrite exclude each other/],
      [['--model', tiny, '--data', data, '--max-new-tokens', '4'], /--max-new-tokens does not apply without --generate/],
      [['--model', tiny, '--data', data, '--generate', '--out', dir, '--limit', '0'], /--limit must be a positive integer/],
      [['--compare', 'a=x', '--model', tiny], /--model does not apply with --compare/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.join('\n')).toMatch(message);
    }
    const bad = path.join(dir, 'text-only.jsonl');
    fs.writeFileSync(bad, '{"question":"q","answer":"a"}\n{"text":"no answer"}\n');
    const r = await run(['--model', tiny, '--data', bad, '--generate', '--out', path.join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain('text-only.jsonl:2: a plain-text or pre-tokenized record has no reference answer');
  });

  it('keeps the NLL mode, now with --limit', async () => {
    const r = await run(['--model', tiny, '--data', data, '--limit', '1', '--json']);
    expect(r.code).toBe(0);
    const nll = JSON.parse(r.out[0]);
    expect(nll.examples).toBe(1);
    expect(nll.perplexity).toBeCloseTo(Math.exp(nll.nll), 6);
  });
});

describe('galore-lab eval --compare', () => {
  it('prints a case study of prediction files and writes it as HTML', async () => {
    const html = path.join(dir, 'report', 'case-study.html');
    const r = await run(['--compare', path.join(dir, 'plain', 'generated_predictions.jsonl'), '--compare', `LoRA=${path.join(dir, 'lora', 'generated_predictions.jsonl')}`,
      '--html', html, '--width', '80']);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain('Case study: 2 questions answered by plain, LoRA');
    expect(text).toContain('[1] How should I treat a sprained ankle?');
    expect(text).toContain('[2] Answer briefly.');
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<th style="border:1px solid #ccc;padding:4px 8px;text-align:left;background:#f3f3f3;">LoRA</th>');
    const json = await run(['--compare', `a=${path.join(dir, 'plain', 'generated_predictions.jsonl')}`, '--limit', '1', '--json']);
    expect(JSON.parse(json.out.join('\n')).rows).toHaveLength(1);
  });
});
