/**
 * `galore-lab eval`, three ways:
 * - default: mean token NLL and perplexity over the labelled tokens;
 * - `--generate`: predict-with-generate as LLaMA-Factory (`generated_predictions.jsonl`,
 *   `predict_results.json`, BLEU-4 / ROUGE averages printed as `galore-lab metrics` prints them);
 * - `--compare NAME=FILE ...`: a case study of several prediction files side by side.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { collate } from '../data/batching';
import { readSftJsonl, SftExample } from '../data/sft-examples';
import { escapeHtml } from '../display/mime-bundle';
import { caseStudyFromPredictions } from '../eval/case-study';
import { readGenerationItems } from '../eval/generation-items';
import { PREDICT_RESULTS_FILE } from '../eval/prediction-rows';
import { predictWithGenerate, type PredictWithGenerateResult } from '../eval/predict-with-generate';
import { corpusBleu } from '../metrics/corpus-bleu';
import { SIMILARITY_METRIC_NAMES } from '../metrics/llama-factory-scores';
import { formatPythonFixed } from '../metrics/python-semantics';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { loadPretrained } from '../model/model-folder';
import { loadAdapter } from '../peft/adapter-io';
import type { LoraAdapter } from '../peft/lora-adapter';
import { writeFileAtomic } from '../util/atomic-write';
import { progressBar, type ProgressBar } from '../util/progress-bar';
import { numberFlag, parseCommandArgs, positiveInt, requiredFlag, UsageError } from './args';
import { SAMPLING_FLAGS, samplingFromFlags } from './generate-command';

/** Mean negative log-likelihood per labelled token and perplexity. */
export interface NllResult {
  nll: number;
  perplexity: number;
  tokens: number;
  examples: number;
}

/**
 * Mean token NLL over the labelled (shifted) tokens of `examples`, in batches.
 *
 * @example
 * const { nll, perplexity } = evaluateNll(model, examples, { batchSize: 8, seqLen: 256 });
 */
export function evaluateNll(model: Qwen2ForCausalLM, examples: SftExample[], o: { batchSize: number; seqLen: number; padId?: number }): NllResult {
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < examples.length; i += o.batchSize) {
    const b = collate(examples.slice(i, i + o.batchSize), o.seqLen, o.padId ?? 0);
    if (b.labelledTokens === 0) continue;
    const loss = tf.tidy(() => model.loss(b.inputIds, b.labels, b.batch, b.seqLen));
    total += loss.dataSync()[0] * b.labelledTokens;
    tokens += b.labelledTokens;
    loss.dispose();
  }
  if (tokens === 0) throw new Error('evaluateNll: no labelled tokens in the data');
  return { nll: total / tokens, perplexity: Math.exp(total / tokens), tokens, examples: examples.length };
}

/**
 * Usage text of the `eval` command.
 *
 * @example
 * const { EVAL_USAGE } = require('galore-lab');
 * console.log(EVAL_USAGE);
 */
export const EVAL_USAGE = [
  'usage: galore-lab eval --model DIR [--adapter DIR] --data FILE [--limit N] [--json] [--batch-size B --seq-len L]',
  '       galore-lab eval --model DIR [--adapter DIR] --data FILE --generate --out DIR [--limit N] [--resume|--overwrite]',
  '                       [--system TEXT] [--max-new-tokens N --do-sample --temperature T --top-p P --top-k K',
  '                        --repetition-penalty R --seed S] [--json] [--quiet]',
  '       galore-lab eval --compare NAME=FILE [--compare NAME=FILE ...] [--limit N] [--html FILE] [--width W] [--json]',
  '',
  '  default       mean token NLL and perplexity over the labelled (answer) tokens',
  '  --generate    answer each record (question/answer, Alpaca, chat or ShareGPT; JSONL or a JSON array)',
  '                and write OUT/generated_predictions.jsonl ({"prompt","predict","label"} per line, as',
  '                LLaMA-Factory writes it; each line fsynced as soon as it is generated) and',
  '                OUT/predict_results.json; prints BLEU-4 / ROUGE averages as `galore-lab metrics` does',
  '  --resume      continue after the complete lines of an interrupted run (same data; the decoding',
  '                flags are checked against OUT/predict_settings.json)',
  '  --overwrite   start again even if OUT already holds predictions',
  '  --limit N     only the first N records',
  '  --system TEXT system prompt for records without one (default: Qwen2-Instruct\'s, as in training)',
  '  decoding      greedy, at most 128 new tokens by default; LLaMA-Factory\'s defaults are --do-sample',
  '                --temperature 0.95 --top-p 0.7 --top-k 50 --max-new-tokens 1024 (record i uses seed S + i)',
  '  --compare     a case study: the answers of several generated_predictions.jsonl files to the same',
  '                questions, side by side with the reference (NAME defaults to the file\'s folder name);',
  '                --html FILE also writes it as an HTML page',
].join('\n');

