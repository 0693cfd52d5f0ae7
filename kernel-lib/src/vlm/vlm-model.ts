/**
 * A small vision-language model (LLaVA's layout at notebook scale): patch
 * encoder -> projector -> image tokens placed before the embedded text ->
 * Qwen2 decoder. Which base weights train is chosen per part
 * (`setTrainableParts`); parameter-efficient methods attach through
 * `hooks` and register their own parameters (`attach`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Qwen2ForCausalLM, WeightData } from '../model/causal-lm';
import { crossEntropy, embeddingLookup, linear } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { PEFT_PREFIX } from '../peft/lora-layer';
import { AdapterHooks, ModelPart, MODEL_PARTS, partOf } from './adapter-hooks';
import { DecoderCache, decoderHiddenStates } from './decoder-pass';
import { projectImageFeatures } from './projector';
import { combinedLabels, combinedRowOrder } from './sequence-layout';
import { pickRows, prependPerSequence } from './sequence-ops';
import { visionEncoder, VisionWeights } from './vision-encoder';
import { imageTokenCount, initVlmWeights, VlmConfig, vlmWeightShapes } from './vlm-config';

/** A parameter-efficient method attached to a model (see `attach`). */
export interface VlmAdapter {
  /** 'lora', 'ia3', 'prefix', 'p-tuning-v2', ... */
  readonly method: string;
  readonly parts: readonly ModelPart[];
  /** The method's own variables; names say their part (`partOf` after removing PEFT's `base_model.model.`). */
  params(): TrainableParam[];
  /** Remove the hooks and free the variables. */
  detach(): void;
}

/**
 * The part a parameter belongs to, adapters' parameters included.
 *
 * @example
 * paramPart('base_model.model.vision_tower.layers.0.mlp.fc1.lora_A.weight'); // 'vision'
 */
export function paramPart(name: string): ModelPart {
  return partOf(name.startsWith(PEFT_PREFIX) ? name.slice(PEFT_PREFIX.length) : name);
}

let vlmCounter = 0;

/**
 * Vision tower + projector + a Qwen2 decoder.
 *
 * @example
 * const { model: lm, tokenizer } = await loadPretrained(tinyBasePath());
 * const vlm = new VisionLanguageModel(defaultVlmConfig(), lm, { seed: 7 });
 * const loss = vlm.loss(pixels, ids, labels, 4, 24); // scalar
 */
export class VisionLanguageModel implements VisionWeights {
  readonly config: VlmConfig;
  readonly language: Qwen2ForCausalLM;
  /** Vision tower and projector weights (the decoder's stay in `language.weights`). */
  readonly weights = new Map<string, tf.Variable>();
  readonly hooks = new AdapterHooks();
  readonly adapters: VlmAdapter[] = [];
  private trainableBase = new Set<ModelPart>(MODEL_PARTS);
  private readonly id = ++vlmCounter;

