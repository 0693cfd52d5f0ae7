import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { caseStudy, caseStudyFromPredictions, questionOfPrompt, runCaseStudy } from '../../kernel-lib/src/eval/case-study';
import { displayWidth } from '../../kernel-lib/src/eval/text-wrap';
import { mimeBundleOf } from '../../kernel-lib/src/display/mime-bundle';
import { llamaFactoryScores } from '../../kernel-lib/src/metrics/llama-factory-scores';
import { tinyBasePath } from '../../kernel-lib/src/tiny/tiny-base';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-case-study-'));

const input = {
  title: 'Ankle <sprains>',
  questions: ['Should I ice a sprained ankle?', '跑步后膝盖疼怎么办？'],
  references: ['Ice for 15-20 minutes at a time in the first days.', '先减少跑量，疼痛持续请就医。'],
  answers: {
    base: ['Always run it off <script>alert(1)</script> & keep going.', '继续跑。'],
    galore: ['Ice it for 15 minutes at a time in the first days.', ''],
  },
};

describe('caseStudy', () => {
  it('scores every answer against its reference as LLaMA-Factory does', () => {
    const study = caseStudy(input);
    expect(study.models).toEqual(['base', 'galore']);
    expect(study.scores![0][1]).toEqual(llamaFactoryScores(input.answers.galore[0], input.references[0]));
    expect(study.scores![1][1]['rouge-l']).toBe(0); // empty answer
    const avg = study.averages()!;
    expect(avg[0]['bleu-4']).toBeCloseTo((study.scores![0][0]['bleu-4'] + study.scores![1][0]['bleu-4']) / 2, 10);
    expect(caseStudy({ ...input, scores: false }).averages()).toBeNull();
  });

  it('renders an escaped HTML table for notebooks', () => {
    const bundle = mimeBundleOf(caseStudy(input));
    const html = bundle['text/html'] as string;
    expect(html).toContain('<table');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; keep going.');
    expect(html).toContain('Ankle &lt;sprains&gt;');
    expect(html.match(/<tr>/g)).toHaveLength(4); // header, two questions, averages
    for (const text of [...input.questions, ...input.references, input.answers.galore[0]]) expect(html).toContain(text);
    expect(html).toContain('<em>(empty)</em>');
    expect(bundle['text/plain']).toBe(caseStudy(input).toText());
  });

  it('lays the answers out as wrapped text for terminals', () => {
    const study = caseStudy(input);
    const text = study.toText(48);
    for (const line of text.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(48);
    expect(study.toText(100).split('\n')[0]).toBe('Ankle <sprains>: 2 questions answered by base, galore');
    expect(text).toContain('[1] Should I ice a sprained ankle?');
    expect(text).toMatch(/\n {2}galore {5}\(empty\)\n/);
    expect(text).toMatch(/bleu-4 \d+\.\d\d {2}rouge-l \d+\.\d\d/);
    expect(inspect(study)).toBe(study.toText());
    expect(String(study)).toBe(study.toText());
  });

  it('says which model is short of answers', () => {
    expect(() => caseStudy({ ...input, answers: { ...input.answers, lora: ['one'] } })).toThrow(/model "lora" has 1 answers for 2 questions/);
    expect(() => caseStudy({ ...input, references: ['one'] })).toThrow(/2 questions but 1 references/);
  });
});

describe('caseStudyFromPredictions', () => {
  const prompt = (q: string) => `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`;
  const write = (name: string, rows: { prompt: string; predict: string; label: string }[]) => {
    const file = path.join(dir, name, 'generated_predictions.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return file;
  };

  it('lines up files of the same questions and keeps the labels for scoring', () => {
    const base = write('base', [{ prompt: prompt('Q1'), predict: 'b1', label: 'R1\n' }, { prompt: prompt('Q2'), predict: 'b2', label: 'R2\n' }]);
    const lora = write('lora', [{ prompt: prompt('Q1'), predict: 'R1', label: 'R1\n' }]);
    const study = caseStudyFromPredictions({ base, lora });
    expect(study.rows).toEqual([{ question: 'Q1', reference: 'R1\n', answers: ['b1', 'R1'] }]);
    expect(study.scores![0][1]).toEqual(llamaFactoryScores('R1', 'R1\n'));
    expect(caseStudyFromPredictions({ base }, { limit: 1 }).rows).toHaveLength(1);
    expect(study.toHtml()).not.toContain('R1\n<');
  });

  it('names the file and line whose question differs', () => {
    const base = write('base2', [{ prompt: prompt('Q1'), predict: 'b1', label: 'R1\n' }, { prompt: prompt('Q2'), predict: 'b2', label: 'R2\n' }]);
    const full = write('full2', [{ prompt: prompt('Q1'), predict: 'f1', label: 'R1\n' }, { prompt: prompt('Q3'), predict: 'f2', label: 'R2\n' }]);
    expect(() => caseStudyFromPredictions({ base, full })).toThrow(`${full}:2: the prompt differs from ${base}:2`);
    expect(() => caseStudyFromPredictions({ base, none: path.join(dir, 'none.jsonl') })).toThrow(/none\.jsonl: no predictions/);
  });

  it('finds the question in a chat-format prompt', () => {
    expect(questionOfPrompt(prompt('膝盖疼？'))).toBe('膝盖疼？');
    const multi = `${prompt('first')}A<|im_end|>\n<|im_start|>user\nsecond<|im_end|>\n<|im_start|>assistant\n`;
    expect(questionOfPrompt(multi)).toBe('second');
    expect(questionOfPrompt('plain prompt')).toBe('plain prompt');
  });
});

describe('runCaseStudy', () => {
  it('answers the same questions with each model in turn', async () => {
    const data = path.join(dir, 'questions.jsonl');
    fs.writeFileSync(data, [
      { question: 'How should I treat a sprained ankle?', answer: 'Protect it, then load it gradually.' },
      { question: 'What helps shin splints?', answer: 'Rest and a slower return to running.' },
      { question: 'not asked', answer: 'beyond the limit' },
    ].map((r) => JSON.stringify(r)).join('\n'));
    const seen: string[] = [];
    const study = await runCaseStudy([
      { name: 'greedy', model: tinyBasePath() },
      { name: 'again', model: tinyBasePath() },
    ], data, { limit: 2, maxNewTokens: 4, title: 'tiny', onProgress: (m, p) => seen.push(`${m}:${p.done}`) });
    expect(seen).toEqual(['greedy:1', 'greedy:2', 'again:1', 'again:2']);
    expect(study.rows.map((r) => r.question)).toEqual(['How should I treat a sprained ankle?', 'What helps shin splints?']);
    expect(study.rows[0].reference).toBe('Protect it, then load it gradually.\n');
    for (const row of study.rows) expect(row.answers[0]).toBe(row.answers[1]); // same model, greedy
    await expect(runCaseStudy([{ name: 'x', model: tinyBasePath() }, { name: 'x', model: tinyBasePath() }], data)).rejects.toThrow(/two models are named "x"/);
  });
});
