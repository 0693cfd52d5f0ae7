/**
 * `galore-lab metrics`: score predictions against references with
 * LLaMA-Factory's BLEU-4 / ROUGE-1 / ROUGE-2 / ROUGE-L (averaged over
 * samples) and, labelled separately, sacreBLEU-style corpus BLEU.
 */
import { parseArgs } from 'node:util';
import { corpusBleu, type CorpusBleuResult } from '../metrics/corpus-bleu';
import { averageSimilarityScores, llamaFactoryScores, SIMILARITY_METRIC_NAMES, type SimilarityScores } from '../metrics/llama-factory-scores';
import { readPredictionPairs } from '../metrics/prediction-files';
import { formatPythonFixed } from '../metrics/python-semantics';
import { SACREBLEU_TOKENIZER_NAMES, type SacreBleuTokenizerName } from '../metrics/sacrebleu-tokenizers';

/** Usage text of the `metrics` command. */
export const METRICS_USAGE = [
  'usage: galore-lab metrics --pred FILE [--ref FILE] [--json] [--per-sample] [--tokenize zh|13a|none]',
  '',
  '  --pred FILE      predictions, one per line; or, without --ref, a JSONL file with',
  '                   "predict" and "label" fields (LLaMA-Factory generated_predictions.jsonl)',
  '  --ref FILE       references, one per line, paired with --pred line by line',
  '  --json           print one JSON object instead of text',
  '  --per-sample     also print every sample\'s scores (by line number)',
  '  --tokenize NAME  tokenizer of the sacreBLEU-style corpus BLEU (default zh)',
  '',
  'bleu-4 and rouge-* are LLaMA-Factory\'s per-sample scores (x100, 4 decimals) averaged;',
  'corpus-bleu is a different metric: sacreBLEU-style BLEU over the whole corpus.',
].join('\n');

interface SampleRow extends SimilarityScores {
  line: number;
}

function usageError(message: string, err: (line: string) => void): number {
  err(`galore-lab metrics: ${message}`);
  err(METRICS_USAGE);
  return 2;
}

function printText(
  source: string,
  rows: SampleRow[],
  average: SimilarityScores,
  corpus: CorpusBleuResult,
  perSample: boolean,
  out: (line: string) => void,
): void {
  if (perSample) {
    out(['line', ...SIMILARITY_METRIC_NAMES].join('\t'));
    for (const row of rows) out([String(row.line), ...SIMILARITY_METRIC_NAMES.map((name) => formatPythonFixed(row[name], 4))].join('\t'));
    out('');
  }
  out(`samples: ${rows.length} (${source})`);
  for (const name of SIMILARITY_METRIC_NAMES) out(`${name}: ${formatPythonFixed(average[name], 4)}`);
  out(`corpus-bleu (sacreBLEU-style, not LLaMA-Factory's bleu-4): ${formatPythonFixed(corpus.score, 4)}  [${corpus.signature}]`);
}

/**
 * Run `galore-lab metrics` with its arguments (without the command name);
 * lines go to `out` (errors to `err`, default `out`). Returns the exit code:
 * 0 success, 1 unreadable or inconsistent input, 2 bad arguments.
 *
 * @example
 * const { metricsCommand } = require('galore-lab');
 * await metricsCommand(['--pred', 'saves/galore/generated_predictions.jsonl'], console.log);
 * // samples: 200 (saves/galore/generated_predictions.jsonl)
 * // bleu-4: ...
 */
export async function metricsCommand(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void = out,
): Promise<number> {
  let values: { pred?: string; ref?: string; json?: boolean; 'per-sample'?: boolean; tokenize?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        pred: { type: 'string' },
        ref: { type: 'string' },
        json: { type: 'boolean' },
        'per-sample': { type: 'boolean' },
        tokenize: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError((error as Error).message, err);
  }
  if (values.help) {
    out(METRICS_USAGE);
    return 0;
  }
  if (values.pred === undefined) return usageError('--pred FILE is required', err);
  const tokenize = (values.tokenize ?? 'zh') as SacreBleuTokenizerName;
  if (!SACREBLEU_TOKENIZER_NAMES.includes(tokenize)) {
    return usageError(`--tokenize ${JSON.stringify(values.tokenize)} is not supported; expected one of ${SACREBLEU_TOKENIZER_NAMES.join(', ')}`, err);
  }

  const read = await readPredictionPairs(values.pred, values.ref);
  if (!read.ok) {
    err(`galore-lab metrics: ${read.error}`);
    return 1;
  }
  const rows: SampleRow[] = read.pairs.map((pair) => ({ line: pair.line, ...llamaFactoryScores(pair.prediction, pair.label) }));
  const average = averageSimilarityScores(rows);
  const corpus = corpusBleu(
    read.pairs.map((pair) => pair.prediction),
    read.pairs.map((pair) => pair.label),
    { tokenize },
  );
  const source = values.ref === undefined ? values.pred : `${values.pred} vs ${values.ref}`;

  if (values.json) {
    const report: Record<string, unknown> = { samples: rows.length, source, average, corpusBleu: corpus };
    if (values['per-sample']) report.perSample = rows;
    out(JSON.stringify(report, null, 2));
  } else {
    printText(source, rows, average, corpus, values['per-sample'] ?? false, out);
  }
  return 0;
}
