/**
 * Chinese word segmentation that reproduces Python jieba 0.42's default
 * `jieba.cut(text)` (accurate mode, HMM on, default dictionary), the
 * segmentation LLaMA-Factory applies before ROUGE.
 *
 * The dictionary lookups and the HMM run in jieba-rs (through
 * `@node-rs/jieba`). Three known differences between jieba-rs and Python
 * jieba are corrected here:
 *
 * 1. Block splitting. Python cuts the text into runs of
 *    `[\u4E00-\u9FD5a-zA-Z0-9+#&._%-]` and emits every other character on its
 *    own ("\r\n" stays one token). Recent jieba-rs releases widen the Han
 *    class (CJK Extension A/B..., U+9FD6..U+9FFF, compatibility ideographs), so
 *    we split the blocks ourselves and hand jieba-rs only Python's Han blocks.
 * 2. Unknown ASCII runs. For characters the dictionary does not cover, Python's
 *    HMM step splits non-Han runs with `[a-zA-Z0-9]+(?:\.\d+)?%?`; jieba-rs
 *    uses an unescaped dot (`(?:.\d+)?`), so "3-6" stays one token and
 *    "Qwen2-0.5B" becomes "Qwen2-0", ".", "5B". We re-split such runs with
 *    Python's pattern (only where jieba-rs's pattern explains its output).
 * 3. Dictionary total. Python's dict.txt lists "B超 3 n" twice, so its total
 *    frequency is 3 larger; we add the duplicate line.
 */
import { PYTHON_WHITESPACE_CLASS } from './python-semantics';

/** A function that turns text into words (jieba-compatible by default). */
export type WordSegmenter = (text: string) => string[];

interface NativeJieba {
  cut(sentence: string, hmm?: boolean | null): string[];
}

/** Characters Python jieba's `re_han_default` accepts. */
const PYTHON_HAN_BLOCK_CHAR = /^[\u4E00-\u9FD5a-zA-Z0-9+#&._%-]$/u;
/** The non-Han part of that class: ASCII letters, digits and `+#&._%-`. */
const ASCII_WORD_CHARS = /^[a-zA-Z0-9+#&._%-]+$/;
/** Python jieba's `finalseg.re_skip`. */
const PYTHON_HMM_SKIP = /[a-zA-Z0-9]+(?:\.\d+)?%?/g;
/** jieba-rs's version of the same pattern (the dot is not escaped). */
const JIEBA_RS_HMM_SKIP = /[a-zA-Z0-9]+(?:.\d+)?%?/g;
const PYTHON_WHITESPACE_CHAR = new RegExp(`^[${PYTHON_WHITESPACE_CLASS}]$`, 'u');

let native: NativeJieba | undefined;
let asciiDictionaryWords: Set<string> | undefined;

function loadNativeJieba(): NativeJieba {
  if (native) return native;
  const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(dict: Uint8Array): NativeJieba } };
  const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
  const text = Buffer.from(dict).toString('utf8');
  const withDuplicate = `${text.endsWith('\n') ? text : `${text}\n`}B超 3 n\n`;
  native = Jieba.withDict(Buffer.from(withDuplicate, 'utf8'));
  asciiDictionaryWords = new Set();
  for (const line of text.split('\n')) {
    const word = line.split(' ')[0];
    if (word && ASCII_WORD_CHARS.test(word)) asciiDictionaryWords.add(word);
  }
  return native;
}

/** Split `text` into the matches of `pattern` and the (non-empty) gaps between them, in order. */
function splitKeepingMatches(text: string, pattern: RegExp): string[] {
  const pieces: string[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > last) pieces.push(text.slice(last, match.index));
    pieces.push(match[0]);
    last = match.index + match[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces;
}

function sameWords(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/** Re-split runs of unknown ASCII tokens the way Python's HMM step does (difference 2 above). */
function repairAsciiRuns(words: string[]): string[] {
  const repaired: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const joined = run.join('');
    const explainedByJiebaRs = sameWords(splitKeepingMatches(joined, JIEBA_RS_HMM_SKIP), run);
    repaired.push(...(explainedByJiebaRs ? splitKeepingMatches(joined, PYTHON_HMM_SKIP) : run));
    run = [];
  };
  for (const word of words) {
    if (ASCII_WORD_CHARS.test(word) && !asciiDictionaryWords?.has(word)) {
      run.push(word);
    } else {
      flush();
      repaired.push(word);
    }
  }
  flush();
  return repaired;
}

/**
 * Segment text exactly as Python's `list(jieba.cut(text))` does with the
 * default dictionary (accurate mode, HMM on). Whitespace characters come back
 * as their own tokens, like jieba's.
 *
 * @example
 * const { jiebaCut } = require('galore-lab');
 * jiebaCut('我来到北京清华大学');     // ['我', '来到', '北京', '清华大学']
 * jiebaCut('休息3-6周');            // ['休息', '3', '-', '6', '周']
 */
export function jiebaCut(text: string): string[] {
  const jieba = loadNativeJieba();
  const words: string[] = [];
  const chars = Array.from(text);
  let i = 0;
  while (i < chars.length) {
    if (PYTHON_HAN_BLOCK_CHAR.test(chars[i])) {
      let end = i + 1;
      while (end < chars.length && PYTHON_HAN_BLOCK_CHAR.test(chars[end])) end++;
      words.push(...repairAsciiRuns(jieba.cut(chars.slice(i, end).join(''), true)));
      i = end;
    } else if (chars[i] === '\r' && chars[i + 1] === '\n') {
      words.push('\r\n');
      i += 2;
    } else {
      words.push(chars[i]);
      i += 1;
    }
  }
  return words;
}

/**
 * Python's `" ".join(jieba.cut(text))`: the space-joined form rouge-chinese
 * scores. Whitespace in the input survives as tokens of its own.
 *
 * @example
 * const { jiebaJoined } = require('galore-lab');
 * jiebaJoined('跟腱断裂需要手术'); // '跟腱 断裂 需要 手术'
 */
export function jiebaJoined(text: string): string {
  return jiebaCut(text).join(' ');
}

/** True when the token is a single whitespace character or "\r\n" (handy for filtering jieba output). */
export function isWhitespaceToken(token: string): boolean {
  return token === '\r\n' || PYTHON_WHITESPACE_CHAR.test(token);
}
