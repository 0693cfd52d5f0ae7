import { describe, expect, it } from 'vitest';
import { cleanParaphrase, paraphraseOperator, PARAPHRASE_PROMPTS } from '../../kernel-lib/src/data/augment/paraphrase';
import { detectLanguage } from '../../kernel-lib/src/data/language';
import { example } from './helpers/fixtures';

const ex = example({ id: 'en-p', question: 'How do I look after a rolled ankle in the first two days?' });

describe('model paraphrase', () => {
  it('sends the question in a prompt, records prompt and reply, and uses the cleaned reply', async () => {
    const prompts: string[] = [];
    const generate = async (prompt: string): Promise<string> => {
      prompts.push(prompt);
      return 'Paraphrase: "What should I do for a rolled ankle during the first 48 hours?"\n(Keeps the meaning.)';
    };
    const op = paraphraseOperator({ generate });
    const out = await op.apply(ex, 0);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain(ex.question);
    expect(out!.question).toBe('What should I do for a rolled ankle during the first 48 hours?');
    const step = out!.provenance.steps[0];
    expect(step.operator).toBe('paraphrase.model');
    expect(step.params).toMatchObject({ prompt: prompts[0], reply: expect.stringContaining('Paraphrase:') });
    expect(PARAPHRASE_PROMPTS.en.map((t) => t.replace('{question}', ex.question))).toContain(prompts[0]);
    expect(step.changes).toEqual([{ kind: 'paraphrase', field: 'question', from: ex.question, to: out!.question }]);
  });

  it('is deterministic for a seed given a deterministic model', async () => {
    const generate = async (prompt: string): Promise<string> => `Rewritten (${prompt.length}): what helps a rolled ankle early on?`;
    const op = paraphraseOperator({ generate });
    const a = await op.apply(ex, 5);
    const b = await op.apply(ex, 5);
    expect(b).toEqual(a);
    const templates = new Set<number>();
    for (let s = 0; s < 12; s++) templates.add((await op.apply(ex, s))!.provenance.steps[0].params!.promptTemplate as number);
    expect(templates).toEqual(new Set([0, 1]));
  });

  it('rejects empty, unchanged, wrong-language and implausibly long replies, saying why', async () => {
    const cases: Array<[string, RegExp]> = [
      ['   ', /no text/],
      [ex.question, /unchanged/],
      ['脚踝扭伤后头两天应该怎样护理？', /not in the example's language/],
      [`${ex.question} `.repeat(5), /length/],
    ];
    for (const [reply, reason] of cases) {
      const op = paraphraseOperator({ generate: async () => reply });
      expect(await op.apply(ex, 0)).toBeNull();
      expect(op.lastRejection).toMatch(reason);
    }
  });

  it('uses Chinese prompts for Chinese examples', async () => {
    let seen = '';
    const op = paraphraseOperator({ generate: async (p) => ((seen = p), '崴脚之后前两天该怎么护理？') });
    const out = await op.apply(example({ id: 'zh-p', language: 'zh', question: '崴脚后头两天应该怎样护理？' }), 0);
    expect(seen).toMatch(/改写/);
    expect(out!.question).toBe('崴脚之后前两天该怎么护理？');
  });

  it('cleanParaphrase and detectLanguage behave on edge cases', () => {
    expect(cleanParaphrase('\n\n改写：“膝盖疼还能跑步吗？”')).toBe('膝盖疼还能跑步吗？');
    expect(detectLanguage('前交叉韧带（ACL）损伤后多久能跑步？')).toBe('zh');
    expect(detectLanguage('How long does an ACL (前交叉韧带) take to heal after surgery?')).toBe('en');
    expect(detectLanguage('ACL 前交叉 torn knee')).toBe('unknown');
    expect(detectLanguage('123 !!!')).toBe('unknown');
  });
});
