/**
 * Splits text into word and non-word tokens so augmentation can edit words and
 * put the text back together exactly: English by a word regex (spaces and
 * punctuation are kept as their own tokens), Chinese with jieba (loaded on
 * first use). Joining all token texts gives back the input.
 */

/** A piece of text; `isWord` is false for spaces and punctuation. */
export interface WordToken {
  text: string;
  isWord: boolean;
}

interface JiebaLike {
  cut(text: string, hmm?: boolean): string[];
}

let jieba: JiebaLike | null = null;

/**
 * The shared jieba segmenter (`@node-rs/jieba` with its default dictionary),
 * created on first use.
 *
 * @example
 * chineseSegmenter().cut('脚踝扭伤怎么办', true); // ['脚踝', '扭伤', '怎么办']
 */
export function chineseSegmenter(): JiebaLike {
  if (jieba) return jieba;
  let mod: { Jieba: { withDict(dict: Uint8Array): JiebaLike } };
  let dict: Uint8Array;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require('@node-rs/jieba');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    dict = require('@node-rs/jieba/dict').dict;
  } catch (err) {
    throw new Error(
      `Chinese word segmentation needs the package @node-rs/jieba (a dependency of galore-lab): ${(err as Error).message}. ` +
        'Install it with `npm install @node-rs/jieba`.',
    );
  }
  jieba = mod.Jieba.withDict(dict);
  return jieba;
}

const ENGLISH_TOKEN = /[A-Za-z0-9]+(?:['\u2019-][A-Za-z0-9]+)*|\s+|[^\sA-Za-z0-9]/g;
const WORDLIKE = /[\p{L}\p{N}]/u;

/**
 * Splits text into tokens for `language` (`zh` uses jieba, anything else the
 * English word regex).
 *
 * @example
 * splitWords('Ice it, then rest.', 'en').filter((t) => t.isWord).map((t) => t.text); // ['Ice', 'it', 'then', 'rest']
 */
export function splitWords(text: string, language: string): WordToken[] {
  const pieces = language === 'zh' ? chineseSegmenter().cut(text, true) : text.match(ENGLISH_TOKEN) ?? [];
  return pieces.map((piece) => ({ text: piece, isWord: WORDLIKE.test(piece) }));
}

/**
 * Joins tokens back into text.
 *
 * @example
 * joinWords(splitWords('Ice it, then rest.', 'en')); // 'Ice it, then rest.'
 */
export function joinWords(tokens: readonly WordToken[]): string {
  return tokens.map((t) => t.text).join('');
}
