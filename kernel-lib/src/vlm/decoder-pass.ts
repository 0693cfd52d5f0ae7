/**
 * The Qwen2 decoder run from input embeddings instead of token ids (image
 * tokens are not in the vocabulary), built from the model's exported blocks
 * (`rmsNorm`, `applyRotary`, `causalAttention`, `swigluMlp`) and weights.
 * Three additions over `Qwen2ForCausalLM.hiddenStates`, all in the attention's
 * key/value rows:
 *
 * - prefix keys/values of the `language` part (prefix tuning, P-tuning v2)
 *   sit before every sequence's keys and are seen by every query;
 * - a cache of earlier keys/values for batched greedy decoding (batch >= 1);
 * - every linear module goes through the adapter hooks; a LoRA adapter
 *   attached to the decoder itself with `loraAdapter` is honoured too.
 *
 * `causalAttention` places the queries at the last positions of the key
 * rows, so [prefix; cache; new] keys give exactly "see the prefix, the past
 * and yourself". Rotary positions count real tokens only (the prefix has none).
 */
import * as tf from '@tensorflow/tfjs';
import { causalAttention, Projection } from '../model/attention';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { headDim } from '../model/config';
import { swigluMlp } from '../model/mlp';
import { rmsNorm } from '../model/rms-norm';
import { applyRotary, rotaryTables } from '../model/rotary';
import { attachedAdapter } from '../peft/lora-adapter';
import type { AdapterHooks } from './adapter-hooks';
import { prependPerSequence } from './sequence-ops';

/** Keys/values of earlier positions, per layer [batch * length, kv width] (after rotary). */
export interface DecoderCache {
  batch: number;
  length: number;
  keys: (tf.Tensor2D | null)[];
  values: (tf.Tensor2D | null)[];
}

/**
 * An empty decoding cache for `batch` sequences.
 *
 * @example
 * const cache = newDecoderCache(lm, 8);
 */
export function newDecoderCache(lm: Qwen2ForCausalLM, batch: number): DecoderCache {
  const n = lm.config.num_hidden_layers;
  return { batch, length: 0, keys: new Array(n).fill(null), values: new Array(n).fill(null) };
}

/**
 * Free a cache's tensors.
 *
 * @example
 * const cache = newDecoderCache(lm, 8);
 * try { decoderHiddenStates(lm, embeds, 8, 20, hooks, cache); } finally { disposeDecoderCache(cache); }
 */
export function disposeDecoderCache(cache: DecoderCache): void {
  for (const t of [...cache.keys, ...cache.values]) t?.dispose();
  cache.keys.fill(null);
  cache.values.fill(null);
  cache.length = 0;
}

/**
 * A decoder module's computation: the hooks around the module's base linear
 * (or around the `loraAdapter` layer attached to the decoder, if any).
 *
 * @example
 * const q = decoderProjection(vlm.language, vlm.hooks, 'model.layers.0.self_attn.q_proj')(x); // [N, 128]
 */
export function decoderProjection(lm: Qwen2ForCausalLM, hooks: AdapterHooks, moduleName: string): Projection {
  const adapter = attachedAdapter(lm);
  const layer = adapter?.layers.find((l) => l.moduleName === moduleName);
  const base: Projection = layer ? layer.projection(() => adapter!.training) : lm.baseProjection(moduleName);
  return hooks.projection(moduleName, base);
}

/**
 * Final hidden states [batch * seqLen, hidden] (after the last norm) of input
 * embeddings [batch * seqLen, hidden]. With `cache`, positions continue after
 * the cached ones and the new keys/values are appended to it.
 *
 * @example
 * const hidden = decoderHiddenStates(lm, embeds, 4, 40, vlm.hooks);
 */
export function decoderHiddenStates(
  lm: Qwen2ForCausalLM, embeds: tf.Tensor2D, batch: number, seqLen: number, hooks: AdapterHooks, cache?: DecoderCache,
): tf.Tensor2D {
  const cfg = lm.config;
  if (embeds.shape[0] !== batch * seqLen || embeds.shape[1] !== cfg.hidden_size) {
    throw new Error(`decoder: embeddings [${embeds.shape}] for batch ${batch} x length ${seqLen} x hidden ${cfg.hidden_size}`);
  }
  if (cache && cache.batch !== batch) throw new Error(`decoder: cache holds ${cache.batch} sequences, this call has ${batch}`);
  const past = cache ? cache.length : 0;
  if (past + seqLen > cfg.max_position_embeddings) {
    throw new Error(`decoder: position ${past + seqLen} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
  }
  const hd = headDim(cfg);
  const prefix = hooks.prefix('language')?.();
  if (prefix && prefix.keys.length !== cfg.num_hidden_layers) {
    throw new Error(`language prefix: ${prefix.keys.length} layer(s) of prefixes for ${cfg.num_hidden_layers} decoder layer(s)`);
  }
  const positions = Array.from({ length: seqLen }, (_, t) => past + t);
  const tables = rotaryTables(positions, hd, cfg.rope_theta);
  const cos = batch > 1 ? tf.tile(tables.cos, [batch, 1]) as tf.Tensor2D : tables.cos;
  const sin = batch > 1 ? tf.tile(tables.sin, [batch, 1]) as tf.Tensor2D : tables.sin;
  const w1 = (name: string) => lm.weights.get(name) as unknown as tf.Tensor1D;
  const proj = (name: string) => decoderProjection(lm, hooks, name);
  let x = embeds;
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const xn = rmsNorm(x, w1(`${p}.input_layernorm.weight`), cfg.rms_norm_eps);
    const q = applyRotary(proj(`${p}.self_attn.q_proj`)(xn), cos, sin, cfg.num_attention_heads);
    let k = applyRotary(proj(`${p}.self_attn.k_proj`)(xn), cos, sin, cfg.num_key_value_heads);
    let v = proj(`${p}.self_attn.v_proj`)(xn);
    if (cache) {
      const oldK = cache.keys[i];
      const oldV = cache.values[i];
      if (oldK && oldV) {
        k = prependPerSequence(oldK, k, batch, false);
        v = prependPerSequence(oldV, v, batch, false);
      }
      cache.keys[i] = tf.keep(k);
      cache.values[i] = tf.keep(v);
      oldK?.dispose();
      oldV?.dispose();
    }
    if (prefix) {
      k = prependPerSequence(prefix.keys[i], k, batch, true);
      v = prependPerSequence(prefix.values[i], v, batch, true);
    }
    const keyLen = k.shape[0] / batch;
    const shape = { batch, seqLen, heads: cfg.num_attention_heads, kvHeads: cfg.num_key_value_heads, headDim: hd };
    const attn = causalAttention(q, k, v, shape, keyLen);
    const h = tf.add(x, proj(`${p}.self_attn.o_proj`)(attn)) as tf.Tensor2D;
    const hn = rmsNorm(h, w1(`${p}.post_attention_layernorm.weight`), cfg.rms_norm_eps);
    x = tf.add(h, swigluMlp(hn, {
      gate: proj(`${p}.mlp.gate_proj`), up: proj(`${p}.mlp.up_proj`), down: proj(`${p}.mlp.down_proj`),
    })) as tf.Tensor2D;
  }
  if (cache) cache.length = past + seqLen;
  return rmsNorm(x, w1('model.norm.weight'), cfg.rms_norm_eps);
}
