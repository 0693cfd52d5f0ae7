/**
 * Question templates: rewrite the asking part of a question into other
 * phrasings people use ("How do I treat X?" -> "What is the best way to treat
 * X?", "……怎么办？" -> "……该如何处理？"), or wrap it in a greeting. Only the
 * last sentence (the actual question) is rewritten; earlier sentences that
 * give context stay as written. Rewrites keep the meaning and polarity of the
 * question, so the original answer still fits.
 */
import { applyStep, QaExample } from '../provenance';
import { deriveSeed, mulberry32 } from '../random';
import { SyncAugmentOperator } from './operator';

/** A pattern over the last sentence and the phrasings it may become (`$1`... are the pattern's groups). */
export interface QuestionTemplate {
  id: string;
  language: 'en' | 'zh';
  pattern: RegExp;
  rewrites: string[];
}

/** The built-in rewrite templates. */
export const QUESTION_TEMPLATES: readonly QuestionTemplate[] = [
  { id: 'en.how-do-i', language: 'en', pattern: /^how (?:do|should|can) i (.+)\?$/i,
    rewrites: ['What is the best way to $1?', 'What should I do to $1?', 'Could you explain how to $1?'] },
  { id: 'en.what-should-i-do', language: 'en', pattern: /^what should i do (.+)\?$/i,
    rewrites: ['What is the right thing to do $1?', 'What do you advise doing $1?', 'How should I handle things $1?'] },
  { id: 'en.is-it-safe', language: 'en', pattern: /^(?:is it|would it be) (safe|okay|ok|alright|all right|fine) to (.+)\?$/i,
    rewrites: ['Can I safely $2?', 'Would it be $1 for me to $2?', 'Is it $1 for me to $2?'] },
  { id: 'en.can-i', language: 'en', pattern: /^can i (.+)\?$/i,
    rewrites: ['Is it okay to $1?', 'Would it be all right to $1?'] },
  { id: 'en.should-i', language: 'en', pattern: /^should i (.+)\?$/i,
    rewrites: ['Is it a good idea to $1?', 'Would you advise me to $1?', 'Do you recommend that I $1?'] },
  { id: 'en.when-can-i', language: 'en', pattern: /^(?:when|how soon) can i (.+)\?$/i,
    rewrites: ['How long before I can $1?', 'When will it be safe to $1?', 'How soon is it safe to $1?'] },
  { id: 'en.how-long-heal', language: 'en', pattern: /^how long (?:does|will) (.+) take to (heal|recover|get better)\?$/i,
    rewrites: ['How much time does $1 need to $2?', 'What is the usual time for $1 to $2?'] },
  { id: 'en.do-i-need-to', language: 'en', pattern: /^do i need to (.+)\?$/i,
    rewrites: ['Is it necessary for me to $1?', 'Will I have to $1?'] },
  { id: 'en.do-i-need', language: 'en', pattern: /^do i need (?!to )(.+)\?$/i,
    rewrites: ['Will I need $1?', 'Is $1 necessary?'] },
  { id: 'en.what-causes', language: 'en', pattern: /^what causes (.+)\?$/i,
    rewrites: ['What is the cause of $1?', 'What leads to $1?'] },
  { id: 'en.is-it-normal', language: 'en', pattern: /^is it normal ((?:for|that|to) .+)\?$/i,
    rewrites: ['Is it common $1?', 'Is it usual $1?'] },
  { id: 'en.best-way', language: 'en', pattern: /^what is the (?:best|right|safest) way to (.+)\?$/i,
    rewrites: ['How should I $1?', 'What do you recommend to $1?'] },
  { id: 'en.how-much-need', language: 'en', pattern: /^how much (.+?) do i need(.*)\?$/i,
    rewrites: ['What amount of $1 do I need$2?', 'How much $1 should I be getting$2?'] },
  { id: 'en.why-does-my', language: 'en', pattern: /^why does (my .+?) (hurt|ache|swell|click|feel stiff)(.*)\?$/i,
    rewrites: ['What makes $1 $2$3?', 'What could cause $1 to $2$3?'] },
  { id: 'zh.zenmeban', language: 'zh', pattern: /^(.+?)(?:该|应该)?怎么办[？?]$/,
    rewrites: ['$1该如何处理？', '$1应该怎么做？', '$1怎么处理比较好？'] },
  { id: 'zh.gai-zenme', language: 'zh', pattern: /^(.+?)(?:该|应该)怎么(处理|做|治疗|恢复|练|预防)(.*)[？?]$/,
    rewrites: ['$1应该如何$2$3？', '$1怎样$2$3比较好？'] },
  { id: 'zh.keyi-ma', language: 'zh', pattern: /^(.*?)(?<![就才还也都不])(?:可以|能)(.+?)吗[？?]$/,
    rewrites: ['$1能不能$2？', '$1是否可以$2？'] },
  { id: 'zh.xuyao-ma', language: 'zh', pattern: /^(.*?)需要(.+?)吗[？?]$/,
    rewrites: ['$1是否需要$2？', '$1要不要$2？'] },
  { id: 'zh.yao-duojiu', language: 'zh', pattern: /^(.*?)要多久(.*)[？?]$/,
    rewrites: ['$1需要多长时间$2？', '$1一般要多久$2？'] },
  { id: 'zh.duojiu-neng', language: 'zh', pattern: /^(.*?)多久(?:才)?(?:能|可以)(.+?)[？?]$/,
    rewrites: ['$1要过多长时间才能$2？', '$1大概什么时候能$2？'] },
  { id: 'zh.yaobuyao', language: 'zh', pattern: /^(.*?)要不要(.+?)[？?]$/,
    rewrites: ['$1是否应该$2？', '$1需不需要$2？'] },
  { id: 'zh.nengbuneng', language: 'zh', pattern: /^(.*?)能不能(.+?)[？?]$/,
    rewrites: ['$1可不可以$2？', '$1是否可以$2？'] },
  { id: 'zh.shi-ma', language: 'zh', pattern: /^((?:.*[，,、])?)是([^，,、]+?)吗[？?]$/,
    rewrites: ['$1会不会是$2？', '$1有没有可能是$2？'] },
  { id: 'zh.you-shenme', language: 'zh', pattern: /^(.*?)有什么(.+?)[？?]$/,
    rewrites: ['$1有哪些$2？'] },
  { id: 'zh.zenyang', language: 'zh', pattern: /^(.*?)怎样(.+?)[？?]$/,
    rewrites: ['$1如何$2？', '$1怎么$2？'] },
  { id: 'zh.ruhe', language: 'zh', pattern: /^(.*?)如何(.+?)[？?]$/,
    rewrites: ['$1怎样$2？', '$1应该怎么$2？'] },
];

