/**
 * Long shared n-grams between two sets of texts: the leakage check that keeps
 * the pretraining corpus free of held-out (validation/test) answers. English
 * is compared as word n-grams, Chinese as character n-grams, after
 * lower-casing and dropping punctuation, so a copied sentence is found even
 * when its punctuation or spacing changed.
 */

/** Sizes of the n-grams that count as a long overlap. */
export interface OverlapOptions {
  /** Words in a shared English n-gram (default 8). */
  words?: number;
  /** Han characters in a shared Chinese n-gram (default 12). */
  hanChars?: number;
}

/** One shared n-gram: where it is in the text checked and in the reference. */
export interface TextOverlap {
  text: number;
  reference: number;
  ngram: string;
}

const HAN = /\p{Script=Han}/u;

/** Lower-cased words (letters/digits runs) of the non-Han part, and the Han characters in order. */
function units(text: string): { words: string[]; han: string[] } {
  const lower = text.toLowerCase();
  const words = lower.replace(/\p{Script=Han}/gu, ' ').match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  const han = [...lower].filter((c) => HAN.test(c));
  return { words, han };
}

function ngrams(tokens: string[], n: number, join: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(join));
  return out;
}

/**
 * Every text in `texts` that shares an English word n-gram (default 8 words)
 * or a Chinese character n-gram (default 12 Han characters) with a text in
 * `references`; one entry per (text, reference) pair, with the first shared
 * n-gram found.
 *
 * @example
 * findLongOverlaps(['a b c d e f g h i j k'], ['x a b c d e f g h i j y']); // [{ text: 0, reference: 0, ngram: 'a b c d e f g h' }]
 * findLongOverlaps(['rest and ice'], ['rest, then ice']);                    // []
 */
export function findLongOverlaps(texts: readonly string[], references: readonly string[], options: OverlapOptions = {}): TextOverlap[] {
  const nw = options.words ?? 8;
  const nh = options.hanChars ?? 12;
  if (!(nw >= 1 && nh >= 1)) throw new Error(`findLongOverlaps: n-gram sizes must be >= 1, got words ${nw}, hanChars ${nh}`);
  const index = new Map<string, number[]>();
  references.forEach((ref, r) => {
    const u = units(ref);
    for (const g of new Set([...ngrams(u.words, nw, ' ').map((x) => `w:${x}`), ...ngrams(u.han, nh, '').map((x) => `h:${x}`)])) {
      const list = index.get(g);
      if (list) list.push(r);
      else index.set(g, [r]);
    }
  });
  const found: TextOverlap[] = [];
  texts.forEach((text, t) => {
    const u = units(text);
    const seen = new Set<number>();
    for (const g of [...ngrams(u.words, nw, ' ').map((x) => `w:${x}`), ...ngrams(u.han, nh, '').map((x) => `h:${x}`)]) {
      for (const r of index.get(g) ?? []) {
        if (seen.has(r)) continue;
        seen.add(r);
        found.push({ text: t, reference: r, ngram: g.slice(2) });
      }
    }
  });
  return found;
}
