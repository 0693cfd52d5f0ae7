/**
 * Training a byte-level BPE tokenizer (the GPT-2 / Qwen2 family's scheme) on
 * our own text, saved as a Hugging Face `tokenizer.json` that
 * `@huggingface/tokenizers` (and Python `tokenizers`) load.
 */

/** Qwen2's pre-tokenizer split pattern (as in its tokenizer.json). */
export const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// The same pattern in JS syntax (JS has no inline (?i:...) group).
const SPLIT_RE = /'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** Chat and padding tokens every Qwen2-style tokenizer of ours carries. */
export const QWEN2_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/**
 * GPT-2's reversible map from the 256 byte values to printable unicode
 * characters: printable Latin-1 bytes map to themselves, the rest to
 * code points from 256 upwards in byte order.
 */
export function byteToUnicodeTable(): string[] {
  const keep = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(keep(b) ? b : 256 + extra++);
  return table;
}

/** Split text into pre-tokens the way Qwen2's pre-tokenizer does. */
export function preTokenize(text: string): string[] {
  return text.normalize('NFC').match(SPLIT_RE) ?? [];
}

export interface BpeTrainingOptions {
  /** Target size of the base vocabulary (256 byte symbols + merges), special tokens excluded. */
  vocabSize: number;
  /** Stop merging when the best pair occurs fewer times than this. Default 2. */
  minFrequency?: number;
  specialTokens?: string[];
  /** Called every 100 merges with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Learn byte-level BPE merges from `texts` and return a Hugging Face
 * `tokenizer.json` object (NFC normaliser, Qwen2's Split + ByteLevel
 * pre-tokenizer, BPE model, ByteLevel decoder, special tokens as added tokens).
 * Deterministic: ties between equally frequent pairs break by the pair's text.
 *
 * @example
 * const json = trainByteLevelBpe(['ankle sprain', 'knee sprain'], { vocabSize: 300 });
 * const tok = new Qwen2Tokenizer(json, {});
 */
export function trainByteLevelBpe(texts: string[], options: BpeTrainingOptions): Record<string, unknown> {
  const table = byteToUnicodeTable();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of preTokenize(text)) {
      const mapped = Array.from(encoder.encode(piece), (b) => table[b]).join('');
      wordCounts.set(mapped, (wordCounts.get(mapped) ?? 0) + 1);
    }
  }
  const words: { symbols: string[]; count: number }[] = [];
  for (const [w, count] of [...wordCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) words.push({ symbols: Array.from(w), count });
  const vocab = new Map<string, number>();
  for (let b = 0; b < 256; b++) vocab.set(table[b], b);
  const merges: [string, string][] = [];
  const minFrequency = options.minFrequency ?? 2;
  const wanted = Math.max(0, options.vocabSize - 256);
  while (merges.length < wanted) {
    const pairCounts = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = `${w.symbols[i]}\u0000${w.symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + w.count);
      }
    }
    let best = '';
    let bestCount = 0;
    for (const [key, c] of pairCounts) {
      if (c > bestCount || (c === bestCount && key < best)) { best = key; bestCount = c; }
    }
    if (bestCount < minFrequency) break;
    const [a, b] = best.split('\u0000');
    const merged = a + b;
    merges.push([a, b]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const w of words) {
      const s = w.symbols;
      if (s.length < 2) continue;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { out.push(merged); i++; } else out.push(s[i]);
      }
      w.symbols = out;
    }
    if (options.onProgress && merges.length % 100 === 0) options.onProgress(merges.length, wanted);
  }
  const specials = options.specialTokens ?? QWEN2_SPECIAL_TOKENS;
  const added = specials.map((content, i) => ({
    id: vocab.size + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(vocab), merges,
    },
  };
}

/** A `tokenizer_config.json` for a tokenizer trained by `trainByteLevelBpe` (Qwen2 conventions). */
export function qwen2TokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'Qwen2Tokenizer',
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    split_special_tokens: false,
    errors: 'replace',
  };
}