  constructor(config: VlmConfig, language: Qwen2ForCausalLM, init: { seed: number } | { weights: Map<string, WeightData> }) {
    this.config = config;
    this.language = language;
    const hidden = language.config.hidden_size;
    const shapes = vlmWeightShapes(config, hidden);
    const data = 'seed' in init ? initVlmWeights(config, hidden, init.seed) : init.weights;
    for (const [name, shape] of shapes) {
      const w = data.get(name);
      if (!w) throw new Error(`VisionLanguageModel: missing weight "${name}" (expected shape [${shape}])`);
      if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
        throw new Error(`VisionLanguageModel: weight "${name}" has shape [${w.shape}], the config expects [${shape}]`);
      }
      const t = tf.tensor(w.data, shape, 'float32');
      this.weights.set(name, tf.variable(t, true, `vlm_${this.id}/${name}`));
      t.dispose();
    }
  }

  /** A base weight by name (vision, projector or decoder). */
  weight(name: string): tf.Tensor {
    const w = this.weights.get(name) ?? this.language.weights.get(name);
    if (!w) throw new Error(`VisionLanguageModel: no weight "${name}"`);
    return w;
  }

  /** Every base weight by name: vision tower, projector, decoder. */
  baseWeights(): Map<string, tf.Variable> {
    return new Map([...this.weights, ...this.language.weights]);
  }

  /** Number of image tokens per image. */
  get imageTokens(): number { return imageTokenCount(this.config); }

  /**
   * Which parts' base weights train (the others are frozen, and their weight
   * gradients are never formed). Default: all parts.
   */
  setTrainableParts(parts: readonly ModelPart[]): void {
    this.trainableBase = new Set(parts);
    for (const [name, v] of this.baseWeights()) v.trainable = this.trainableBase.has(partOf(name));
  }

  /** The parts whose base weights train. */
  trainableParts(): ModelPart[] { return MODEL_PARTS.filter((p) => this.trainableBase.has(p)); }

  /** Register an attached method's parameters (methods call this). */
  attach(adapter: VlmAdapter): void { this.adapters.push(adapter); }

  /** Detach every method (hooks removed, variables freed). */
  detachAll(): void {
    while (this.adapters.length) this.adapters.pop()!.detach();
  }

  /** Base weights of the trainable parts, then every adapter's parameters. */
  trainableParams(): TrainableParam[] {
    const base = [...this.baseWeights()].filter(([n]) => this.trainableBase.has(partOf(n))).map(([name, variable]) => ({ name, variable }));
    return [...base, ...this.adapters.flatMap((a) => a.params())];
  }

  /**
   * Input embeddings [B*(N+T), hidden] of `batch` images [B, C, S, S] and
   * token ids [B, T]: each sequence's N image tokens placed after
   * `imageAt[b]` of its text tokens (default: before all the text).
   */
  embed(images: Float32Array, ids: Int32Array, batch: number, textLen: number, imageAt?: ArrayLike<number>): tf.Tensor2D {
    if (ids.length !== batch * textLen) throw new Error(`VisionLanguageModel: ${ids.length} token ids for batch ${batch} x length ${textLen}`);
    const features = visionEncoder(images, batch, this.config.vision, this);
    const imageTokens = projectImageFeatures(features, batch, this.config, this);
    const text = embeddingLookup(tf.tensor1d(ids, 'int32'), this.weight('model.embed_tokens.weight') as tf.Tensor2D);
    if (!imageAt || Array.from(imageAt).every((a) => a === 0)) return prependPerSequence(imageTokens, text, batch, false);
    return pickRows(tf.concat([text, imageTokens], 0), combinedRowOrder(batch, textLen, this.imageTokens, imageAt));
  }

  /** Final decoder hidden states [B*(N+T), hidden] of images and text (layout as `embed`). */
  hiddenStates(images: Float32Array, ids: Int32Array, batch: number, textLen: number, cache?: DecoderCache, imageAt?: ArrayLike<number>): tf.Tensor2D {
    const embeds = this.embed(images, ids, batch, textLen, imageAt);
    return decoderHiddenStates(this.language, embeds, batch, this.imageTokens + textLen, this.hooks, cache);
  }

  /** Logits [rows.length, vocab] of chosen rows of hidden states. */
  logitsAt(hidden: tf.Tensor2D, rows: ArrayLike<number>): tf.Tensor2D {
    return linear(pickRows(hidden, rows), this.language.lmHeadWeight());
  }

  /**
   * The causal-LM loss on the text: each row of the decoder input predicts
   * the next row's label (text labels; -100 ignored, image rows have none),
   * mean over the counted tokens. Logits are formed only at counted rows.
   */
  loss(images: Float32Array, ids: Int32Array, labels: Int32Array, batch: number, textLen: number, imageAt?: ArrayLike<number>): tf.Scalar {
    if (labels.length !== ids.length) throw new Error(`VisionLanguageModel: ${labels.length} labels for ${ids.length} token ids`);
    const n = this.imageTokens;
    const len = n + textLen;
    const combined = combinedLabels(labels, batch, textLen, n, imageAt ?? new Array<number>(batch).fill(0));
    const rows: number[] = [];
    const targets: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c + 1 < len; c++) {
        const l = combined[b * len + c + 1];
        if (l === -100) continue;
        rows.push(b * len + c);
        targets.push(l);
      }
    }
    if (rows.length === 0) throw new Error('VisionLanguageModel.loss: no labelled tokens in this batch');
    const hidden = this.hiddenStates(images, ids, batch, textLen, undefined, imageAt);
    return crossEntropy(this.logitsAt(hidden, rows), Int32Array.from(targets));
  }

  /** Copies of every base weight (to restore after an experiment). */
  weightSnapshot(): Map<string, Float32Array> {
    return new Map([...this.baseWeights()].map(([n, v]) => [n, Float32Array.from(v.dataSync() as Float32Array)]));
  }

  /** Put back the values of `weightSnapshot()`. */
  restoreWeights(snapshot: Map<string, Float32Array>): void {
    for (const [n, v] of this.baseWeights()) {
      const data = snapshot.get(n);
      if (!data) throw new Error(`restoreWeights: the snapshot has no "${n}"`);
      const t = tf.tensor(data, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  /** Vision tower and projector weights as plain data (for saving or cloning). */
  weightData(): Map<string, WeightData> {
    return new Map([...this.weights].map(([n, v]) => [n, { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) }]));
  }

  /** Free the adapters and the vision/projector weights (the decoder is the caller's). */
  dispose(): void {
    this.detachAll();
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}
