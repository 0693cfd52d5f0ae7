import { describe, expect, it } from 'vitest';
import { JUPYTER_DISPLAY } from '../../kernel-lib/src/data/html';
import { barFigure, countBy, crossTab, DataTable, lengthHistogramFigure, lengthStats } from '../../kernel-lib/src/data/summary-tables';

const rows = [
  { language: 'en', topic: 'ankle-sprain', answer: 'abcd' },
  { language: 'en', topic: 'concussion', answer: 'abcdefgh' },
  { language: 'zh', topic: 'ankle-sprain', answer: '脚踝' },
  { language: 'en', topic: 'ankle-sprain', answer: 'ab' },
];

describe('summary tables', () => {
  it('counts by one or more keys (hand-computed)', () => {
    expect(countBy(rows, 'language').toRecords()).toEqual([{ language: 'en', count: 3 }, { language: 'zh', count: 1 }]);
    expect(countBy(rows, ['topic', 'language']).rows).toEqual([
      ['ankle-sprain', 'en', 2],
      ['ankle-sprain', 'zh', 1],
      ['concussion', 'en', 1],
    ]);
  });

  it('cross-tabulates with totals, in a given order', () => {
    const t = crossTab(rows, 'topic', 'language', { rowOrder: ['concussion', 'ankle-sprain'], columnOrder: ['zh', 'en'] });
    expect(t.columns).toEqual(['topic', 'zh', 'en', 'total']);
    expect(t.rows).toEqual([
      ['concussion', 0, 1, 1],
      ['ankle-sprain', 1, 2, 3],
      ['total', 1, 3, 4],
    ]);
    expect(t.toMarkdown().split('\n').slice(0, 3)).toEqual(['| topic | zh | en | total |', '| --- | ---: | ---: | ---: |', '| concussion | 0 | 1 | 1 |']);
  });

  it('summarises lengths in characters with quartiles (hand-computed)', () => {
    // en answers: 4, 8, 2 characters -> sorted 2, 4, 8.
    expect(lengthStats(rows, 'answer', 'language').toRecords()).toEqual([
      { language: 'en', count: 3, min: 2, p25: 3, median: 4, p75: 6, max: 8, mean: 4.7 },
      { language: 'zh', count: 1, min: 2, p25: 2, median: 2, p75: 2, max: 2, mean: 2 },
    ]);
  });

  it('makes plotly figures', () => {
    const hist = lengthHistogramFigure(rows, 'answer', 'language');
    expect(hist.data).toEqual([
      { type: 'histogram', name: 'en', x: [4, 8, 2], opacity: 0.7 },
      { type: 'histogram', name: 'zh', x: [2], opacity: 0.7 },
    ]);
    expect(hist.layout).toHaveProperty('barmode', 'overlay');
    const bar = barFigure(crossTab(rows, 'topic', 'language'), 'topic', ['en']);
    expect(bar.data).toEqual([{ type: 'bar', name: 'en', x: ['ankle-sprain', 'concussion'], y: [2, 1] }]);
    expect(() => barFigure(countBy(rows, 'topic'), 'nope', [])).toThrow(/no column "nope"; the table has topic, count/);
  });

  it('displays as escaped HTML and checks row widths', () => {
    const t = new DataTable(['name'], [['<img src=x>']], 'a & b');
    const bundle = t[JUPYTER_DISPLAY]();
    expect(bundle['text/html']).toContain('&lt;img src=x&gt;');
    expect(bundle['text/html']).not.toContain('<img');
    expect(bundle['text/plain']).toBe('a & b\nname\n<img src=x>');
    expect(() => new DataTable(['a', 'b'], [[1]])).toThrow(/row 0 has 1 cells; expected 2/);
  });

  it('toDataFrame says how to install danfojs-node when it is missing', () => {
    let installed = true;
    try {
      require.resolve('danfojs-node');
    } catch {
      installed = false;
    }
    if (installed) {
      expect(countBy(rows, 'language').toDataFrame()).toBeTruthy();
    } else {
      expect(() => countBy(rows, 'language').toDataFrame()).toThrow(/npm install danfojs-node/);
    }
  });
});
