/**
 * The four classification heads of Le et al., "The Impact of LoRA Adapters for
 * LLMs on Clinical NLP Classification Under Data Limitations" (arXiv
 * 2407.19299; IEEE Access 2025), each put on top of a body's token states and
 * ending in a linear classifier over the classes.
 *
 * The paper names the structures and describes their layers in prose; the
 * exact sizes, initialisation and where pooling happens are not given, so
 * these are the standard forms of each structure, with our choices marked:
 *
 * - `adapter` (the AdaptFormer-style bottleneck the paper calls Adapter):
 *   h = x + s * W_up ReLU(W_down x + b_down) + b_up; W_up starts at zero (our
 *   choice, as AdaptFormer and LoRA do, so training starts from the pooled
 *   features themselves); s = `scale` (default 1).
 * - `lightweight`: a linear down-projection, a second linear layer and a layer
 *   norm: h = LayerNorm(W_2 (W_1 x + b_1) + b_2), W_1: d -> r, W_2: r -> r.
 * - `tiny-attention`: one small attention head (Zhao et al.'s tiny-attention
 *   adapter) over the token states of each sequence, added back to them:
 *   H' = H + W_o softmax(Q K^T / sqrt(a) + mask) V with Q, K, V = H W_q, H W_k,
 *   H W_v of size a; then pooled. Bidirectional within a sequence; padding is
 *   never attended.
 * - `grn`: the gated residual network of the Temporal Fusion Transformer
 *   (Lim et al.), without the optional context input:
 *   eta2 = ELU(W_2 x + b_2), eta1 = Dropout(W_1 eta2 + b_1),
 *   h = LayerNorm(x + sigmoid(W_4 eta1 + b_4) * (W_5 eta1 + b_5)).
 *
 * Every head pools the token states (mean over the real tokens, or the last
 * real token; `tiny-attention` pools after its attention), then maps the
 * pooled vector h to logits with W_c h + b_c.
 */
import * as tf from '@tensorflow/tfjs';
import { linear, matmul2d } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { seededDropout } from '../peft/dropout';
import { SeededRandom, seededRandom } from '../util/random';
import { ParamSet, layerNorm, maskedAttention } from './layers';
import { PoolingMode, poolingMatrix } from './token-batch';

/** The four head structures. */
export const HEAD_KINDS = ['adapter', 'lightweight', 'tiny-attention', 'grn'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];

/** Display names of the heads, as the paper writes them. */
export const HEAD_NAMES: Record<HeadKind, string> = {
  adapter: 'Adapter', lightweight: 'Lightweight', 'tiny-attention': 'TinyAttention', grn: 'GRN',
};

/** What a head reads: a batch's token states and its layout. */
export interface HeadInput {
  /** Token states [batch * seqLen, inputSize], right-padded. */
  tokens: tf.Tensor2D;
  lengths: readonly number[];
  seqLen: number;
  pooling: PoolingMode;
  /** Dropout on. */
  training: boolean;
}

/** Sizes and options of a head. */
export interface HeadOptions {
  /** Width of the token states (the body's hidden size). */
  inputSize: number;
  numClasses: number;
  /** Bottleneck / hidden width of the head; default 32. */
  hidden?: number;
  /** Query/key/value size of `tiny-attention`; default 16. */
  attentionSize?: number;
  /** Dropout inside the head while training; default 0.1 for `grn` (the paper's GRN has one), 0 otherwise. */
  dropout?: number;
  /** `adapter`'s scale s; default 1. */
  scale?: number;
  /** Initialisation and dropout seed; default 0. */
  seed?: number;
}

/** A head: token states in, class logits [batch, numClasses] out. */
export interface ClassificationHead {
  readonly kind: HeadKind;
  readonly numClasses: number;
  logits(input: HeadInput): tf.Tensor2D;
  params(): TrainableParam[];
  /** Trainable scalars. */
  parameterCount(): number;
  dispose(): void;
}

