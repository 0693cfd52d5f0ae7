import { describe, expect, it } from 'vitest';
import { checkCompleteness } from '../../kernel-lib/src/kernel/is-complete';
import { loadTslabTypeScript } from '../../kernel-lib/src/kernel/tslab-modules';

const ts = loadTslabTypeScript();

describe('is_complete', () => {
  it.each(['1 + 1', 'const x = 1;', 'function f() {\n  return 1;\n}', 'class A {}\n'])('complete: %j', (code) => {
    expect(checkCompleteness(ts, code)).toEqual({ status: 'complete' });
  });

  it.each([
    ['function f() {', '  '],
    ['const s = `abc', ''],
    ['[1, 2,', ''],
    ['  if (ready)', '  '],
    ['/* comment', ''],
    ['let a = ', ''],
  ])('incomplete: %j (indent %j)', (code, indent) => {
    expect(checkCompleteness(ts, code)).toEqual({ status: 'incomplete', indent });
  });

  it.each(['const = 5;', '1 +* 2', ')', 'let x: = 3', 'const s = "abc', '}}'])('invalid: %j', (code) => {
    expect(checkCompleteness(ts, code)).toEqual({ status: 'invalid' });
  });

  it('treats two trailing blank lines as a request to run anyway', () => {
    expect(checkCompleteness(ts, 'function f() {\n\n\n')).toEqual({ status: 'complete' });
  });
});
