/**
 * Model paraphrase: ask a language model to rephrase a question, through any
 * `generate(prompt) => Promise<string>` function (the library's own Qwen2
 * model, or one a user plugs in: an HTTP endpoint, a mock in tests). The
 * prompt, the raw reply and the cleaned question are all recorded in
 * provenance, so a run can be audited and replayed. Replies that are empty,
 * unchanged, in the wrong language or of implausible length are rejected
 * (the operator returns `null` and `lastRejection` says why).
 */
import { detectLanguage } from '../language';
import { applyStep, QaExample } from '../provenance';
import { deriveSeed, mulberry32 } from '../random';
import { AugmentOperator } from './operator';

/** Any text generator: a model, a service, a test double. */
export type GenerateFn = (prompt: string) => Promise<string>;

/** Prompt templates per language; `{question}` is replaced. */
export const PARAPHRASE_PROMPTS: Readonly<Record<'en' | 'zh', readonly string[]>> = {
  en: [
    'Rewrite the following question in different words. Keep its meaning, details and language. Reply with the rewritten question only.\nQuestion: {question}\nRewritten question:',
    'Paraphrase this question the way another athlete might ask it, keeping every detail. Reply with one question only.\nQuestion: {question}\nParaphrase:',
  ],
  zh: [
    '请用不同的说法改写下面的问题，保持原意和所有细节不变，只输出改写后的问题。\n问题：{question}\n改写后的问题：',
    '请像另一位运动员那样换一种方式提出下面的问题，细节保持不变，只输出一个问题。\n问题：{question}\n改写：',
  ],
};

/**
 * Cleans a model reply into a single question: first non-empty line, without
 * a leading label ("Paraphrase:", "改写：") or surrounding quotes.
 *
 * @example
 * cleanParaphrase('Paraphrase: "How should I treat a sprained ankle?"\nThanks'); // 'How should I treat a sprained ankle?'
 */
export function cleanParaphrase(reply: string): string {
  const line = reply.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line
    .replace(/^(?:rewritten question|paraphrase|question|answer|改写后的问题|改写|问题)\s*[:：]\s*/i, '')
    .replace(/^["'“”‘’「」『』]+|["'“”‘’「」『』]+$/g, '')
    .trim();
}

export interface ParaphraseOptions {
  generate: GenerateFn;
  /** Accepted length of the paraphrase relative to the original, default [0.5, 2]. */
  lengthRatio?: [number, number];
  prompts?: Partial<Record<'en' | 'zh', readonly string[]>>;
}

/** A paraphrase operator, plus the reason its last `null` result was rejected. */
export interface ParaphraseOperator extends AugmentOperator {
  apply(example: QaExample, seed: number): Promise<QaExample | null>;
  lastRejection: string | null;
}

/**
 * The model-paraphrase operator (`paraphrase.model`). The seed picks the
 * prompt template; the reply is checked before it is used.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const echo = async (prompt: string) => 'What is the best way to look after a rolled ankle?';
 * const op = paraphraseOperator({ generate: echo });
 * const out = await op.apply(train[0], 0);
 * out?.provenance.steps.at(-1)?.params; // { prompt: ..., reply: ..., promptTemplate: 0 }
 */
export function paraphraseOperator(options: ParaphraseOptions): ParaphraseOperator {
  const name = 'paraphrase.model';
  const [minRatio, maxRatio] = options.lengthRatio ?? [0.5, 2];
  const op: ParaphraseOperator = {
    name,
    lastRejection: null,
    async apply(example: QaExample, seed: number): Promise<QaExample | null> {
      const lang = example.language === 'zh' ? 'zh' : 'en';
      const prompts = options.prompts?.[lang] ?? PARAPHRASE_PROMPTS[lang];
      const templateIndex = mulberry32(deriveSeed(seed, example.id, name)).int(prompts.length);
      const prompt = prompts[templateIndex].replace('{question}', example.question);
      const reply = await options.generate(prompt);
      const question = cleanParaphrase(reply);
      const ratio = question.length / Math.max(1, example.question.length);
      let rejection: string | null = null;
      if (question === '') rejection = 'the model returned no text';
      else if (question === example.question.trim()) rejection = 'the model returned the question unchanged';
      else if (detectLanguage(question) !== lang) rejection = `the reply is not in the example's language (${lang})`;
      else if (ratio < minRatio || ratio > maxRatio) rejection = `the reply is ${ratio.toFixed(2)}x the original length; expected ${minRatio}-${maxRatio}x`;
      op.lastRejection = rejection;
      if (rejection) return null;
      return applyStep(
        example,
        { question },
        {
          operator: name,
          seed,
          params: { promptTemplate: templateIndex, prompt, reply },
          changes: [{ kind: 'paraphrase', field: 'question', from: example.question, to: question }],
        },
      );
    },
  };
  return op;
}
