/**
 * Deterministic train/validation/test splits for the shipped Q&A set:
 * de-duplicate first, then put near-duplicates into groups that never
 * straddle two splits, then assign groups to splits per stratum (language x
 * topic) with a seeded shuffle so every topic of every language gets its
 * share of each split.
 */
import {
  checkSplitLeakage,
  DuplicateOptions,
  groupNearDuplicates,
  removeNearDuplicates,
  SPLIT_DEDUP,
  SPLIT_GROUPING,
  SplitLeak,
} from './filters';
import { QaRecord } from './qa-schema';
import { deriveSeed, mulberry32 } from './random';

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export interface SplitOptions {
  /** Shares of train / validation / test; default 0.8 / 0.1 / 0.1. */
  ratios?: Record<SplitName, number>;
  seed?: number;
  /** Near-duplicates removed before splitting (default `SPLIT_DEDUP`, Jaccard >= 0.8). */
  dedup?: DuplicateOptions;
  /** Near-duplicates kept together in one split (default `SPLIT_GROUPING`, Jaccard >= 0.5). */
  grouping?: DuplicateOptions;
}

/** The default seed of the shipped splits. */
export const SPLIT_SEED = 20240605;

export interface SplitResult {
  splits: Record<SplitName, QaRecord[]>;
  /** Records dropped as near-duplicates of a kept record. */
  removed: Array<{ id: string; duplicateOf: string; similarity: number }>;
  /** Groups of two or more near-duplicates kept together. */
  groups: string[][];
  options: Required<SplitOptions>;
}

function checkRatios(ratios: Record<SplitName, number>): void {
  const sum = ratios.train + ratios.validation + ratios.test;
  if (Object.values(ratios).some((r) => !(r >= 0)) || Math.abs(sum - 1) > 1e-9) {
    throw new Error(`buildSplits: ratios ${JSON.stringify(ratios)} must be non-negative and sum to 1`);
  }
}

/**
 * Builds the splits. Input order does not matter (records are sorted by id
 * first); the same records and options always give the same splits.
 *
 * @example
 * const { records } = readQaRecords(['datasets/sports-injury-qa/authoring/en/ankle-sprain.jsonl', 'datasets/sports-injury-qa/authoring/zh/ankle-sprain.jsonl']);
 * const result = buildSplits(records.map((r) => r.record));
 * result.splits.test.length; // about 10% of the de-duplicated records
 */
export function buildSplits(records: readonly QaRecord[], options: SplitOptions = {}): SplitResult {
  const opts: Required<SplitOptions> = {
    ratios: options.ratios ?? { train: 0.8, validation: 0.1, test: 0.1 },
    seed: options.seed ?? SPLIT_SEED,
    dedup: options.dedup ?? SPLIT_DEDUP,
    grouping: options.grouping ?? SPLIT_GROUPING,
  };
  checkRatios(opts.ratios);
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const dedup = removeNearDuplicates(sorted, opts.dedup);
  const kept = dedup.kept;
  const groups = groupNearDuplicates(kept, opts.grouping);

  const strata = new Map<string, number[][]>();
  for (const g of groups) {
    const first = kept[g[0]];
    const key = `${first.language}/${first.topic}`;
    const list = strata.get(key);
    if (list) list.push(g);
    else strata.set(key, [g]);
  }

  const splits: Record<SplitName, QaRecord[]> = { train: [], validation: [], test: [] };
  for (const key of [...strata.keys()].sort()) {
    const stratumGroups = strata.get(key) as number[][];
    const size = stratumGroups.reduce((s, g) => s + g.length, 0);
    const remaining = {
      test: Math.round(size * opts.ratios.test),
      validation: Math.round(size * opts.ratios.validation),
    };
    const rng = mulberry32(deriveSeed(opts.seed, key));
    for (const g of rng.shuffle(stratumGroups)) {
      let target: SplitName = 'train';
      if (g.length <= remaining.test) target = 'test';
      else if (g.length <= remaining.validation) target = 'validation';
      if (target !== 'train') remaining[target] -= g.length;
      for (const i of g) splits[target].push(kept[i]);
    }
  }
  for (const name of SPLIT_NAMES) splits[name].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    splits,
    removed: dedup.removed.map((r) => ({ id: r.record.id, duplicateOf: r.duplicateOf, similarity: Number(r.similarity.toFixed(4)) })),
    groups: groups.filter((g) => g.length > 1).map((g) => g.map((i) => kept[i].id)),
    options: opts,
  };
}

/**
 * Leakage between the splits of a `SplitResult` (or any three record lists),
 * with the grouping threshold: empty when the splits are clean.
 *
 * @example
 * const { records } = readQaRecords(['datasets/sports-injury-qa/authoring/en/ankle-sprain.jsonl']);
 * splitLeaks(buildSplits(records.map((r) => r.record)).splits); // []
 */
export function splitLeaks(splits: Record<SplitName, readonly QaRecord[]>, options: DuplicateOptions = SPLIT_GROUPING): SplitLeak[] {
  return checkSplitLeakage(splits, options);
}
