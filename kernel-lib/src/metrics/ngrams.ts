/**
 * N-gram counting shared by the BLEU implementations. An n-gram is keyed by a
 * length-prefixed encoding of its tokens, so any token (spaces, empty
 * strings, separators) maps to a distinct key.
 */

/** The key under which an n-gram is counted. */
export function ngramKey(tokens: readonly string[], start: number, n: number): string {
  let key = '';
  for (let i = start; i < start + n; i++) key += `${tokens[i].length}:${tokens[i]}`;
  return key;
}

/**
 * Count the n-grams of one order, like `Counter(nltk.util.ngrams(tokens, n))`.
 *
 * @example
 * countNgrams(['a', 'b', 'a', 'b'], 2).size; // 2 distinct bigrams: (a,b) twice, (b,a) once
 */
export function countNgrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let start = 0; start + n <= tokens.length; start++) {
    const key = ngramKey(tokens, start, n);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
