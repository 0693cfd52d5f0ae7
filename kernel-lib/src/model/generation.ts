import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../util/random';
import { Qwen2ForCausalLM } from './causal-lm';
import { linear } from './primitives';

/** Decoding options, named as in transformers' `GenerationConfig`. */
export interface GenerateOptions {
  maxNewTokens?: number;
  /** Sample instead of greedy decoding. Default false (greedy). */
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  /** Stop when one of these ids is produced (it is not included in the output). */
  stopTokenIds?: number[];
  seed?: number;
  /** Called with each new token id as it is produced (streaming). */
  onToken?: (id: number) => void;
}

export interface GenerateResult {
  tokens: number[];
  stoppedBy: 'stop-token' | 'length';
  /** Tokens per second of the decoding loop (prefill included). */
  tokensPerSecond: number;
}

/** Apply transformers' logits processors in their order: repetition penalty, temperature, top-k, top-p. */
export function processLogits(logits: Float32Array, seen: Iterable<number>, o: GenerateOptions): Float32Array {
  const out = Float32Array.from(logits);
  const penalty = o.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    for (const id of new Set(seen)) out[id] = out[id] < 0 ? out[id] * penalty : out[id] / penalty;
  }
  if (!o.doSample) return out;
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 when sampling, got ${temperature}`);
  for (let i = 0; i < out.length; i++) out[i] /= temperature;
  const topK = o.topK ?? 0;
  if (topK > 0 && topK < out.length) {
    const kth = Float32Array.from(out).sort((a, b) => b - a)[topK - 1];
    for (let i = 0; i < out.length; i++) if (out[i] < kth) out[i] = -Infinity;
  }
  const topP = o.topP ?? 1;
  if (topP < 1) {
    const order = Array.from(out.keys()).sort((a, b) => out[b] - out[a]);
    const max = out[order[0]];
    let z = 0;
    for (const i of order) z += Math.exp(out[i] - max);
    let cum = 0;
    let keep = true;
    for (const i of order) {
      if (!keep) { out[i] = -Infinity; continue; }
      cum += Math.exp(out[i] - max) / z;
      if (cum >= topP) keep = false; // tokens after the one that crosses top_p are removed
    }
  }
  return out;
}

function pick(logits: Float32Array, sample: boolean, rng: () => number): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (!sample) return best;
  const max = logits[best];
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - max);
  let u = rng() * z;
  for (let i = 0; i < logits.length; i++) {
    u -= Math.exp(logits[i] - max);
    if (u <= 0) return i;
  }
  return best;
}

/**
 * Autoregressive decoding with a KV cache: greedy, or sampling with
 * temperature / top-k / top-p, a repetition penalty, a token budget and stop
 * tokens; each token is streamed to `onToken`.
 *
 * @example
 * const { tokens } = generate(model, tokenizer.encode(prompt), { maxNewTokens: 64, stopTokenIds: [tokenizer.imEndId] });
 */
export function generate(model: Qwen2ForCausalLM, promptIds: number[], options: GenerateOptions = {}): GenerateResult {
  if (promptIds.length === 0) throw new Error('generate: the prompt is empty');
  const room = model.config.max_position_embeddings - promptIds.length;
  if (room <= 0) {
    throw new Error(`generate: the prompt has ${promptIds.length} tokens; the model's context (max_position_embeddings) is ${model.config.max_position_embeddings}`);
  }
  const maxNew = Math.min(options.maxNewTokens ?? 128, room);
  const stop = new Set(options.stopTokenIds ?? []);
  const rng = seededRandom(options.seed ?? 0);
  const cache = model.newCache();
  const seen = [...promptIds];
  const tokens: number[] = [];
  const t0 = Date.now();
  let input = promptIds;
  let stoppedBy: GenerateResult['stoppedBy'] = 'length';
  try {
    for (let i = 0; i < maxNew; i++) {
      const last = tf.tidy(() => {
        const h = model.hiddenStates(Int32Array.from(input), 1, input.length, cache);
        const row = tf.slice(h, [input.length - 1, 0], [1, h.shape[1]]) as tf.Tensor2D;
        return linear(row, model.lmHeadWeight());
      });
      const logits = processLogits(last.dataSync() as Float32Array, seen, options);
      last.dispose();
      const id = pick(logits, options.doSample ?? false, rng.next);
      if (stop.has(id)) { stoppedBy = 'stop-token'; break; }
      tokens.push(id);
      seen.push(id);
      options.onToken?.(id);
      input = [id];
    }
  } finally {
    Qwen2ForCausalLM.disposeCache(cache);
  }
  const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
  return { tokens, stoppedBy, tokensPerSecond: tokens.length / secs };
}
