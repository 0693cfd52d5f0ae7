/**
 * The shape every augmentation operator shares: given an example and a seed,
 * return a new example (with one more provenance step that records exactly
 * what changed) or `null` when the operator has nothing to change in it.
 * The same example, seed and options always give the same result.
 */
import { QaExample } from '../provenance';

/** A synchronous or asynchronous augmentation operator. */
export interface AugmentOperator {
  /** Name recorded in provenance (`eda.random-swap`, `template.question`, ...). */
  readonly name: string;
  apply(example: QaExample, seed: number): QaExample | null | Promise<QaExample | null>;
}

/** An operator that answers at once (EDA, templates, entity swaps). */
export interface SyncAugmentOperator extends AugmentOperator {
  apply(example: QaExample, seed: number): QaExample | null;
}

/** The fields an operator may edit. */
export type EditableField = 'question' | 'answer';

/** What `augmentAll` produced. */
export interface AugmentRun {
  /** New examples, in input order, operator by operator. */
  augmented: QaExample[];
  /** How many examples each operator changed and skipped. */
  perOperator: Record<string, { produced: number; skipped: number }>;
}

/**
 * Runs every operator on every example (`copies` times each, with seeds
 * `seed`, `seed + 1`, ...) and collects the results; duplicates of an already
 * produced text are dropped.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const run = await augmentAll(train.slice(0, 10), [edaOperator('random-swap')], { seed: 1 });
 * run.perOperator; // { 'eda.random-swap': { produced: 10, skipped: 0 } }
 */
export async function augmentAll(
  examples: readonly QaExample[],
  operators: readonly AugmentOperator[],
  options: { seed?: number; copies?: number } = {},
): Promise<AugmentRun> {
  const seed = options.seed ?? 0;
  const copies = options.copies ?? 1;
  const augmented: QaExample[] = [];
  const perOperator: AugmentRun['perOperator'] = {};
  const seen = new Set(examples.map((e) => `${e.question}\u0000${e.answer}`));
  for (const op of operators) {
    const stats = (perOperator[op.name] = { produced: 0, skipped: 0 });
    for (const example of examples) {
      for (let c = 0; c < copies; c++) {
        const out = await op.apply(example, seed + c);
        const key = out ? `${out.question}\u0000${out.answer}` : '';
        if (!out || seen.has(key)) {
          stats.skipped++;
          continue;
        }
        seen.add(key);
        augmented.push(out);
        stats.produced++;
      }
    }
  }
  return { augmented, perOperator };
}
