/**
 * The tokenizers of sacreBLEU 2.x that corpus BLEU uses here: `13a` (the
 * mteval-v13a tokenizer, sacreBLEU's default), `zh` (every Chinese character
 * becomes a token, the rest goes through the 13a rules) and `none`.
 * Each returns the tokenized line with single spaces between tokens.
 */
import { pythonSplit, pythonStrip } from './python-semantics';

/** A sacreBLEU tokenizer name supported here. */
export type SacreBleuTokenizerName = '13a' | 'zh' | 'none';

/** The names accepted by {@link sacreBleuTokenize}. */
export const SACREBLEU_TOKENIZER_NAMES: readonly SacreBleuTokenizerName[] = ['13a', 'zh', 'none'];

/** sacreBLEU's `TokenizerRegexp` rules, applied in order. */
const REGEXP_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // ASCII punctuation and symbols except ' , - . become separate tokens.
  [/([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu, ' $1 '],
  // period and comma unless preceded by a digit
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // period and comma unless followed by a digit
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // dash when preceded by a digit
  [/([0-9])(-)/gu, '$1 $2 '],
];

function regexpTokenize(line: string): string {
  let tokenized = line;
  for (const [pattern, replacement] of REGEXP_RULES) tokenized = tokenized.replace(pattern, replacement);
  return pythonSplit(tokenized).join(' ');
}

/**
 * sacreBLEU's `13a` tokenizer.
 *
 * @example
 * const { tokenize13a } = require('galore-lab');
 * tokenize13a('Rest, ice (and) compression.'); // 'Rest , ice ( and ) compression .'
 * tokenize13a('3.5 km, 10-12 reps');           // '3.5 km , 10 - 12 reps'
 */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  return regexpTokenize(` ${text} `);
}

/**
 * Code-point ranges sacreBLEU's `zh` tokenizer treats as Chinese. sacreBLEU
 * writes two ranges as `u'\u20000'..u'\u2a6d6'` and `u'\u2f800'..u'\u2fa1d'`;
 * Python reads those as two-character strings, and its string comparison then
 * admits U+2001..U+2A6D (general punctuation such as “ ” … —, arrows, maths
 * symbols) and U+2F81..U+2FA1, while the supplementary ideographs themselves
 * are not matched. We reproduce that so scores agree with sacreBLEU.
 */
const ZH_CHARACTER_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fa5],
  [0x9fa6, 0x9fbb],
  [0xf900, 0xfa2d],
  [0xfa30, 0xfa6a],
  [0xfa70, 0xfad9],
  [0x2001, 0x2a6d], // written as '\u20000'..'\u2a6d6' in sacreBLEU
  [0x2f81, 0x2fa1], // written as '\u2f800'..'\u2fa1d' in sacreBLEU
  [0xff00, 0xffef],
  [0x2e80, 0x2eff],
  [0x3000, 0x303f],
  [0x31c0, 0x31ef],
  [0x2f00, 0x2fdf],
  [0x2ff0, 0x2fff],
  [0x3100, 0x312f],
  [0x31a0, 0x31bf],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe4f],
  [0x2600, 0x26ff],
  [0x2700, 0x27bf],
  [0x3200, 0x32ff],
  [0x3300, 0x33ff],
];

/** Whether sacreBLEU's `zh` tokenizer splits this character off as a token of its own. */
export function isSacreBleuChineseCharacter(char: string): boolean {
  const code = char.codePointAt(0) ?? -1;
  return ZH_CHARACTER_RANGES.some(([start, end]) => code >= start && code <= end);
}

/**
 * sacreBLEU's `zh` tokenizer.
 *
 * @example
 * const { tokenizeZh } = require('galore-lab');
 * tokenizeZh('膝关节ACL损伤，3-6周。'); // '膝 关 节 ACL 损 伤 ， 3 - 6 周 。'
 */
export function tokenizeZh(line: string): string {
  let spaced = '';
  for (const char of pythonStrip(line)) spaced += isSacreBleuChineseCharacter(char) ? ` ${char} ` : char;
  return regexpTokenize(spaced);
}

/**
 * Tokenize one line with the named sacreBLEU tokenizer (`none` returns the
 * line unchanged; BLEU then splits it on whitespace).
 *
 * @example
 * const { sacreBleuTokenize } = require('galore-lab');
 * sacreBleuTokenize('zh', '运动损伤'); // '运 动 损 伤'
 */
export function sacreBleuTokenize(name: SacreBleuTokenizerName, line: string): string {
  switch (name) {
    case '13a':
      return tokenize13a(line);
    case 'zh':
      return tokenizeZh(line);
    case 'none':
      return line;
    default:
      throw new RangeError(`unknown sacreBLEU tokenizer ${JSON.stringify(name)}; expected one of ${SACREBLEU_TOKENIZER_NAMES.join(', ')}`);
  }
}
