import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSftJsonl } from '../data/sft-examples';
import { loadPretrained } from '../model/model-folder';
import { memoryLedger, LedgerMethod, MemoryLedgerOptions } from '../memory/memory-ledger';
import { datasetSplitPath, tinyBasePath } from '../tiny/tiny-base';
import { trainModel } from '../train/trainer';
import { writeFileAtomic } from '../util/atomic-write';
import { nonNegativeInt, numberFlag, parseCommandArgs, positiveInt } from './args';
import { evaluateNll } from './eval-command';
import { formatBytes, sparkline, textTable } from './format';
import { gradientEngineFromFlags, optimizerFromFlags } from './train-command';
import { attachLoraFromFlags } from '../peft/lora-flags';
import { readGenerationItems } from '../eval/generation-items';
import { predictWithGenerate } from '../eval/predict-with-generate';
import { writeReproductionReport } from '../reproduce/report-html';

/** The methods the reproduction compares, as train-command flags plus their ledger description. */
const REPRODUCE_METHODS: { id: string; label: string; flags: Record<string, string | string[]>; ledger: { method: LedgerMethod; options: MemoryLedgerOptions } }[] = [
  { id: 'full', label: 'full AdamW', flags: { method: 'full', 'weight-decay': '0.01' }, ledger: { method: 'full', options: {} } },
  { id: 'lora', label: 'LoRA r=8 (all linear)', flags: { method: 'lora', 'lora-r': '8', 'lora-alpha': '16', 'lora-target': ['all-linear'], 'weight-decay': '0.01' },
    ledger: { method: 'lora', options: { loraR: 8, loraTargets: 'all-linear' } } },
  { id: 'galore', label: 'GaLore r=32', flags: { method: 'galore', rank: '32', 'update-proj-gap': '20', scale: '1', 'weight-decay': '0.01' },
    ledger: { method: 'galore', options: { rank: 32 } } },
  { id: 'galore8bit', label: '8-bit GaLore r=32', flags: { method: 'galore', rank: '32', 'update-proj-gap': '20', scale: '1', optim: 'adamw8bit', 'weight-decay': '0.01' },
    ledger: { method: 'galore', options: { rank: 32, optim: 'adamw8bit' } } },
];

/**
 * `galore-lab reproduce [--model DIR] [--steps N] [--out DIR]` (what `npm start` runs):
 * fine-tunes the embedded tiny base (or `--model`) on the shipped
 * sports-injury training split with full AdamW, LoRA, GaLore and 8-bit GaLore under the
 * same budget, reports loss curves, held-out NLL before and after, time and
 * memory (measured and ledger), and writes `OUT/results.json`.
 */
