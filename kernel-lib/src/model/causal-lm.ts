import * as tf from '@tensorflow/tfjs';
import type { TrainableParam } from '../optim/optimizer';
import { seededRandom } from '../util/random';
import type { AttentionShape, LayerCache, Projection } from './attention';
import { Qwen2Config, headDim, weightShapes } from './config';
import { decoderLayer } from './decoder-layer';
import { chunkedCrossEntropy } from './chunked-lm-loss';
import { crossEntropy, embeddingLookup, linear } from './primitives';
import { rmsNorm } from './rms-norm';
import { rotaryTables } from './rotary';

/** A plain copy of one weight: what safetensors files hold. */
export interface WeightData {
  shape: number[];
  data: Float32Array;
}

/** What the decoder layers of one forward call share (see `Qwen2ForCausalLM.layerContext`). */
export interface LayerContext {
  shape: AttentionShape;
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
  dispose(): void;
}

/** How `loss` computes the cross-entropy. */
export interface LossOptions {
  /** Vocabulary rows per chunk of the lm_head (`chunkedCrossEntropy`); absent: the full logits at once. */
  vocabChunk?: number;
}

/** Keys/values of all layers for incremental decoding (batch 1). */
export interface KVCache {
  layers: LayerCache[];
}

/** The linear modules of a decoder layer, as named by Hugging Face. */
export const LINEAR_MODULES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj',
  'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'] as const;

let modelCounter = 0;

/**
 * A Qwen2-architecture causal language model (Qwen2ForCausalLM) in
 * TensorFlow.js. Weights are tf.Variables keyed by their Hugging Face names;
 * linear layers can be wrapped (LoRA & co.) through `setProjection`.
 *
 * @example
 * const model = Qwen2ForCausalLM.init(config, 42);
 * const logits = model.forward(Int32Array.from([1, 2, 3]), 1, 3); // [3, vocab]
 */
export class Qwen2ForCausalLM {
  readonly config: Qwen2Config;
  readonly weights = new Map<string, tf.Variable>();
  private readonly projections = new Map<string, Projection>();
  private readonly frozen = new Set<string>();
  private readonly id = ++modelCounter;