function pool(input: HeadInput, tokens: tf.Tensor2D = input.tokens): tf.Tensor2D {
  return tf.tidy(() => matmul2d(poolingMatrix(input.lengths, input.seqLen, input.pooling), tokens));
}

/** A head's weights by role; each is a [out, in] matrix or a vector. */
type HeadWeights = Record<string, tf.Tensor2D & tf.Tensor1D>;

abstract class HeadBase implements ClassificationHead {
  abstract readonly kind: HeadKind;
  readonly numClasses: number;
  /** The head's own layers, then the classifier `cls`, `clsBias` (set by `setWeights`). */
  protected w!: HeadWeights;
  protected readonly p: ParamSet;
  protected readonly rng: SeededRandom;
  protected readonly dropout: number;

  constructor(name: string, o: HeadOptions, defaultDropout: number) {
    if (!(o.inputSize > 0 && o.numClasses > 1)) throw new Error(`${name} head: need inputSize > 0 and numClasses > 1, got ${o.inputSize} and ${o.numClasses}`);
    this.numClasses = o.numClasses;
    this.p = new ParamSet(name, o.seed ?? 0);
    this.rng = seededRandom((o.seed ?? 0) + 104729);
    this.dropout = o.dropout ?? defaultDropout;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${name} head: dropout must lie in [0, 1), got ${this.dropout}`);
  }

  protected drop(x: tf.Tensor2D, input: HeadInput): tf.Tensor2D {
    return input.training && this.dropout > 0 ? seededDropout(x, this.dropout, this.rng) : x;
  }

  /**
   * Keeps the head's layers and adds the classifier W_c [numClasses, width]
   * and b_c, created after the layers (initial values are drawn in that order).
   */
  protected setWeights(layers: Record<string, tf.Tensor>, width: number): void {
    const all: Record<string, tf.Tensor> = {
      ...layers,
      cls: this.p.linearWeight('classifier.weight', this.numClasses, width), clsBias: this.p.bias('classifier.bias', this.numClasses, width),
    };
    this.w = all as HeadWeights;
  }

  /** The pooled feature vector h [batch, width] of a batch, before the classifier. */
  protected abstract features(input: HeadInput): tf.Tensor2D;

  logits(input: HeadInput): tf.Tensor2D {
    return tf.tidy(() => linear(this.features(input), this.w.cls, this.w.clsBias));
  }

  params(): TrainableParam[] { return this.p.params; }
  parameterCount(): number { return this.p.count(); }
  dispose(): void { this.p.dispose(); }
}

class AdapterHead extends HeadBase {
  readonly kind = 'adapter' as const;
  private readonly scale: number;
  constructor(o: HeadOptions) {
    super('adapter', o, 0);
    const d = o.inputSize;
    const r = o.hidden ?? 32;
    this.scale = o.scale ?? 1;
    this.setWeights({
      down: this.p.linearWeight('down.weight', r, d), downBias: this.p.bias('down.bias', r, d),
      up: this.p.linearWeight('up.weight', d, r, 'zeros'), upBias: this.p.bias('up.bias', d, r, 'zeros'),
    }, d);
  }
  protected features(input: HeadInput): tf.Tensor2D {
    const w = this.w;
    const x = pool(input);                                                           // [B, d]
    const bottleneck = this.drop(tf.relu(linear(x, w.down, w.downBias)) as tf.Tensor2D, input); // [B, r]
    return tf.add(x, tf.mul(linear(bottleneck, w.up, w.upBias), this.scale)) as tf.Tensor2D;
  }
}

class LightweightHead extends HeadBase {
  readonly kind = 'lightweight' as const;
  constructor(o: HeadOptions) {
    super('lightweight', o, 0);
    const d = o.inputSize;
    const r = o.hidden ?? 32;
    this.setWeights({
      down: this.p.linearWeight('down.weight', r, d), downBias: this.p.bias('down.bias', r, d),
      second: this.p.linearWeight('linear.weight', r, r), secondBias: this.p.bias('linear.bias', r, r),
      gamma: this.p.ones('norm.weight', r), beta: this.p.bias('norm.bias', r, r, 'zeros'),
    }, r);
  }
  protected features(input: HeadInput): tf.Tensor2D {
    const w = this.w;
    const x = pool(input);
    const z = this.drop(linear(linear(x, w.down, w.downBias), w.second, w.secondBias), input); // [B, r]
    return layerNorm(z, w.gamma, w.beta);
  }
}

class TinyAttentionHead extends HeadBase {
  readonly kind = 'tiny-attention' as const;
  constructor(o: HeadOptions) {
    super('tiny-attention', o, 0);
    const d = o.inputSize;
    const a = o.attentionSize ?? 16;
    this.setWeights({
      q: this.p.linearWeight('q.weight', a, d), k: this.p.linearWeight('k.weight', a, d), v: this.p.linearWeight('v.weight', a, d),
      o: this.p.linearWeight('o.weight', d, a), oBias: this.p.bias('o.bias', d, a, 'zeros'),
    }, d);
  }
  protected features(input: HeadInput): tf.Tensor2D {
    const w = this.w;
    const h = input.tokens;                                                          // [B*T, d]
    const attended = maskedAttention(linear(h, w.q), linear(h, w.k), linear(h, w.v), input.lengths, input.seqLen);
    const mixed = tf.add(h, this.drop(linear(attended, w.o, w.oBias), input)) as tf.Tensor2D;
    return pool(input, mixed);
  }
}

class GatedResidualHead extends HeadBase {
  readonly kind = 'grn' as const;
  constructor(o: HeadOptions) {
    super('grn', o, 0.1);
    const d = o.inputSize;
    const r = o.hidden ?? 32;
    this.setWeights({
      w2: this.p.linearWeight('dense2.weight', r, d), b2: this.p.bias('dense2.bias', r, d),
      w1: this.p.linearWeight('dense1.weight', r, r), b1: this.p.bias('dense1.bias', r, r),
      w4: this.p.linearWeight('glu.gate.weight', d, r), b4: this.p.bias('glu.gate.bias', d, r),
      w5: this.p.linearWeight('glu.value.weight', d, r), b5: this.p.bias('glu.value.bias', d, r),
      gamma: this.p.ones('norm.weight', d), beta: this.p.bias('norm.bias', d, d, 'zeros'),
    }, d);
  }
  protected features(input: HeadInput): tf.Tensor2D {
    const w = this.w;
    const x = pool(input);                                                           // [B, d]
    const eta2 = tf.elu(linear(x, w.w2, w.b2)) as tf.Tensor2D;                       // [B, r]
    const eta1 = this.drop(linear(eta2, w.w1, w.b1), input);                         // [B, r]
    const gated = tf.mul(tf.sigmoid(linear(eta1, w.w4, w.b4)), linear(eta1, w.w5, w.b5)) as tf.Tensor2D; // GLU, [B, d]
    return layerNorm(tf.add(x, gated) as tf.Tensor2D, w.gamma, w.beta);
  }
}

/**
 * A classification head of one of the four kinds (see the module comment).
 *
 * @example
 * const head = classificationHead('grn', { inputSize: 128, numClasses: 5, hidden: 32, seed: 1 });
 * const logits = head.logits({ tokens, lengths: batch.lengths, seqLen: batch.seqLen, pooling: 'mean', training: false }); // [B, 5]
 */
export function classificationHead(kind: HeadKind, options: HeadOptions): ClassificationHead {
  switch (kind) {
    case 'adapter': return new AdapterHead(options);
    case 'lightweight': return new LightweightHead(options);
    case 'tiny-attention': return new TinyAttentionHead(options);
    case 'grn': return new GatedResidualHead(options);
    default: throw new Error(`classificationHead: unknown kind ${JSON.stringify(kind)}; expected one of: ${HEAD_KINDS.join(', ')}`);
  }
}
