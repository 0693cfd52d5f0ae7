/**
 * Merging data sets (the paper merges cMedQA2 with sports-injury Q&A) while
 * every example keeps its provenance: a `merge` step records which source it
 * came from, its position there, and any id change made to keep ids unique.
 */
import { applyStep, QaExample } from './provenance';
import { mulberry32 } from './random';
import { DataTable } from './summary-tables';

/** A named list of examples to merge. */
export interface MergeSource {
  name: string;
  examples: readonly QaExample[];
}

export interface MergeOptions {
  /** What to do with an id found in more than one source: prefix it with `<source>:` (default) or throw. */
  onDuplicateId?: 'prefix' | 'error';
  /** Shuffle the merged list with this seed; default: keep source order. */
  shuffleSeed?: number;
}

/**
 * Concatenates sources into one list, recording a `merge` step on every
 * example and making ids unique.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const cmedqa = loadCmedqa2('datasets/cmedqa2-sample');
 * const merged = mergeDatasets([
 *   { name: 'sports-injury-qa', examples: train },
 *   { name: 'cMedQA2', examples: cmedqa.records },
 * ], { shuffleSeed: 1 });
 * merged[0].provenance.steps.at(-1); // { operator: 'merge', params: { source: ..., index: ... }, changes: [] }
 */
export function mergeDatasets(sources: readonly MergeSource[], options: MergeOptions = {}): QaExample[] {
  const names = new Set<string>();
  for (const s of sources) {
    if (names.has(s.name)) throw new Error(`mergeDatasets: two sources are named ${JSON.stringify(s.name)}; expected unique names`);
    names.add(s.name);
  }
  const owners = new Map<string, Set<string>>();
  for (const s of sources) {
    for (const e of s.examples) {
      const set = owners.get(e.id) ?? new Set<string>();
      set.add(s.name);
      owners.set(e.id, set);
    }
  }
  const clashes = [...owners.entries()].filter(([, set]) => set.size > 1);
  if (clashes.length > 0 && options.onDuplicateId === 'error') {
    const shown = clashes.slice(0, 5).map(([id, set]) => `${id} (in ${[...set].join(', ')})`).join('; ');
    throw new Error(`mergeDatasets: ${clashes.length} id(s) appear in more than one source: ${shown}; rename them or use onDuplicateId: 'prefix'`);
  }
  const merged: QaExample[] = [];
  for (const s of sources) {
    s.examples.forEach((e, index) => {
      const clash = (owners.get(e.id)?.size ?? 0) > 1;
      const id = clash ? `${s.name}:${e.id}` : e.id;
      const step = applyStep(
        e,
        {},
        {
          operator: 'merge',
          params: { source: s.name, index },
          changes: clash ? [{ kind: 'rename', from: e.id, to: id, detail: 'id also used by another source' }] : [],
        },
        { keepId: true },
      );
      merged.push({ ...step, id });
    });
  }
  return options.shuffleSeed === undefined ? merged : mulberry32(options.shuffleSeed).shuffle(merged);
}

/**
 * Counts examples per origin data set and per last operator applied
 * (`original` when none, merges and joins not counted).
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * provenanceSummary(mergeDatasets([{ name: 'sports', examples: train }])).toString();
 */
export function provenanceSummary(examples: readonly QaExample[]): DataTable {
  const counts = new Map<string, number>();
  for (const e of examples) {
    const ops = e.provenance.steps.map((s) => s.operator).filter((o) => o !== 'merge' && o !== 'cmedqa2.join' && o !== 'keyword-filter');
    const key = `${e.provenance.origin.dataset}\u0000${ops.length ? ops[ops.length - 1] : 'original'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const rows = [...counts.entries()]
    .map(([k, n]) => [...k.split('\u0000'), n] as [string, string, number])
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
  return new DataTable(['dataset', 'operator', 'count'], rows, 'examples by origin and operator');
}
