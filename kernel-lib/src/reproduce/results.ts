/**
 * The shape of `results.json`, the file `galore-lab reproduce` writes, and a
 * checker that turns a parsed file into typed results or says which field is
 * wrong. Runs imported from LLaMA-Factory (`importLlamaFactoryRun`) use the
 * same run shape, with the fields a cluster run cannot measure left out.
 */
import * as fs from 'node:fs';

/**
 * BLEU-4 and ROUGE F-scores x 100, averaged over the test answers (LLaMA-Factory's `predict_*` numbers).
 *
 * @example
 * const metrics: RunMetrics = { bleu4: 12.3, rouge1: 30.1, rouge2: 9.8, rougeL: 25.4, count: 132 };
 */
export interface RunMetrics {
  bleu4: number;
  rouge1: number;
  rouge2: number;
  rougeL: number;
  /** How many answers were scored. */
  count?: number;
}

/**
 * The memory ledger's predicted peak of a training step, by part (bytes).
 *
 * @example
 * const l = memoryLedger(model.config, 'galore', { rank: 32, batchSize: 8, seqLen: 192 });
 * const parts: LedgerParts = { weights: l.weights, gradients: l.gradients, optimizer_states: l.optimizerStates,
 *   activations: l.activations.total, backward_workspace: l.backwardWorkspace };
 */
export interface LedgerParts {
  weights: number;
  gradients: number;
  optimizer_states: number;
  activations: number;
  backward_workspace?: number;
}

/**
 * A validation (eval) loss logged during training.
 *
 * @example
 * const e: EvalLoss = { step: 50, loss: 1.92 };
 */
export interface EvalLoss {
  step: number;
  loss: number;
}

/**
 * One method's run: a `results.json` `runs[]` entry.
 *
 * @example
 * const run: ReproductionRun = { method: 'galore', label: 'GaLore r=32', losses: [5.6, 5.1, 4.8], wall_ms: 47106, tokens_per_second: 1241 };
 */
export interface ReproductionRun {
  /** Method id: `full`, `lora`, `galore`, `galore8bit`, or another name. */
  method: string;
  /** Human-readable name shown in tables and legends (`GaLore r=32`). */
  label: string;
  /** Training loss per logged step. */
  losses: number[];
  /** The optimizer step of each entry of `losses` (default 1, 2, 3, ...; LLaMA-Factory logs every `logging_steps`). */
  loss_steps?: number[];
  eval_losses?: EvalLoss[];
  test_nll_before?: number | null;
  test_nll_after?: number | null;
  perplexity_after?: number | null;
  wall_ms?: number | null;
  tokens_per_second?: number | null;
  optimizer_state_bytes?: number | null;
  ledger_total_bytes?: number | null;
  ledger_parts?: LedgerParts | null;
  /** Measured: bytes of tensors alive at the end of the last step (or a GPU's peak allocation for imported runs). */
  memory_bytes?: number | null;
  wasm_heap_bytes?: number | null;
  metrics?: RunMetrics | null;
  /** Where an imported run came from (folder, files found). */
  source?: Record<string, unknown>;
}

/**
 * One test question with the reference answer and each method's answer (keyed by run `method`).
 *
 * @example
 * const s: SampleAnswers = { question: 'How do I ice a sprain?', reference: '15 minutes at a time.', answers: { full: '...', galore: '...' } };
 */
export interface SampleAnswers {
  question: string;
  reference: string;
  answers: Record<string, string>;
}

/**
 * The whole `results.json`.
 *
 * @example
 * const results: ReproductionResults = JSON.parse(fs.readFileSync('out/results.json', 'utf8'));
 * results.runs.map((r) => `${r.label}: ${r.test_nll_after}`);
 */