const NLL_FLAGS = ['batch-size', 'seq-len'];
const GENERATE_FLAGS = ['out', 'resume', 'overwrite', 'system', 'quiet', ...Object.keys(SAMPLING_FLAGS)];
const COMPARE_FLAGS = ['html', 'width'];

function rejectFlags(v: Record<string, unknown>, names: string[], mode: string): void {
  const used = names.filter((n) => v[n] !== undefined);
  if (used.length > 0) throw new UsageError(`galore-lab eval: ${used.map((n) => `--${n}`).join(', ')} ${used.length === 1 ? 'does' : 'do'} not apply ${mode}`);
}

/**
 * The metric lines `galore-lab metrics` prints for a predictions file:
 * `samples: N (file)`, one `name: value` line per LLaMA-Factory metric, and
 * the separately labelled sacreBLEU-style corpus BLEU.
 */
function metricLines(result: PredictWithGenerateResult, source: string, corpus: { score: number; signature: string }): string[] {
  return [
    `samples: ${result.rows.length} (${source})`,
    ...SIMILARITY_METRIC_NAMES.map((name) => `${name}: ${formatPythonFixed(result.average[name], 4)}`),
    `corpus-bleu (sacreBLEU-style, not LLaMA-Factory's bleu-4): ${formatPythonFixed(corpus.score, 4)}  [${corpus.signature}]`,
  ];
}

async function generateMode(v: Record<string, unknown>, out: (line: string) => void): Promise<number> {
  rejectFlags(v, [...NLL_FLAGS, ...COMPARE_FLAGS], 'with --generate');
  if (v.resume && v.overwrite) throw new UsageError('galore-lab eval: --resume and --overwrite exclude each other');
  const outDir = requiredFlag(v, 'out', 'eval --generate');
  const dataFile = requiredFlag(v, 'data', 'eval');
  const limit = v.limit === undefined ? undefined : numberFlag(v, 'limit', 0, positiveInt, 'a positive integer');
  const sampling = samplingFromFlags(v);
  const modelDir = requiredFlag(v, 'model', 'eval');
  const items = readGenerationItems(dataFile, { limit });
  const { model, tokenizer } = await loadPretrained(modelDir);
  let bar: ProgressBar | undefined;
  let result: PredictWithGenerateResult;
  let adapter: LoraAdapter | undefined;
  try {
    if (typeof v.adapter === 'string') adapter = (await loadAdapter(model, v.adapter)).eval();
    if (!tokenizer) throw new UsageError(`${modelDir}: the model folder has no tokenizer.json; --generate needs one`);
    result = await predictWithGenerate(model, tokenizer, items, {
      ...sampling,
      ...(typeof v.system === 'string' ? { defaultSystem: v.system } : {}),
      outDir,
      existing: v.resume ? 'resume' : v.overwrite ? 'overwrite' : 'error',
      onProgress: (p) => {
        bar ??= progressBar(p.total, 'generate', process.stderr, !v.quiet);
        const info = `${p.tokensPerSecond.toFixed(1)} tokens/s`;
        if (p.done < p.total) bar.update(p.done, info);
        else bar.done(info);
      },
    });
  } finally {
    adapter?.unload();
    model.dispose();
  }
  const file = result.file!;
  const corpus = corpusBleu(result.rows.map((r) => r.predict), result.rows.map((r) => r.label), { tokenize: 'zh' });
  const generation = {
    resumed: result.resumed, generated: result.generated, generatedTokens: result.generatedTokens,
    seconds: result.seconds, tokensPerSecond: result.tokensPerSecond, stoppedByLength: result.stoppedByLength,
  };
  if (v.json) {
    out(JSON.stringify({
      predictions: file, results: path.join(outDir, PREDICT_RESULTS_FILE), samples: result.rows.length,
      ...generation, average: result.average, corpusBleu: corpus,
    }, null, 2));
    return 0;
  }
  const cut = result.stoppedByLength > 0 ? `; ${result.stoppedByLength} cut off by --max-new-tokens` : '';
  const resumed = result.resumed > 0 ? `${result.resumed} resumed, ` : '';
  out(`predictions: ${file} (${resumed}${result.generated} generated: ${result.generatedTokens} tokens in ` +
    `${result.seconds.toFixed(1)} s, ${result.tokensPerSecond.toFixed(1)} tokens/s${cut})`);
  for (const line of metricLines(result, file, corpus)) out(line);
  return 0;
}