/** Wrappers around the whole question (`{q}`). */
export const QUESTION_WRAPPERS: Readonly<Record<'en' | 'zh', readonly string[]>> = {
  en: ['Quick question: {q}', '{q} Any advice would be appreciated.', "I'd like some advice. {q}", 'Hi there. {q}'],
  zh: ['请问，{q}', '医生您好，{q}', '想咨询一下：{q}', '{q}谢谢！'],
};

/**
 * Splits a question into its context (earlier sentences, with their trailing
 * space) and its last sentence.
 *
 * @example
 * splitLastSentence('I rolled my ankle. What should I do now?', 'en'); // ['I rolled my ankle. ', 'What should I do now?']
 */
export function splitLastSentence(question: string, language: string): [string, string] {
  const text = question.trimEnd();
  const boundary = language === 'zh' ? /[。！？!?；;]/g : /[.!?]\s+/g;
  let cut = 0;
  let m: RegExpExecArray | null;
  while ((m = boundary.exec(text)) !== null) {
    const end = m.index + m[0].length;
    if (end < text.length) cut = end;
  }
  return [text.slice(0, cut), text.slice(cut)];
}

/** One way a question can be rephrased. */
export interface QuestionRewrite {
  templateId: string;
  question: string;
  /** The sentence that was rewritten and what it became. */
  from: string;
  to: string;
}

/**
 * Every rephrasing the templates allow for a question (pattern rewrites of
 * its last sentence, then wrappers), without duplicates or the original.
 *
 * @example
 * questionRewrites('How do I strengthen my ankle after a sprain?', 'en').map((r) => r.question);
 * // ['What is the best way to strengthen my ankle after a sprain?', ...]
 */
export function questionRewrites(
  question: string,
  language: string,
  options: { templates?: readonly QuestionTemplate[]; wrappers?: boolean } = {},
): QuestionRewrite[] {
  const lang = language === 'zh' ? 'zh' : 'en';
  const templates = (options.templates ?? QUESTION_TEMPLATES).filter((t) => t.language === lang);
  const [context, last] = splitLastSentence(question, lang);
  const out: QuestionRewrite[] = [];
  const seen = new Set([question.trim()]);
  const add = (r: QuestionRewrite): void => {
    if (seen.has(r.question)) return;
    seen.add(r.question);
    out.push(r);
  };
  for (const t of templates) {
    const m = t.pattern.exec(last);
    if (!m) continue;
    t.rewrites.forEach((rewrite, k) => {
      const to = rewrite.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
      add({ templateId: `${t.id}#${k}`, question: context + to, from: last, to });
    });
  }
  if (options.wrappers ?? true) {
    QUESTION_WRAPPERS[lang].forEach((w, k) => {
      const q = w.replace('{q}', question.trim());
      add({ templateId: `${lang}.wrap#${k}`, question: q, from: question.trim(), to: q });
    });
  }
  return out;
}

/**
 * The question-template operator (`template.question`): picks one rephrasing
 * by seed, preferring pattern rewrites over wrappers when any exists.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const op = questionTemplateOperator();
 * op.apply(train[0], 3)?.question;
 */
export function questionTemplateOperator(options: { templates?: readonly QuestionTemplate[]; wrappers?: boolean } = {}): SyncAugmentOperator {
  const name = 'template.question';
  return {
    name,
    apply(example: QaExample, seed: number): QaExample | null {
      const rewrites = questionRewrites(example.question, example.language, options);
      if (rewrites.length === 0) return null;
      const patterned = rewrites.filter((r) => !r.templateId.includes('.wrap#'));
      const pool = patterned.length > 0 ? patterned : rewrites;
      const choice = mulberry32(deriveSeed(seed, example.id, name)).pick(pool);
      return applyStep(
        example,
        { question: choice.question },
        {
          operator: name,
          seed,
          params: { template: choice.templateId },
          changes: [{ kind: 'template', field: 'question', from: choice.from, to: choice.to, detail: choice.templateId }],
        },
      );
    },
  };
}
