/**
 * Terminal text layout for mixed English / Chinese text: display widths
 * (CJK characters take two columns) and word wrapping that breaks English at
 * spaces and Chinese between any two characters.
 */

/** Columns a code point takes in a terminal: 2 for East Asian wide/fullwidth, 0 for combining marks, else 1. */
function codePointWidth(cp: number): number {
  if (cp === 0 || cp < 32 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

/**
 * Columns `text` takes in a terminal (CJK characters count 2).
 *
 * @example
 * const { displayWidth } = require('galore-lab');
 * displayWidth('ankle');    // 5
 * displayWidth('踝关节');   // 6
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += codePointWidth(ch.codePointAt(0)!);
  return width;
}

interface Unit {
  text: string;
  width: number;
  space: boolean;
}

/** Break a paragraph into units: runs of spaces, English words, and single wide characters. */
function units(paragraph: string): Unit[] {
  const out: Unit[] = [];
  let word = '';
  let wordWidth = 0;
  const flush = (): void => {
    if (word) out.push({ text: word, width: wordWidth, space: false });
    word = '';
    wordWidth = 0;
  };
  for (const ch of paragraph) {
    const w = codePointWidth(ch.codePointAt(0)!);
    if (/\s/u.test(ch)) {
      flush();
      const last = out[out.length - 1];
      if (last?.space) { last.text += ' '; last.width += 1; } else out.push({ text: ' ', width: 1, space: true });
    } else if (w === 2) {
      flush();
      out.push({ text: ch, width: 2, space: false });
    } else {
      word += ch;
      wordWidth += w;
    }
  }
  flush();
  return out;
}

/** Split a unit wider than `width` into pieces that fit. */
function hardSplit(unit: Unit, width: number): Unit[] {
  const pieces: Unit[] = [];
  let text = '';
  let w = 0;
  for (const ch of unit.text) {
    const cw = codePointWidth(ch.codePointAt(0)!);
    if (w + cw > width && text) { pieces.push({ text, width: w, space: false }); text = ''; w = 0; }
    text += ch;
    w += cw;
  }
  if (text) pieces.push({ text, width: w, space: false });
  return pieces;
}

/**
 * Wrap `text` into lines of at most `width` columns: newlines in the text
 * start new lines, English breaks at spaces (a word longer than the width is
 * split), Chinese between characters. Trailing spaces are trimmed.
 *
 * @example
 * const { wrapText } = require('galore-lab');
 * wrapText('Rest, ice, compression and elevation.', 16); // ['Rest, ice,', 'compression and', 'elevation.']
 */
export function wrapText(text: string, width: number): string[] {
  if (!(width >= 2)) throw new RangeError(`wrapText: width must be at least 2 columns, got ${width}`);
  const lines: string[] = [];
  for (const paragraph of text.replace(/\r\n?/g, '\n').split('\n')) {
    let line = '';
    let used = 0;
    for (const unit of units(paragraph).flatMap((u) => (u.width > width ? hardSplit(u, width) : [u]))) {
      if (unit.space) {
        if (used === 0) continue; // no leading spaces on wrapped lines
        if (used + unit.width >= width) { lines.push(line.trimEnd()); line = ''; used = 0; continue; }
        line += unit.text;
        used += unit.width;
        continue;
      }
      if (used + unit.width > width) {
        lines.push(line.trimEnd());
        line = '';
        used = 0;
      }
      line += unit.text;
      used += unit.width;
    }
    lines.push(line.trimEnd());
  }
  return lines;
}
