/**
 * Keyword matching for domain relevance: English terms match whole words,
 * case-insensitively, and a trailing `*` matches any ending (`injur*` matches
 * injury, injured, injuries); Chinese terms match as substrings.
 */

/** A compiled keyword list: returns the terms found in a text. */
export type KeywordMatcher = (text: string) => string[];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HAS_HAN = /\p{Script=Han}/u;

/**
 * Compiles keywords into a matcher.
 *
 * @example
 * const match = keywordMatcher(['injur*', '扭伤']);
 * match('How long do injuries take? 脚踝扭伤'); // ['injur*', '扭伤']
 */
export function keywordMatcher(terms: readonly string[]): KeywordMatcher {
  const compiled = terms.map((term) => {
    if (HAS_HAN.test(term)) return { term, test: (t: string) => t.includes(term) };
    const wildcard = term.endsWith('*');
    const core = escapeRegExp(wildcard ? term.slice(0, -1) : term);
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${core}${wildcard ? '[\\p{L}\\p{N}]*' : ''}(?![\\p{L}\\p{N}])`, 'iu');
    return { term, test: (t: string) => re.test(t) };
  });
  return (text: string) => compiled.filter((c) => c.test(text)).map((c) => c.term);
}
