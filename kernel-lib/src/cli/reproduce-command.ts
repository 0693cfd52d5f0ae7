import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSftJsonl } from '../data/sft-examples';
import { loadPretrained } from '../model/model-folder';
import { adamW } from '../optim/adamw';
import { datasetSplitPath, tinyBasePath } from '../tiny/tiny-base';
import { trainModel } from '../train/trainer';
import { writeFileAtomic } from '../util/atomic-write';
import { nonNegativeInt, numberFlag, parseCommandArgs, positiveInt } from './args';
import { evaluateNll } from './eval-command';
import { formatBytes, sparkline, textTable } from './format';

/**
 * `galore-lab reproduce [--model DIR] [--steps N] [--out DIR]` (what `npm start` runs):
 * fine-tunes the embedded tiny base (or `--model`) on the shipped
 * sports-injury training split with full AdamW, reports the loss curve,
 * held-out NLL before and after, time and memory, and writes
 * `OUT/results.json`. (The GaLore / LoRA comparison joins it as those methods land.)
 */
export async function reproduceCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, {
    model: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' },
    'batch-size': { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' }, quiet: { type: 'boolean' },
  }, 'reproduce');
  const modelDir = (v.model as string | undefined) ?? tinyBasePath();
  const outDir = (v.out as string | undefined) ?? 'out';
  const steps = numberFlag(v, 'steps', 60, positiveInt, 'a positive integer');
  const seed = numberFlag(v, 'seed', 42, nonNegativeInt, 'a non-negative integer');
  const batchSize = numberFlag(v, 'batch-size', 8, positiveInt, 'a positive integer');
  const seqLen = numberFlag(v, 'seq-len', 192, positiveInt, 'a positive integer');
  const lr = numberFlag(v, 'lr', 1e-3, (x) => x > 0, 'a positive number');
  const { model, tokenizer } = await loadPretrained(modelDir);
  try {
    const train = readSftJsonl(datasetSplitPath('train'), tokenizer, { vocabSize: model.config.vocab_size });
    const test = readSftJsonl(datasetSplitPath('test'), tokenizer, { vocabSize: model.config.vocab_size });
    out(`model ${modelDir}: ${(model.weightBytes() / 4).toLocaleString('en-US')} parameters; ${train.length} training and ${test.length} test Q&A pairs`);
    const before = evaluateNll(model, test, { batchSize: 16, seqLen, padId: tokenizer?.padTokenId });
    const optimizer = adamW({ weightDecay: 0.01 });
    fs.mkdirSync(outDir, { recursive: true });
    const res = await trainModel(model, optimizer, train, {
      steps, batchSize, seqLen, lr, scheduler: 'cosine', warmupSteps: Math.min(5, steps - 1), seed,
      logFile: path.join(outDir, 'full_train_log.jsonl'), progress: !v.quiet,
    }, tokenizer?.padTokenId ?? 0);
    const after = evaluateNll(model, test, { batchSize: 16, seqLen, padId: tokenizer?.padTokenId });
    const last = res.log[res.log.length - 1];
    const tokensPerSec = res.log.reduce((a, r) => a + r.tokens, 0) / (res.wallMs / 1000);
    out('');
    out(`training loss (${res.log.length} steps): ${res.log[0].loss.toFixed(3)} ${sparkline(res.log.map((r) => r.loss))} ${last.loss.toFixed(3)}`);
    out(textTable(['method', 'test NLL before', 'test NLL after', 'perplexity after', 'wall s', 'tokens/s', 'optimizer state', 'tensors at step end', 'wasm heap'], [[
      'full AdamW', before.nll.toFixed(4), after.nll.toFixed(4), after.perplexity.toFixed(2), (res.wallMs / 1000).toFixed(1),
      tokensPerSec.toFixed(0), formatBytes(optimizer.stateBytes()), formatBytes(last.memory), last.wasm_heap ? formatBytes(last.wasm_heap) : 'n/a',
    ]]));
    const results = {
      model: modelDir, seed, steps, batch_size: batchSize, seq_len: seqLen, lr,
      runs: [{ method: 'full', test_nll_before: before.nll, test_nll_after: after.nll, perplexity_after: after.perplexity,
        wall_ms: res.wallMs, tokens_per_second: tokensPerSec, optimizer_state_bytes: optimizer.stateBytes(),
        losses: res.log.map((r) => r.loss), memory_bytes: last.memory, wasm_heap_bytes: last.wasm_heap ?? null }],
    };
    await writeFileAtomic(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    out(`results -> ${path.join(outDir, 'results.json')}`);
    optimizer.dispose();
  } finally {
    model.dispose();
  }
  return 0;
}