export interface ReproductionResults {
  model: string;
  seed: number;
  steps: number;
  batch_size: number;
  seq_len: number;
  lr: number;
  runs: ReproductionRun[];
  samples?: SampleAnswers[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/**
 * Checks a parsed `results.json` (or an object built in a notebook) and
 * returns it typed (a shallow copy; a run without a `label`, as older files
 * have, gets its `method` as label). Throws an Error naming `source` and the first bad field,
 * e.g. `out/results.json: runs[1].losses[3]: expected a finite number, got the string "nan"`.
 *
 * @example
 * const results = checkReproductionResults(JSON.parse(fs.readFileSync('out/results.json', 'utf8')), 'out/results.json');
 * results.runs.map((r) => r.label);
 */
export function checkReproductionResults(value: unknown, source = 'results'): ReproductionResults {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new Error(`${source}: ${field}: expected ${expected}, got ${describe(got)}`);
  };
  const num = (v: unknown, field: string): void => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, 'a finite number', v);
  };
  const optNum = (v: unknown, field: string): void => {
    if (v !== undefined && v !== null) num(v, field);
  };
  const str = (v: unknown, field: string): void => {
    if (typeof v !== 'string') fail(field, 'a string', v);
  };
  if (!isObject(value)) return fail('(top level)', 'an object with model, seed, steps, batch_size, seq_len, lr and runs', value);
  str(value.model, 'model');
  for (const k of ['seed', 'steps', 'batch_size', 'seq_len', 'lr']) num(value[k], k);
  if (!Array.isArray(value.runs)) fail('runs', 'an array of runs', value.runs);
  (value.runs as unknown[]).forEach((run, i) => {
    const at = `runs[${i}]`;
    if (!isObject(run)) return fail(at, 'an object', run);
    str(run.method, `${at}.method`);
    if (run.label !== undefined) str(run.label, `${at}.label`);
    if (!Array.isArray(run.losses)) fail(`${at}.losses`, 'an array of numbers', run.losses);
    (run.losses as unknown[]).forEach((l, k) => num(l, `${at}.losses[${k}]`));
    if (run.loss_steps !== undefined) {
      if (!Array.isArray(run.loss_steps) || run.loss_steps.length !== (run.losses as unknown[]).length) {
        fail(`${at}.loss_steps`, `an array as long as losses (${(run.losses as unknown[]).length})`, run.loss_steps);
      }
      (run.loss_steps as unknown[]).forEach((s, k) => num(s, `${at}.loss_steps[${k}]`));
    }
    if (run.eval_losses !== undefined) {
      if (!Array.isArray(run.eval_losses)) fail(`${at}.eval_losses`, 'an array of {step, loss}', run.eval_losses);
      (run.eval_losses as unknown[]).forEach((e, k) => {
        if (!isObject(e)) return fail(`${at}.eval_losses[${k}]`, 'an object {step, loss}', e);
        num(e.step, `${at}.eval_losses[${k}].step`);
        num(e.loss, `${at}.eval_losses[${k}].loss`);
      });
    }
    for (const k of ['test_nll_before', 'test_nll_after', 'perplexity_after', 'wall_ms', 'tokens_per_second', 'optimizer_state_bytes',
      'ledger_total_bytes', 'memory_bytes', 'wasm_heap_bytes']) optNum(run[k], `${at}.${k}`);
    if (run.ledger_parts !== undefined && run.ledger_parts !== null) {
      if (!isObject(run.ledger_parts)) fail(`${at}.ledger_parts`, 'an object of byte counts', run.ledger_parts);
      const parts = run.ledger_parts as Record<string, unknown>;
      for (const k of ['weights', 'gradients', 'optimizer_states', 'activations']) num(parts[k], `${at}.ledger_parts.${k}`);
      optNum(parts.backward_workspace, `${at}.ledger_parts.backward_workspace`);
    }
    if (run.metrics !== undefined && run.metrics !== null) {
      if (!isObject(run.metrics)) fail(`${at}.metrics`, 'an object {bleu4, rouge1, rouge2, rougeL}', run.metrics);
      const m = run.metrics as Record<string, unknown>;
      for (const k of ['bleu4', 'rouge1', 'rouge2', 'rougeL']) num(m[k], `${at}.metrics.${k}`);
      optNum(m.count, `${at}.metrics.count`);
    }
  });
  if (value.samples !== undefined) {
    if (!Array.isArray(value.samples)) fail('samples', 'an array of {question, reference, answers}', value.samples);
    (value.samples as unknown[]).forEach((s, i) => {
      const at = `samples[${i}]`;
      if (!isObject(s)) return fail(at, 'an object {question, reference, answers}', s);
      str(s.question, `${at}.question`);
      str(s.reference, `${at}.reference`);
      if (!isObject(s.answers)) fail(`${at}.answers`, 'an object mapping method ids to answer texts', s.answers);
      for (const [k, a] of Object.entries(s.answers as Record<string, unknown>)) str(a, `${at}.answers.${k}`);
    });
  }
  // Files from before runs had labels: the method id is the label.
  const runs = (value.runs as Record<string, unknown>[]).map((run) => (run.label === undefined ? { ...run, label: run.method } : run));
  return { ...value, runs } as unknown as ReproductionResults;
}

/**
 * Reads and checks a `results.json`; errors name the file (and the field).
 *
 * @example
 * const results = readReproductionResults('out/results.json');
 * results.runs.find((r) => r.method === 'galore')?.test_nll_after;
 */
export function readReproductionResults(file: string): ReproductionResults {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run \`galore-lab reproduce\` first`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return checkReproductionResults(parsed, file);
}
