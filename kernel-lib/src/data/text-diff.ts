/**
 * A small word-level diff (longest common subsequence) for showing what an
 * augmentation changed: English is compared word by word (spaces and
 * punctuation are their own tokens), Chinese character by character.
 */
import { escapeHtml } from './html';

/** One run of the diff. */
export interface DiffOp {
  type: 'equal' | 'delete' | 'insert';
  text: string;
}

function tokenize(text: string): string[] {
  const hasHan = /\p{Script=Han}/u.test(text);
  if (hasHan) return Array.from(text);
  return text.match(/[\p{L}\p{N}]+(?:['\u2019-][\p{L}\p{N}]+)*|\s+|[^\s\p{L}\p{N}]/gu) ?? [];
}

/**
 * Diffs two texts into equal / delete / insert runs. Above `maxCells`
 * (tokens of a times tokens of b) it reports one delete and one insert
 * instead of aligning.
 *
 * @example
 * diffText('Ice the knee now', 'Cool the knee now');
 * // [{type:'delete',text:'Ice'},{type:'insert',text:'Cool'},{type:'equal',text:' the knee now'}]
 */
export function diffText(a: string, b: string, maxCells = 4_000_000): DiffOp[] {
  if (a === b) return a ? [{ type: 'equal', text: a }] : [];
  const x = tokenize(a);
  const y = tokenize(b);
  if (x.length * y.length > maxCells) {
    return [
      ...(a ? [{ type: 'delete' as const, text: a }] : []),
      ...(b ? [{ type: 'insert' as const, text: b }] : []),
    ];
  }
  // lcs[i][j] = LCS length of x[i:] and y[j:], flattened.
  const w = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * w);
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const ops: DiffOp[] = [];
  const push = (type: DiffOp['type'], text: string): void => {
    const last = ops[ops.length - 1];
    if (last && last.type === type) last.text += text;
    else ops.push({ type, text });
  };
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      push('equal', x[i]);
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
      push('delete', x[i++]);
    } else {
      push('insert', y[j++]);
    }
  }
  while (i < x.length) push('delete', x[i++]);
  while (j < y.length) push('insert', y[j++]);
  return ops;
}

/**
 * HTML for the two sides of a diff: `before` marks deletions, `after` marks
 * insertions; all text is escaped.
 *
 * @example
 * diffHtml(diffText('Ice the knee', 'Cool the knee')).after; // '<ins ...>Cool</ins> the knee'
 */
export function diffHtml(ops: readonly DiffOp[]): { before: string; after: string } {
  const del = 'style="background:#ffd7d5;text-decoration:line-through;"';
  const ins = 'style="background:#ccffd8;text-decoration:none;"';
  let before = '';
  let after = '';
  for (const op of ops) {
    const t = escapeHtml(op.text);
    if (op.type === 'equal') {
      before += t;
      after += t;
    } else if (op.type === 'delete') before += `<del ${del}>${t}</del>`;
    else after += `<ins ${ins}>${t}</ins>`;
  }
  return { before, after };
}

/**
 * A plain-text diff: `[-deleted-]` and `{+inserted+}`, as `git diff --word-diff` prints it.
 *
 * @example
 * diffPlain(diffText('Ice the knee', 'Cool the knee')); // '[-Ice-]{+Cool+} the knee'
 */
export function diffPlain(ops: readonly DiffOp[]): string {
  return ops.map((op) => (op.type === 'equal' ? op.text : op.type === 'delete' ? `[-${op.text}-]` : `{+${op.text}+}`)).join('');
}