export async function reproduceCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, {
    model: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' },
    'batch-size': { type: 'string' }, 'eval-limit': { type: 'string' }, workers: { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' }, quiet: { type: 'boolean' },
  }, 'reproduce');
  const modelDir = (v.model as string | undefined) ?? tinyBasePath();
  const outDir = (v.out as string | undefined) ?? 'out';
  const steps = numberFlag(v, 'steps', 60, positiveInt, 'a positive integer');
  const seed = numberFlag(v, 'seed', 42, nonNegativeInt, 'a non-negative integer');
  const batchSize = numberFlag(v, 'batch-size', 8, positiveInt, 'a positive integer');
  const seqLen = numberFlag(v, 'seq-len', 192, positiveInt, 'a positive integer');
  const lr = numberFlag(v, 'lr', 1e-3, (x) => x > 0, 'a positive number');
  const evalLimit = numberFlag(v, 'eval-limit', 16, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  const maxNewTokens = numberFlag(v, 'max-new-tokens', 48, positiveInt, 'a positive integer');
  const { model, tokenizer } = await loadPretrained(modelDir);
  {
    const train = readSftJsonl(datasetSplitPath('train'), tokenizer, { vocabSize: model.config.vocab_size });
    const test = readSftJsonl(datasetSplitPath('test'), tokenizer, { vocabSize: model.config.vocab_size });
    out(`model ${modelDir}: ${(model.weightBytes() / 4).toLocaleString('en-US')} parameters; ${train.length} training and ${test.length} test Q&A pairs`);
    const before = evaluateNll(model, test, { batchSize: 16, seqLen, padId: tokenizer?.padTokenId });
    model.dispose();
    fs.mkdirSync(outDir, { recursive: true });
    const runs: Record<string, unknown>[] = [];
    const items = evalLimit > 0 ? readGenerationItems(datasetSplitPath('test'), { limit: evalLimit }) : [];
    const samples = items.slice(0, 4).map((it) => ({ question: it.messages[it.messages.length - 1].content, reference: it.reference, answers: {} as Record<string, string> }));
    const rows: (string | number)[][] = [];
    for (const method of REPRODUCE_METHODS) {
      const { model: m } = await loadPretrained(modelDir);
      const optimizer = optimizerFromFlags(method.flags);
      out(`\n== ${method.label} ==`);
      const lora = method.flags.method === 'lora' ? await attachLoraFromFlags(m, method.flags, { seed }) : null;
      if (lora) out(lora.report);
      const trained = lora ? lora.trainingModel : m;
      const engine = gradientEngineFromFlags({ workers: v.workers }, trained, batchSize, v.quiet ? () => undefined : out);
      let res;
      try {
        res = await trainModel(trained, optimizer, train, {
          steps, batchSize, seqLen, lr, scheduler: 'cosine', warmupSteps: Math.min(5, steps - 1), seed,
          logFile: path.join(outDir, `${method.id}_train_log.jsonl`), progress: !v.quiet,
          gradientEngine: engine,
        }, tokenizer?.padTokenId ?? 0);
      } finally {
        engine?.dispose();
      }
      lora?.adapter.eval();
      const after = evaluateNll(m, test, { batchSize: 16, seqLen, padId: tokenizer?.padTokenId });
      let metrics: Record<string, number> | undefined;
      if (items.length && tokenizer) {
        const predicted = await predictWithGenerate(m, tokenizer, items, {
          maxNewTokens, repetitionPenalty: 1.2, outDir: path.join(outDir, method.id), existing: 'overwrite',
        });
        const a = predicted.average;
        metrics = { bleu4: a['bleu-4'], rouge1: a['rouge-1'], rouge2: a['rouge-2'], rougeL: a['rouge-l'], count: predicted.rows.length };
        samples.forEach((smp, i) => { smp.answers[method.id] = predicted.rows[i].predict; });
        out(`BLEU-4 ${a['bleu-4'].toFixed(2)}  ROUGE-1 ${a['rouge-1'].toFixed(2)}  ROUGE-2 ${a['rouge-2'].toFixed(2)}  ROUGE-L ${a['rouge-l'].toFixed(2)} ` +
          `on ${predicted.rows.length} test questions (${predicted.tokensPerSecond.toFixed(0)} tokens/s)`);
      }
      const last = res.log[res.log.length - 1];
      const tokensPerSec = res.log.reduce((a, r) => a + r.tokens, 0) / (res.wallMs / 1000);
      const ledger = memoryLedger(m.config, method.ledger.method, { ...method.ledger.options, batchSize, seqLen });
      out(`training loss: ${res.log[0].loss.toFixed(3)} ${sparkline(res.log.map((r) => r.loss))} ${last.loss.toFixed(3)}`);
      rows.push([method.label, before.nll.toFixed(4), after.nll.toFixed(4), metrics ? metrics.bleu4.toFixed(2) : '-', metrics ? metrics.rouge2.toFixed(2) : '-', (res.wallMs / 1000).toFixed(1), tokensPerSec.toFixed(0),
        formatBytes(optimizer.stateBytes()), formatBytes(ledger.total), formatBytes(last.memory), last.wasm_heap ? formatBytes(last.wasm_heap) : 'n/a']);
      runs.push({
        method: method.id, label: method.label, test_nll_before: before.nll, test_nll_after: after.nll, perplexity_after: after.perplexity,
        wall_ms: res.wallMs, tokens_per_second: tokensPerSec, optimizer_state_bytes: optimizer.stateBytes(),
        ledger_total_bytes: ledger.total,
        ledger_parts: { weights: ledger.weights, gradients: ledger.gradients, optimizer_states: ledger.optimizerStates, activations: ledger.activations.total, backward_workspace: ledger.backwardWorkspace },
        ...(metrics ? { metrics } : {}), losses: res.log.map((r) => r.loss), memory_bytes: last.memory, wasm_heap_bytes: last.wasm_heap ?? null,
      });
      optimizer.dispose();
      m.dispose();
    }
    out('');
    out(textTable(['method', 'test NLL before', 'test NLL after', 'BLEU-4', 'ROUGE-2', 'wall s', 'tokens/s', 'optimizer state', 'ledger peak', 'tensors at step end', 'wasm heap so far'], rows));
    if (rows.some((r) => r[10] !== 'n/a')) out('(the wasm heap never shrinks: each method\'s figure is the high-water mark of this process so far, the earlier methods included)');
    const results = { model: modelDir, seed, steps, batch_size: batchSize, seq_len: seqLen, lr, runs, ...(samples.length ? { samples } : {}) };
    await writeFileAtomic(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    out(`results -> ${path.join(outDir, 'results.json')}`);
    const report = await writeReproductionReport(results as never, path.join(outDir, 'report.html'));
    out(`report -> ${report.file}`);
  }
  return 0;
}
