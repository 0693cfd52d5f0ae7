import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusBleu } from '../../kernel-lib/src/metrics/corpus-bleu';
import { llamaFactoryScores, SIMILARITY_METRIC_NAMES, type SimilarityScores } from '../../kernel-lib/src/metrics/llama-factory-scores';
import { jiebaCut } from '../../kernel-lib/src/metrics/segment';

/**
 * Optional agreement check against the Python tools themselves (jieba, nltk,
 * rouge-chinese, sacreBLEU). It needs Python and a rouge-chinese checkout, so
 * it only runs when GALORE_METRICS_CROSSCHECK names a folder prepared with the
 * scripts in tests/metrics/cross-check/:
 *
 *   /usr/bin/python3 tests/metrics/cross-check/make_pairs.py /tmp/xc
 *   PYTHONPATH=/path/to/rouge_chinese:/path/to/sacrebleu /usr/bin/python3 tests/metrics/cross-check/reference_scores.py /tmp/xc
 *   GALORE_METRICS_CROSSCHECK=/tmp/xc npx vitest run tests/metrics/python-cross-check.test.ts
 */
const folder = process.env.GALORE_METRICS_CROSSCHECK;
const ready = folder !== undefined && existsSync(join(folder, 'reference.json'));

interface Reference {
  samples: { segmentation: [string[], string[]]; scores: SimilarityScores }[];
  corpus: { start: number; tokenize: '13a' | 'zh'; score: number }[];
}

describe('agreement with the Python reference tools', () => {
  if (!ready) it.skip('skipped: needs GALORE_METRICS_CROSSCHECK, a folder of Python reference outputs (see the file header)', () => {});

  const pairs: [string, string][] = ready ? JSON.parse(readFileSync(join(folder!, 'pairs.json'), 'utf8')) : [];
  const reference: Reference = ready ? JSON.parse(readFileSync(join(folder!, 'reference.json'), 'utf8')) : { samples: [], corpus: [] };

  it.runIf(ready)('segments every text as Python jieba does', () => {
    const mismatches = pairs.flatMap(([prediction, label], i) => {
      const [pythonPrediction, pythonLabel] = reference.samples[i].segmentation;
      const same = JSON.stringify(jiebaCut(prediction)) === JSON.stringify(pythonPrediction) && JSON.stringify(jiebaCut(label)) === JSON.stringify(pythonLabel);
      return same ? [] : [i];
    });
    expect(mismatches).toEqual([]);
  });

  it.runIf(ready)('gives the same 4-decimal BLEU-4 and ROUGE scores for every pair', () => {
    const mismatches = pairs.flatMap(([prediction, label], i) => {
      const ours = llamaFactoryScores(prediction, label);
      return SIMILARITY_METRIC_NAMES.filter((name) => ours[name] !== reference.samples[i].scores[name]).map((name) => `${i}:${name}`);
    });
    expect(mismatches).toEqual([]);
  });

  it.runIf(ready)('gives the same corpus BLEU as sacreBLEU (to 1e-9)', () => {
    for (const entry of reference.corpus) {
      const chunk = pairs.slice(entry.start, entry.start + 100);
      const ours = corpusBleu(chunk.map((pair) => pair[0]), chunk.map((pair) => pair[1]), { tokenize: entry.tokenize });
      expect(Math.abs(ours.score - entry.score)).toBeLessThan(1e-9);
    }
  });
});
