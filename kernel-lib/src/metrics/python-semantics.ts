/**
 * The few Python behaviours that the reference metrics (nltk, rouge-chinese,
 * jieba, sacrebleu, LLaMA-Factory) rely on and that JavaScript does
 * differently: what counts as whitespace for `str.split()`, how `round(x, 4)`
 * breaks ties, and `math.fsum`'s exactly rounded sum.
 *
 * Everything in `metrics/` that must agree with those tools to the last digit
 * goes through these helpers instead of `/\s/`, `toFixed` or `+`.
 */

/**
 * The characters Python's `str.isspace()` accepts (and therefore what
 * `str.split()`, `str.strip()` and `re`'s `\s` treat as whitespace), as a
 * regular-expression character-class body. Differs from JavaScript's `\s`:
 * Python adds U+001C..U+001F and U+0085, and does not include U+FEFF.
 */
export const PYTHON_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE_CLASS}]+`, 'u');
const ONE_WHITESPACE = new RegExp(`^[${PYTHON_WHITESPACE_CLASS}]$`, 'u');
const LEADING_WHITESPACE = new RegExp(`^[${PYTHON_WHITESPACE_CLASS}]+`, 'u');
const TRAILING_WHITESPACE = new RegExp(`[${PYTHON_WHITESPACE_CLASS}]+$`, 'u');

/**
 * Python's `str.isspace()` for a single character.
 *
 * @example
 * isPythonWhitespace('\u3000'); // true (ideographic space)
 * isPythonWhitespace('\ufeff'); // false, although JavaScript's /\s/ matches it
 */
export function isPythonWhitespace(char: string): boolean {
  return ONE_WHITESPACE.test(char);
}

/**
 * Python's `text.split()` with no argument: split on runs of whitespace,
 * dropping empty pieces.
 *
 * @example
 * pythonSplit('  a \u3000b\n'); // ['a', 'b']
 */
export function pythonSplit(text: string): string[] {
  return text.split(WHITESPACE_RUN).filter((piece) => piece.length > 0);
}

/**
 * Python's `text.rstrip()` with no argument.
 *
 * @example
 * pythonRstrip('abc \n\x1c'); // 'abc'
 */
export function pythonRstrip(text: string): string {
  return text.replace(TRAILING_WHITESPACE, '');
}

/**
 * Python's `text.strip()` with no argument.
 *
 * @example
 * pythonStrip('\t abc \u3000'); // 'abc'
 */
export function pythonStrip(text: string): string {
  return text.replace(LEADING_WHITESPACE, '').replace(TRAILING_WHITESPACE, '');
}

/**
 * Python's `f"{value:.{digits}f}"`: the exact binary value rounded to
 * `digits` decimals, ties to even. JavaScript's `toFixed` rounds the same
 * exact value but sends ties away from zero; a tie happens only when
 * `value * 2 ** (digits + 1)` is an odd integer (for 4 digits: odd multiples
 * of 1/32, such as 0.03125).
 *
 * @example
 * formatPythonFixed(0.03125, 4); // '0.0312' (toFixed gives '0.0313')
 * formatPythonFixed(2 / 3, 4);   // '0.6667'
 */
export function formatPythonFixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) {
    if (Number.isNaN(value)) return 'nan';
    return value > 0 ? 'inf' : '-inf';
  }
  const awayFromZero = value.toFixed(digits);
  const scaledByTwo = Math.abs(value) * 2 ** (digits + 1);
  const isTie = Number.isInteger(scaledByTwo) && scaledByTwo % 2 === 1;
  if (!isTie) return awayFromZero;
  const negative = awayFromZero.startsWith('-');
  const unsigned = negative ? awayFromZero.slice(1) : awayFromZero;
  const units = BigInt(unsigned.replace('.', ''));
  if (units % 2n === 0n) return awayFromZero;
  const toEven = (units - 1n).toString().padStart(digits + 1, '0');
  const whole = digits > 0 ? `${toEven.slice(0, -digits)}.${toEven.slice(-digits)}` : toEven;
  return (negative ? '-' : '') + whole;
}

/**
 * Python's built-in `round(value, digits)` for floats: the double nearest to
 * the exact value rounded to `digits` decimals with ties to even.
 *
 * @example
 * pythonRound(35.35533905932738, 4); // 35.3553
 * pythonRound(0.03125, 4);           // 0.0312
 */
export function pythonRound(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  return Number(formatPythonFixed(value, digits));
}

/**
 * Python's `math.fsum`: the sum of the values as if computed exactly and
 * rounded once (Shewchuk's algorithm with a half-even final correction).
 *
 * @example
 * fsum([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]); // 1 (a plain loop gives 0.9999999999999999)
 */
export function fsum(values: Iterable<number>): number {
  const partials: number[] = [];
  let special = 0;
  for (const input of values) {
    if (!Number.isFinite(input)) {
      special += input;
      continue;
    }
    let x = input;
    let kept = 0;
    for (const partial of partials) {
      let y = partial;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const high = x + y;
      const low = y - (high - x);
      if (low !== 0) partials[kept++] = low;
      x = high;
    }
    partials.length = kept;
    if (x !== 0) partials.push(x);
  }
  if (special !== 0 || Number.isNaN(special)) return special;
  let n = partials.length;
  if (n === 0) return 0;
  let high = partials[--n];
  let low = 0;
  while (n > 0) {
    const x = high;
    const y = partials[--n];
    high = x + y;
    const yRounded = high - x;
    low = y - yRounded;
    if (low !== 0) break;
  }
  // Round half-even: if the remaining partials push a half-way case over.
  if (n > 0 && ((low < 0 && partials[n - 1] < 0) || (low > 0 && partials[n - 1] > 0))) {
    const y = low * 2;
    const x = high + y;
    const yRounded = x - high;
    if (y === yRounded) high = x;
  }
  return high;
}
