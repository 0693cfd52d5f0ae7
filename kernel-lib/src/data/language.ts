/**
 * A language check for the two languages of the data set: Chinese when Han
 * characters make up most of the letters, English when Latin letters do.
 */

/**
 * Guesses whether a text is Chinese (`zh`), English (`en`) or neither
 * (`unknown`: no letters, or no clear majority). Han characters count once
 * each, Latin letters count one per 4 (about one English syllable), so a
 * Chinese sentence with an English abbreviation ("ACL") stays Chinese.
 *
 * @example
 * detectLanguage('前交叉韧带（ACL）损伤后多久能跑步？'); // 'zh'
 * detectLanguage('How long after an ACL injury can I run?'); // 'en'
 */
export function detectLanguage(text: string): 'en' | 'zh' | 'unknown' {
  const han = (text.match(/\p{Script=Han}/gu) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length / 4;
  if (han + latin === 0) return 'unknown';
  const share = han / (han + latin);
  if (share >= 0.6) return 'zh';
  if (share <= 0.4) return 'en';
  return 'unknown';
}
