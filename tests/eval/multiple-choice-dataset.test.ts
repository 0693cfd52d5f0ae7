/**
 * The shipped sports-medicine exam: readable by the loader without issues,
 * a fixed split with no topic (and so no translated question) on both sides,
 * the correct option's position balanced as its card says, and the card's
 * counts equal to the files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMultipleChoice } from '../../kernel-lib/src/eval/multiple-choice';

const dir = path.join(__dirname, '..', '..', 'datasets', 'sports-medicine-mcq');
const load = (split: string) => {
  const { records, issues } = readMultipleChoice(path.join(dir, `${split}.json`));
  expect(issues).toEqual([]);
  return records;
};

describe('datasets/sports-medicine-mcq', () => {
  const dev = load('dev');
  const test = load('test');
  const card = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');

  it('has 20 dev and 80 test questions, single-answer, 4 or 5 options, ids unique across files', () => {
    expect(dev).toHaveLength(20);
    expect(test).toHaveLength(80);
    const all = [...dev, ...test];
    expect(new Set(all.map((q) => q.id)).size).toBe(100);
    for (const q of all) {
      expect(q.answers).toHaveLength(1);
      expect([4, 5]).toContain(q.options.length);
      expect(q.id).toBe(`${q.meta.language}-${q.meta.topic}`);
      expect(new Set(q.options.map((o) => o.text)).size).toBe(q.options.length);
      expect(q.meta.language === 'zh').toBe(/[\u4e00-\u9fff]/.test(q.question));
    }
  });

  it('keeps every topic (and so every translated pair) in one split', () => {
    const devTopics = new Set(dev.map((q) => q.meta.topic));
    expect(test.filter((q) => devTopics.has(q.meta.topic))).toEqual([]);
    expect(devTopics.size).toBe(10);
    expect(dev.filter((q) => q.meta.language === 'en')).toHaveLength(10);
  });

  it('places the correct option at A, B, C and D equally often, as the card says', () => {
    for (const [split, qs] of [['dev', dev], ['test', test]] as const) {
      const counts = { A: 0, B: 0, C: 0, D: 0, E: 0 } as Record<string, number>;
      for (const q of qs) counts[q.answers[0]]++;
      expect(counts, split).toEqual({ A: qs.length / 4, B: qs.length / 4, C: qs.length / 4, D: qs.length / 4, E: 0 });
    }
    const chance = (qs: typeof dev) => qs.reduce((s, q) => s + 1 / q.options.length, 0) / qs.length;
    expect(card).toContain(`scores ${chance(dev).toFixed(3)} on dev and ${chance(test).toFixed(3)} on test`);
    expect(card).toContain(`(${test.filter((q) => q.meta.language === 'en').length} English, ${test.filter((q) => q.meta.language === 'zh').length} Chinese)`);
    expect(card).toContain(`(${new Set([...dev, ...test].map((q) => q.meta.topic)).size} topics;`);
    expect(card).toContain(`${[...dev, ...test].filter((q) => q.options.length === 5).length} questions also have \`E\``);
    // no length cue: the answer is seldom the strictly longest option
    const longest = (qs: typeof dev) => qs.filter((q) => {
      const len = (label: string) => q.options.find((o) => o.label === label)!.text.length;
      return q.options.every((o) => o.label === q.answers[0] || len(q.answers[0]) > o.text.length);
    }).length;
    expect(card).toContain(`strictly longest in only ${longest(test)} of the 80 test questions\n  (${longest(dev)} of 20 in dev)`);
    expect(longest(test) / test.length).toBeLessThan(0.3);
  });
});