function parseCompare(spec: string): { name: string; file: string } {
  const eq = spec.indexOf('=');
  if (eq === 0) throw new UsageError(`galore-lab eval: --compare ${JSON.stringify(spec)} has an empty name; expected NAME=FILE`);
  if (eq > 0) return { name: spec.slice(0, eq), file: spec.slice(eq + 1) };
  return { name: path.basename(path.dirname(path.resolve(spec))), file: spec };
}

async function compareMode(v: Record<string, unknown>, out: (line: string) => void): Promise<number> {
  rejectFlags(v, ['model', 'adapter', 'data', 'generate', ...NLL_FLAGS, ...GENERATE_FLAGS], 'with --compare');
  const files: Record<string, string> = {};
  for (const spec of v.compare as string[]) {
    const { name, file } = parseCompare(spec);
    if (name in files) throw new UsageError(`galore-lab eval: two --compare files are named "${name}"; name them: --compare NAME=FILE`);
    files[name] = file;
  }
  const limit = v.limit === undefined ? undefined : numberFlag(v, 'limit', 0, positiveInt, 'a positive integer');
  const width = numberFlag(v, 'width', process.stdout.columns || 100, (x) => Number.isInteger(x) && x >= 40, 'an integer of at least 40');
  const study = caseStudyFromPredictions(files, { limit });
  if (typeof v.html === 'string') {
    const page = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(study.toText().split('\n')[0])}</title></head>\n` +
      `<body style="font-family:sans-serif;">\n${study.toHtml()}\n</body></html>\n`;
    fs.mkdirSync(path.dirname(path.resolve(v.html)), { recursive: true });
    await writeFileAtomic(v.html, page);
  }
  if (v.json) out(JSON.stringify(study.toJSON(), null, 2));
  else out(study.toText(width));
  return 0;
}

/**
 * `galore-lab eval`: NLL and perplexity (default), predict-with-generate
 * (`--generate --out DIR`) or a case study of prediction files (`--compare`).
 * See {@link EVAL_USAGE} for the flags. Returns the exit code.
 *
 * @example
 * const { evalCommand } = require('galore-lab');
 * await evalCommand(['--model', 'runs/galore', '--data', 'datasets/sports-injury-qa/splits/test.jsonl',
 *   '--generate', '--out', 'runs/galore/predict', '--max-new-tokens', '128'], console.log);
 */
export async function evalCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, {
    model: { type: 'string' }, adapter: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' },
    'batch-size': { type: 'string' }, 'seq-len': { type: 'string' }, limit: { type: 'string' },
    generate: { type: 'boolean' }, out: { type: 'string' }, resume: { type: 'boolean' }, overwrite: { type: 'boolean' },
    system: { type: 'string' }, quiet: { type: 'boolean' }, ...SAMPLING_FLAGS,
    compare: { type: 'string', multiple: true }, html: { type: 'string' }, width: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, 'eval');
  if (v.help) {
    out(EVAL_USAGE);
    return 0;
  }
  if (v.compare !== undefined) return compareMode(v, out);
  if (v.generate) return generateMode(v, out);
  rejectFlags(v, [...GENERATE_FLAGS, ...COMPARE_FLAGS], 'without --generate');
  const limit = v.limit === undefined ? undefined : numberFlag(v, 'limit', 0, positiveInt, 'a positive integer');
  const { model, tokenizer } = await loadPretrained(requiredFlag(v, 'model', 'eval'));
  let adapter: LoraAdapter | undefined;
  try {
    if (typeof v.adapter === 'string') adapter = (await loadAdapter(model, v.adapter)).eval();
    const examples = readSftJsonl(requiredFlag(v, 'data', 'eval'), tokenizer, { vocabSize: model.config.vocab_size });
    const r = evaluateNll(model, limit === undefined ? examples : examples.slice(0, limit), {
      batchSize: numberFlag(v, 'batch-size', 8, positiveInt, 'a positive integer'),
      seqLen: numberFlag(v, 'seq-len', 256, positiveInt, 'a positive integer'),
      padId: tokenizer?.padTokenId ?? 0,
    });
    if (v.json) out(JSON.stringify(r));
    else out(`nll ${r.nll.toFixed(4)}  perplexity ${r.perplexity.toFixed(3)}  (${r.tokens} tokens, ${r.examples} examples)`);
  } finally {
    adapter?.unload();
    model.dispose();
  }
  return 0;
}
