import * as tf from '@tensorflow/tfjs';
import { collate } from '../data/batching';
import { readSftJsonl, SftExample } from '../data/sft-examples';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { loadPretrained } from '../model/model-folder';
import { loadAdapter } from '../peft/adapter-io';
import { numberFlag, parseCommandArgs, positiveInt, requiredFlag } from './args';

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

/** `galore-lab eval --model DIR --data FILE [--json] [--batch-size B --seq-len L]`. */
export async function evalCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, {
    model: { type: 'string' }, adapter: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' },
    'batch-size': { type: 'string' }, 'seq-len': { type: 'string' },
  }, 'eval');
  const { model, tokenizer } = await loadPretrained(requiredFlag(v, 'model', 'eval'));
  try {
    if (typeof v.adapter === 'string') (await loadAdapter(model, v.adapter)).eval();
    const examples = readSftJsonl(requiredFlag(v, 'data', 'eval'), tokenizer, { vocabSize: model.config.vocab_size });
    const r = evaluateNll(model, examples, {
      batchSize: numberFlag(v, 'batch-size', 8, positiveInt, 'a positive integer'),
      seqLen: numberFlag(v, 'seq-len', 256, positiveInt, 'a positive integer'),
      padId: tokenizer?.padTokenId ?? 0,
    });
    if (v.json) out(JSON.stringify(r));
    else out(`nll ${r.nll.toFixed(4)}  perplexity ${r.perplexity.toFixed(3)}  (${r.tokens} tokens, ${r.examples} examples)`);
  } finally {
    model.dispose();
  }
  return 0;
}