  constructor(config: Qwen2Config, weights: Map<string, WeightData>, source = 'weights') {
    this.config = config;
    const shapes = weightShapes(config);
    const problems: string[] = [];
    for (const [name, shape] of shapes) {
      const w = weights.get(name);
      if (!w) { problems.push(`missing tensor "${name}" (expected shape [${shape}])`); continue; }
      if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
        problems.push(`tensor "${name}" has shape [${w.shape}], config expects [${shape}]`);
      }
    }
    if (problems.length) {
      throw new Error(`${source}: weights do not match the config:\n  ${problems.join('\n  ')}`);
    }
    for (const [name, shape] of shapes) {
      const w = weights.get(name)!;
      const initial = tf.tensor(w.data, shape, 'float32');
      this.weights.set(name, tf.variable(initial, true, `qwen2_${this.id}/${name}`));
      initial.dispose(); // the variable holds its own copy
    }
  }

  /**
   * A randomly initialised model, as transformers initialises Qwen2 (normal
   * with std `initializer_range` for linear and embedding weights, zero biases,
   * unit norm weights), deterministic for a seed on every backend.
   */
  static init(config: Qwen2Config, seed: number): Qwen2ForCausalLM {
    const rng = seededRandom(seed);
    const std = config.initializer_range;
    const weights = new Map<string, WeightData>();
    for (const [name, shape] of weightShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (name.endsWith('norm.weight')) data.fill(1);
      else if (!name.endsWith('.bias')) for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
      weights.set(name, { shape, data });
    }
    return new Qwen2ForCausalLM(config, weights, 'init');
  }

  private w2(name: string): tf.Tensor2D { return this.weights.get(name) as unknown as tf.Tensor2D; }
  private w1(name: string): tf.Tensor1D { return this.weights.get(name) as unknown as tf.Tensor1D; }

  /** Replace (or with `null`, restore) the computation of a linear module, e.g. for a LoRA adapter. */
  setProjection(moduleName: string, fn: Projection | null): void {
    if (!this.weights.has(`${moduleName}.weight`)) throw new Error(`No linear module "${moduleName}" in this model`);
    if (fn) this.projections.set(moduleName, fn); else this.projections.delete(moduleName);
  }

  /** The plain linear computation of a module (its weight and bias, if any). */
  baseProjection(moduleName: string): Projection {
    const w = this.w2(`${moduleName}.weight`);
    const b = this.weights.has(`${moduleName}.bias`) ? this.w1(`${moduleName}.bias`) : undefined;
    return (x) => linear(x, w, b);
  }

  /** The computation a linear module runs now: the one set with `setProjection` (an adapter's), else the plain layer. */
  projection(moduleName: string): Projection {
    return this.projections.get(moduleName) ?? this.baseProjection(moduleName);
  }

  /** Mark weights as frozen (not returned by `trainableParams`). */
  freeze(names: Iterable<string>): void { for (const n of names) this.frozen.add(n); }
  unfreeze(names?: Iterable<string>): void {
    if (!names) this.frozen.clear(); else for (const n of names) this.frozen.delete(n);
  }

  /** Trainable weights in a fixed order (the order of `weightShapes`). */
  trainableParams(): TrainableParam[] {
    return [...this.weights].filter(([n]) => !this.frozen.has(n)).map(([name, variable]) => ({ name, variable }));
  }

  /** Start an empty KV cache for incremental decoding. */
  newCache(): KVCache {
    return { layers: Array.from({ length: this.config.num_hidden_layers }, () => ({ keys: null, values: null, length: 0 })) };
  }

  /** Free a KV cache's tensors. */
  static disposeCache(cache: KVCache): void {
    for (const l of cache.layers) { l.keys?.dispose(); l.values?.dispose(); l.keys = null; l.values = null; l.length = 0; }
  }

  /**
   * What every decoder layer of one call shares: the attention shape and the
   * rotary tables for positions `past .. past + seqLen - 1` (tiled per
   * sequence). `dispose()` frees the tables.
   */
  layerContext(batch: number, seqLen: number, past = 0): LayerContext {
    const cfg = this.config;
    const hd = headDim(cfg);
    const positions = Array.from({ length: seqLen }, (_, t) => past + t);
    const tables = rotaryTables(positions, hd, cfg.rope_theta);
    let cos = tables.cos;
    let sin = tables.sin;
    if (batch > 1) {
      cos = tf.tile(tables.cos, [batch, 1]) as tf.Tensor2D;
      sin = tf.tile(tables.sin, [batch, 1]) as tf.Tensor2D;
    }
    const shape = { batch, seqLen, heads: cfg.num_attention_heads, kvHeads: cfg.num_key_value_heads, headDim: hd };
    return {
      shape, cos, sin,
      dispose: () => { for (const t of new Set([cos, sin, tables.cos, tables.sin])) t.dispose(); },
    };
  }

  /** Checks token ids and positions, then embeds them: [batch*seqLen, hidden]. */
  embed(ids: Int32Array, batch: number, seqLen: number, past = 0): tf.Tensor2D {
    const cfg = this.config;
    if (ids.length !== batch * seqLen) throw new Error(`forward: ${ids.length} ids for batch ${batch} x length ${seqLen}`);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= cfg.vocab_size) throw new Error(`forward: token id ${ids[i]} outside vocabulary [0, ${cfg.vocab_size})`);
    }
    if (past + seqLen > cfg.max_position_embeddings) {
      throw new Error(`forward: position ${past + seqLen} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
    }
    return embeddingLookup(tf.tensor1d(ids, 'int32'), this.w2('model.embed_tokens.weight'));
  }

  /** Decoder layer `i` on x [batch*seqLen, hidden] (its projections, LoRA included). */
  layer(i: number, x: tf.Tensor2D, ctx: LayerContext, cache?: LayerCache): tf.Tensor2D {
    const p = `model.layers.${i}`;
    return decoderLayer(x, {
      inputNorm: this.w1(`${p}.input_layernorm.weight`),
      postAttentionNorm: this.w1(`${p}.post_attention_layernorm.weight`),
      attention: {
        q: this.projection(`${p}.self_attn.q_proj`), k: this.projection(`${p}.self_attn.k_proj`),
        v: this.projection(`${p}.self_attn.v_proj`), o: this.projection(`${p}.self_attn.o_proj`),
      },
      mlp: {
        gate: this.projection(`${p}.mlp.gate_proj`), up: this.projection(`${p}.mlp.up_proj`),
        down: this.projection(`${p}.mlp.down_proj`),
      },
    }, ctx.shape, ctx.cos, ctx.sin, this.config.rms_norm_eps, cache);
  }

  /** The final RMSNorm. */
  finalNorm(x: tf.Tensor2D): tf.Tensor2D {
    return rmsNorm(x, this.w1('model.norm.weight'), this.config.rms_norm_eps);
  }

  /**
   * Final hidden states [batch*seqLen, hidden] (after the last norm) for token
   * ids laid out row-major [batch, seqLen]. With `cache` (batch 1), positions
   * continue after the cached ones.
   */
  hiddenStates(ids: Int32Array, batch: number, seqLen: number, cache?: KVCache): tf.Tensor2D {
    const past = cache ? cache.layers[0].length : 0;
    let x = this.embed(ids, batch, seqLen, past);
    const ctx = this.layerContext(batch, seqLen, past);
    for (let i = 0; i < this.config.num_hidden_layers; i++) x = this.layer(i, x, ctx, cache?.layers[i]);
    return this.finalNorm(x);
  }

  /** The lm_head weight: `lm_head.weight`, or the embedding when tied. */
  lmHeadWeight(): tf.Tensor2D {
    return this.w2(this.config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  }

  /** Logits [batch*seqLen, vocab]. */
  forward(ids: Int32Array, batch: number, seqLen: number, cache?: KVCache): tf.Tensor2D {
    return linear(this.hiddenStates(ids, batch, seqLen, cache), this.lmHeadWeight());
  }

  /**
   * The causal-LM loss as Hugging Face computes it: logits at position t
   * predict labels[t+1] within each sequence; labels -100 are ignored; mean over
   * the counted tokens. With `vocabChunk`, the loss is computed that many
   * vocabulary rows at a time (`chunkedCrossEntropy`): same value and
   * gradients, without the full logits.
   */
  loss(ids: Int32Array, labels: Int32Array, batch: number, seqLen: number, options: LossOptions = {}): tf.Scalar {
    const targets = shiftLabels(labels, batch, seqLen);
    if (options.vocabChunk !== undefined) {
      return chunkedCrossEntropy(this.hiddenStates(ids, batch, seqLen), this.lmHeadWeight(), targets, options.vocabChunk);
    }
    return crossEntropy(this.forward(ids, batch, seqLen), targets);
  }

  /** Copies of every weight (for saving). */
  weightData(): Map<string, WeightData> {
    const out = new Map<string, WeightData>();
    for (const [name, v] of this.weights) out.set(name, { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) });
    return out;
  }

  /** Bytes held by the weights. */
  weightBytes(): number {
    let n = 0;
    for (const v of this.weights.values()) n += v.size * 4;
    return n;
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}

/** labels[b, t] -> target of position t = labels[b, t+1]; the last position of each row is ignored. */
export function shiftLabels(labels: Int32Array, batch: number, seqLen: number): Int32Array {
  const out = new Int32Array(batch * seqLen).fill(-100);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < seqLen; t++) out[b * seqLen + t] = labels[b * seqLen + t + 1];
  }
  return out;
}
