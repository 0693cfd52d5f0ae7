import { describe, expect, it } from 'vitest';
import { CURRENT_SESSION, CellHistory, globToRegExp } from '../../kernel-lib/src/kernel/history';

function filled(): CellHistory {
  const history = new CellHistory();
  ['const a = 1', '1 + 2', 'a * 2', '1 + 2', 'console.log(a)'].forEach((input, i) => {
    const entry = history.record(i + 1, input);
    if (input === '1 + 2') entry.output = '3';
  });
  return history;
}

describe('CellHistory', () => {
  it('answers tail with the last n cells, with outputs on request', () => {
    const history = filled();
    expect(history.query({ hist_access_type: 'tail', n: 2 })).toEqual([
      [CURRENT_SESSION, 4, '1 + 2'],
      [CURRENT_SESSION, 5, 'console.log(a)'],
    ]);
    expect(history.query({ hist_access_type: 'tail', n: 1, output: true })).toEqual([[CURRENT_SESSION, 5, ['console.log(a)', null]]]);
    expect(history.query({ hist_access_type: 'tail', n: 2, output: true })[0]).toEqual([CURRENT_SESSION, 4, ['1 + 2', '3']]);
  });

  it('answers range with [start, stop) of this session (0 means this session)', () => {
    const history = filled();
    expect(history.query({ hist_access_type: 'range', session: CURRENT_SESSION, start: 2, stop: 4 }).map((r) => r[1])).toEqual([2, 3]);
    expect(history.query({ hist_access_type: 'range', session: 0, start: 5 }).map((r) => r[1])).toEqual([5]);
    expect(history.query({ hist_access_type: 'range', session: 7, start: 1 })).toEqual([]);
  });

  it('answers search with glob patterns, unique and n', () => {
    const history = filled();
    expect(history.query({ hist_access_type: 'search', pattern: '1 + *' }).map((r) => r[1])).toEqual([2, 4]);
    expect(history.query({ hist_access_type: 'search', pattern: '1 + *', unique: true }).map((r) => r[1])).toEqual([4]);
    expect(history.query({ hist_access_type: 'search', pattern: '*a*', n: 2 }).map((r) => r[1])).toEqual([3, 5]);
    expect(history.query({ hist_access_type: 'nonsense' })).toEqual([]);
  });

  it('translates globs: * and ? wildcards, [] classes, literal regex characters', () => {
    expect(globToRegExp('a.b*').test('a.bcd')).toBe(true);
    expect(globToRegExp('a.b*').test('axbcd')).toBe(false);
    expect(globToRegExp('x?z').test('xyz')).toBe(true);
    expect(globToRegExp('[!a]bc').test('abc')).toBe(false);
    expect(globToRegExp('[!a]bc').test('xbc')).toBe(true);
    expect(globToRegExp('f(1)').test('f(1)')).toBe(true);
  });
});
