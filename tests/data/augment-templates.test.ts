import { describe, expect, it } from 'vitest';
import { questionRewrites, questionTemplateOperator, splitLastSentence } from '../../kernel-lib/src/data/augment/templates';
import { example } from './helpers/fixtures';

describe('question templates', () => {
  it('splits off the last sentence and keeps the context', () => {
    expect(splitLastSentence('I rolled my ankle. What should I do now?', 'en')).toEqual(['I rolled my ankle. ', 'What should I do now?']);
    expect(splitLastSentence('打球崴了脚。现在该怎么办？', 'zh')).toEqual(['打球崴了脚。', '现在该怎么办？']);
    expect(splitLastSentence('Is it safe to run?', 'en')).toEqual(['', 'Is it safe to run?']);
  });

  it('rewrites English question forms (hand-checked)', () => {
    const r = questionRewrites('I rolled my ankle. How do I strengthen it?', 'en', { wrappers: false }).map((x) => x.question);
    expect(r).toEqual([
      'I rolled my ankle. What is the best way to strengthen it?',
      'I rolled my ankle. What should I do to strengthen it?',
      'I rolled my ankle. Could you explain how to strengthen it?',
    ]);
    expect(questionRewrites('Is it safe to run with shin splints?', 'en', { wrappers: false }).map((x) => x.question)).toEqual([
      'Can I safely run with shin splints?',
      'Would it be safe for me to run with shin splints?',
      'Is it safe for me to run with shin splints?',
    ]);
    expect(questionRewrites('Do I need an X-ray?', 'en', { wrappers: false }).map((x) => x.question)).toEqual(['Will I need an X-ray?', 'Is an X-ray necessary?']);
  });

  it('rewrites Chinese question forms (hand-checked)', () => {
    expect(questionRewrites('脚踝扭伤了怎么办？', 'zh', { wrappers: false }).map((x) => x.question)).toEqual([
      '脚踝扭伤了该如何处理？',
      '脚踝扭伤了应该怎么做？',
      '脚踝扭伤了怎么处理比较好？',
    ]);
    expect(questionRewrites('拉伤以后需要拍片吗？', 'zh', { wrappers: false }).map((x) => x.question)).toEqual(['拉伤以后是否需要拍片？', '拉伤以后要不要拍片？']);
  });

  it('falls back to wrappers when no pattern fits, never returns the original', () => {
    const r = questionRewrites('Tell me about warm-ups.', 'en');
    expect(r.map((x) => x.templateId)).toEqual(['en.wrap#0', 'en.wrap#1', 'en.wrap#2', 'en.wrap#3']);
    expect(r[0].question).toBe('Quick question: Tell me about warm-ups.');
    expect(questionRewrites('Tell me about warm-ups.', 'en', { wrappers: false })).toEqual([]);
  });

  it('the operator is deterministic, prefers pattern rewrites, and records the template', () => {
    const op = questionTemplateOperator();
    const ex = example({ id: 'en-x', question: 'Should I stretch a pulled hamstring?' });
    const a = op.apply(ex, 3);
    expect(op.apply(ex, 3)).toEqual(a);
    const step = a!.provenance.steps[0];
    expect(step.operator).toBe('template.question');
    expect(step.params!.template).toMatch(/^en\.should-i#\d$/);
    expect(step.changes).toEqual([{ kind: 'template', field: 'question', from: ex.question, to: a!.question, detail: step.params!.template }]);
    const seen = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((s) => op.apply(ex, s)!.question));
    expect(seen.size).toBe(3); // the three should-i rewrites, no wrapper
    expect(a!.answer).toBe(ex.answer);
  });
});

describe('Chinese templates leave look-alike words alone', () => {
  it('does not treat 还是 as a copula or rewrite 就能', () => {
    const rewrite = (q: string) => questionRewrites(q, 'zh', { wrappers: false }).map((x) => x.question);
    expect(rewrite('脚踝还是会时不时肿一下，正常吗？')).toEqual([]);
    expect(rewrite('走一会儿就好了，是跟腱炎吗？')).toEqual(['走一会儿就好了，会不会是跟腱炎？', '走一会儿就好了，有没有可能是跟腱炎？']);
    expect(rewrite('医生让我做提踵，这就能好吗？')).toEqual([]);
  });
});
