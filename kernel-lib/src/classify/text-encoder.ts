/**
 * The paper's baseline: a small transformer encoder trained from scratch on
 * the notes alone. Our own module, not a Qwen2 config: token embedding plus a
 * learned position embedding, then `layers` pre-norm blocks of bidirectional
 * multi-head self-attention (padding never attended) and a SiLU MLP, each
 * added back to the residual stream, then a final RMSNorm. Built from the
 * model's primitives (`linear`, `embeddingLookup`, `rmsNorm`), so it runs on
 * 2-D matmuls only. A head (usually `lightweight` or a plain one) on its
 * pooled states makes the classifier.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup, linear } from '../model/primitives';
import { rmsNorm } from '../model/rms-norm';
import type { TrainableParam } from '../optim/optimizer';
import type { TokenBody } from './bodies';
import { ParamSet, maskedAttention, silu } from './layers';
import type { TokenBatch } from './token-batch';

/** Sizes of the encoder. */
export interface TransformerEncoderConfig {
  vocabSize: number;
  /** Model width; default 64. */
  hiddenSize?: number;
  /** Encoder blocks; default 1. */
  layers?: number;
  /** Attention heads (hiddenSize must divide by it); default 2. */
  heads?: number;
  /** MLP width; default 2 * hiddenSize. */
  intermediateSize?: number;
  /** Longest input (size of the position table); default 128. */
  maxLen?: number;
  /** Initialisation seed; default 0. */
  seed?: number;
}

interface Block {
  norm1: tf.Tensor1D;
  q: tf.Tensor2D[];
  k: tf.Tensor2D[];
  v: tf.Tensor2D[];
  o: tf.Tensor2D[];
  norm2: tf.Tensor1D;
  up: tf.Tensor2D;
  upBias: tf.Tensor1D;
  down: tf.Tensor2D;
  downBias: tf.Tensor1D;
}

/**
 * A small bidirectional transformer encoder, randomly initialised (seeded).
 * `tokenStates` returns [batch * seqLen, hiddenSize].
 *
 * @example
 * const encoder = new TransformerEncoder({ vocabSize: tok.vocabSize, hiddenSize: 64, layers: 1, heads: 2, seed: 3 });
 * const classifier = new SequenceClassifier(encoder, classificationHead('lightweight', { inputSize: 64, numClasses: 5 }), { padId: tok.padTokenId });
 */
export class TransformerEncoder implements TokenBody {
  readonly kind = 'encoder' as const;
  readonly hiddenSize: number;
  readonly maxLen: number;
  readonly vocabSize: number;
  private readonly p: ParamSet;
  private readonly tokenEmbedding: tf.Tensor2D;
  private readonly positionEmbedding: tf.Tensor2D;
  private readonly blocks: Block[] = [];
  private readonly finalNorm: tf.Tensor1D;

  constructor(config: TransformerEncoderConfig) {
    const d = config.hiddenSize ?? 64;
    const heads = config.heads ?? 2;
    const inter = config.intermediateSize ?? 2 * d;
    const layers = config.layers ?? 1;
    if (!(config.vocabSize > 0)) throw new Error(`TransformerEncoder: vocabSize must be > 0, got ${config.vocabSize}`);
    if (!(heads > 0 && d % heads === 0)) throw new Error(`TransformerEncoder: hiddenSize ${d} must divide into ${heads} heads`);
    if (!(layers >= 1)) throw new Error(`TransformerEncoder: need at least one layer, got ${layers}`);
    this.hiddenSize = d;
    this.vocabSize = config.vocabSize;
    this.maxLen = config.maxLen ?? 128;
    const hd = d / heads;
    this.p = new ParamSet('encoder', config.seed ?? 0);
    const std = 1 / Math.sqrt(d);
    this.tokenEmbedding = this.p.normal('embed_tokens.weight', config.vocabSize, d, std);
    this.positionEmbedding = this.p.normal('embed_positions.weight', this.maxLen, d, std);
    for (let l = 0; l < layers; l++) {
      const n = `layers.${l}`;
      const perHead = (what: string, out: number, inp: number) =>
        Array.from({ length: heads }, (_, h) => this.p.linearWeight(`${n}.attn.${what}.${h}.weight`, out, inp));
      this.blocks.push({
        norm1: this.p.ones(`${n}.attn_norm.weight`, d),
        q: perHead('q', hd, d), k: perHead('k', hd, d), v: perHead('v', hd, d), o: perHead('o', d, hd),
        norm2: this.p.ones(`${n}.mlp_norm.weight`, d),
        up: this.p.linearWeight(`${n}.mlp.up.weight`, inter, d), upBias: this.p.bias(`${n}.mlp.up.bias`, inter, d),
        down: this.p.linearWeight(`${n}.mlp.down.weight`, d, inter), downBias: this.p.bias(`${n}.mlp.down.bias`, d, inter),
      });
    }
    this.finalNorm = this.p.ones('norm.weight', d);
  }

  /** Token states [batch * seqLen, hiddenSize] of a right-padded batch. */
  tokenStates(batch: TokenBatch): tf.Tensor2D {
    const { ids, lengths, seqLen } = batch;
    if (seqLen > this.maxLen) throw new Error(`TransformerEncoder: sequence length ${seqLen} exceeds maxLen ${this.maxLen}`);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= this.vocabSize) throw new Error(`TransformerEncoder: token id ${ids[i]} outside vocabulary [0, ${this.vocabSize})`);
    }
    return tf.tidy(() => {
      const positions = Int32Array.from({ length: ids.length }, (_, i) => i % seqLen);
      let x = tf.add(embeddingLookup(tf.tensor1d(ids, 'int32'), this.tokenEmbedding),
        embeddingLookup(tf.tensor1d(positions, 'int32'), this.positionEmbedding)) as tf.Tensor2D;  // [B*T, d]
      for (const b of this.blocks) {
        const a = rmsNorm(x, b.norm1, 1e-6);
        let attn: tf.Tensor2D | null = null;
        for (let h = 0; h < b.q.length; h++) {
          const out = linear(maskedAttention(linear(a, b.q[h]), linear(a, b.k[h]), linear(a, b.v[h]), lengths, seqLen), b.o[h]);
          attn = attn ? tf.add(attn, out) as tf.Tensor2D : out;
        }
        x = tf.add(x, attn!) as tf.Tensor2D;
        const m = rmsNorm(x, b.norm2, 1e-6);
        x = tf.add(x, linear(silu(linear(m, b.up, b.upBias)), b.down, b.downBias)) as tf.Tensor2D;
      }
      return rmsNorm(x, this.finalNorm, 1e-6);
    });
  }

  params(): TrainableParam[] { return this.p.params; }

  parameterCounts(): { trainable: number; total: number } {
    const n = this.p.count();
    return { trainable: n, total: n };
  }

  dispose(): void { this.p.dispose(); }
}
