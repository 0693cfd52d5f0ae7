import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricsCommand } from '../../kernel-lib/src/cli/metrics-command';

const folder = mkdtempSync(join(tmpdir(), 'galore-metrics-cli-'));
function write(name: string, content: string): string {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await metricsCommand(argv, (line) => out.push(line), (line) => err.push(line));
  return { code, out, err };
}

// Three samples whose scores are worked out by hand:
//   abcd / abcd : BLEU-4 100; jieba keeps 'abcd' as one word -> ROUGE-1 100, ROUGE-2 0, ROUGE-L 100
//   膝 / 膝     : BLEU-4 35.3553 (one character); ROUGE-1 100, ROUGE-2 0, ROUGE-L 100
//   甲 / 乙     : no match -> all 0
// Averages: BLEU-4 135.3553 / 3 = 45.118433..., ROUGE-1 and ROUGE-L 200 / 3 = 66.6667, ROUGE-2 0.
const predictions = 'abcd\n膝\n甲\n';
const references = 'abcd\n膝\n乙\n';

describe('galore-lab metrics', () => {
  it('prints LLaMA-Factory averages and a separately labelled corpus BLEU', async () => {
    const { code, out } = await run(['--pred', write('pred.txt', predictions), '--ref', write('ref.txt', references)]);
    expect(code).toBe(0);
    expect(out).toContain('bleu-4: 45.1184');
    expect(out).toContain('rouge-1: 66.6667');
    expect(out).toContain('rouge-2: 0.0000');
    expect(out).toContain('rouge-l: 66.6667');
    expect(out[0]).toMatch(/^samples: 3 /);
    expect(out.some((line) => /^corpus-bleu \(sacreBLEU-style, not LLaMA-Factory's bleu-4\): .*tok:zh/.test(line))).toBe(true);
  });

  it('reads a generated_predictions.jsonl given alone and prints each sample', async () => {
    const jsonl = write(
      'generated_predictions.jsonl',
      ['abcd/abcd', '膝/膝', '甲/乙'].map((pair) => {
        const [predict, label] = pair.split('/');
        return JSON.stringify({ prompt: 'q', predict, label });
      }).join('\n') + '\n',
    );
    const { code, out } = await run(['--pred', jsonl, '--per-sample']);
    expect(code).toBe(0);
    expect(out[0]).toBe('line\tbleu-4\trouge-1\trouge-2\trouge-l');
    expect(out[1]).toBe('1\t100.0000\t100.0000\t0.0000\t100.0000');
    expect(out[2]).toBe('2\t35.3553\t100.0000\t0.0000\t100.0000');
    expect(out[3]).toBe('3\t0.0000\t0.0000\t0.0000\t0.0000');
    expect(out).toContain('bleu-4: 45.1184');
  });

  it('prints JSON with --json', async () => {
    const { code, out } = await run(['--pred', write('p.txt', predictions), '--ref', write('r.txt', references), '--json', '--per-sample', '--tokenize', '13a']);
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.samples).toBe(3);
    expect(report.average['bleu-4']).toBeCloseTo(135.3553 / 3, 10);
    expect(report.average['rouge-2']).toBe(0);
    expect(report.corpusBleu.metric).toBe('sacrebleu-corpus-bleu');
    expect(report.corpusBleu.signature).toContain('tok:13a');
    expect(report.perSample).toHaveLength(3);
    expect(report.perSample[1]).toEqual({ line: 2, 'bleu-4': 35.3553, 'rouge-1': 100, 'rouge-2': 0, 'rouge-l': 100 });
  });

  it('exits 1 naming the file and line on bad input', async () => {
    const mismatch = await run(['--pred', write('p2.txt', 'a\nb\n'), '--ref', write('r2.txt', 'a\n')]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.err[0]).toMatch(/p2\.txt has 2 lines but .*r2\.txt has 1/);

    const broken = await run(['--pred', write('broken.jsonl', '{"predict": "a", "label": "b"}\n{oops}\n')]);
    expect(broken.code).toBe(1);
    expect(broken.err[0]).toMatch(/broken\.jsonl:2: not valid JSON/);

    const missing = await run(['--pred', write('missing.jsonl', '{"predict": "a"}\n')]);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/missing\.jsonl:1: missing field "label"/);
  });

  it('exits 2 with usage on bad arguments', async () => {
    const noPred = await run([]);
    expect(noPred.code).toBe(2);
    expect(noPred.err[0]).toContain('--pred FILE is required');
    const unknown = await run(['--pred', 'x', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toContain('usage: galore-lab metrics');
    const badTokenizer = await run(['--pred', 'x', '--tokenize', 'intl']);
    expect(badTokenizer.code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toMatch(/^usage:/);
  });
});
