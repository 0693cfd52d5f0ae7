/**
 * Bodies: what turns a batch of token ids into token states [B*T, d] for a
 * classification head. Three kinds:
 *
 * - `frozenDecoderBody`: a Qwen2 decoder that is not trained. Its states are
 *   computed once per example and cached (on a causal model, right padding
 *   does not change the states of real tokens, so an example's states are the
 *   same in every batch), so training a head costs only the head.
 * - `decoderBody`: a decoder run on every step, e.g. with a LoRA adapter
 *   attached: gradients flow through the frozen base into the adapter.
 * - `TransformerEncoder` (text-encoder.ts): a small encoder trained from scratch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { TrainableParam } from '../optim/optimizer';
import type { LoraAdapter } from '../peft/lora-adapter';
import { ClassificationExample, TokenBatch, makeTokenBatch } from './token-batch';

/** Token ids in, token states out; what a `SequenceClassifier` stands on. */
export interface TokenBody {
  readonly kind: 'frozen-decoder' | 'decoder' | 'encoder';
  readonly hiddenSize: number;
  /** Token states [batch * seqLen, hiddenSize] (padding rows may hold anything; heads mask them). */
  tokenStates(batch: TokenBatch, training: boolean): tf.Tensor2D;
  /** The body's trainable variables (none for a frozen decoder). */
  params(): TrainableParam[];
  /** Trainable scalars and all scalars of the body. */
  parameterCounts(): { trainable: number; total: number };
}

function modelSize(model: Qwen2ForCausalLM): number {
  let n = 0;
  for (const v of model.weights.values()) n += v.size;
  return n;
}

/** A frozen decoder whose token states are cached per example. */
export interface FrozenDecoderBody extends TokenBody {
  readonly kind: 'frozen-decoder';
  /** Compute (and cache) the states of these examples in length-sorted batches; returns the seconds it took. */
  precompute(examples: readonly ClassificationExample[]): number;
  /** Examples cached so far. */
  readonly cachedCount: number;
}

/**
 * A decoder used as a frozen feature extractor with a per-example cache of
 * its final hidden states.
 *
 * @example
 * const body = frozenDecoderBody(model, { padId: tok.padTokenId });
 * const seconds = body.precompute([...train, ...test]); // one pass over every note
 */
export function frozenDecoderBody(model: Qwen2ForCausalLM, options: { padId: number; batchSize?: number }): FrozenDecoderBody {
  const d = model.config.hidden_size;
  const cache = new Map<ClassificationExample, Float32Array>();
  const batchSize = options.batchSize ?? 16; // measured on wasm: 16 is cheaper than 32 or 64 (attention cost grows with the batch's longest note)
  const compute = (examples: readonly ClassificationExample[]): void => {
    const todo = [...new Set(examples)].filter((e) => !cache.has(e)).sort((a, b) => a.inputIds.length - b.inputIds.length);
    for (let i = 0; i < todo.length; i += batchSize) {
      const group = todo.slice(i, i + batchSize);
      const b = makeTokenBatch(group, options.padId);
      const states = tf.tidy(() => model.hiddenStates(b.ids, b.batch, b.seqLen).dataSync() as Float32Array);
      group.forEach((e, k) => cache.set(e, states.slice(k * b.seqLen * d, (k * b.seqLen + e.inputIds.length) * d)));
    }
  };
  return {
    kind: 'frozen-decoder',
    hiddenSize: d,
    get cachedCount() { return cache.size; },
    precompute(examples) {
      const start = performance.now();
      compute(examples);
      return (performance.now() - start) / 1000;
    },
    tokenStates(batch) {
      compute(batch.examples);
      const out = new Float32Array(batch.batch * batch.seqLen * d);
      batch.examples.forEach((e, k) => out.set(cache.get(e)!, k * batch.seqLen * d));
      return tf.tensor2d(out, [batch.batch * batch.seqLen, d]);
    },
    params: () => [],
    parameterCounts: () => ({ trainable: 0, total: modelSize(model) }),
  };
}

/**
 * A decoder run on every batch; with `adapter` (a LoRA adapter attached to
 * `model`) its variables are the body's trainable parameters, and the
 * adapter's dropout follows the classifier's training flag.
 *
 * @example
 * const adapter = loraAdapter(model, { r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'] });
 * const body = decoderBody(model, adapter);
 */
export function decoderBody(model: Qwen2ForCausalLM, adapter?: LoraAdapter): TokenBody {
  if (adapter && adapter.model !== model) throw new Error('decoderBody: the adapter is attached to a different model');
  return {
    kind: 'decoder',
    hiddenSize: model.config.hidden_size,
    tokenStates(batch, training) {
      adapter?.train(training);
      return model.hiddenStates(batch.ids, batch.batch, batch.seqLen);
    },
    params: () => (adapter ? adapter.trainableParams() : model.trainableParams()),
    parameterCounts: () => {
      if (adapter) {
        const counts = adapter.parameterCounts();
        return { trainable: counts.trainable, total: counts.all };
      }
      return { trainable: model.trainableParams().reduce((n, p) => n + p.variable.size, 0), total: modelSize(model) };
    },
  };
}
