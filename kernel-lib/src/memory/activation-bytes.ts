/**
 * What OUR forward pass (model/*.ts on the wasm backend) leaves alive for the
 * backward pass: the tensors the gradient tape saves, counted op by op.
 *
 * How tfjs saves: while a gradient is being taken, every kernel called at top
 * level (not inside a custom-gradient op) records the inputs/outputs its
 * gradient needs (Add, Sub, Mul: both inputs; Square, Rsqrt, Mean, Reshape,
 * Tile: the input; Softmax, Sigmoid: the output; Pack: all inputs; Transpose,
 * Unpack: nothing), and each `tf.customGrad` op (matmul2d, linear,
 * embeddingLookup, crossEntropy in model/primitives.ts) records what it
 * passes to `save`. Every saved tensor is a `clone`, and on the wasm backend
 * a clone COPIES its buffer (kernel Identity), so each save costs its full
 * size, even when the same tensor is saved twice, and even for weights:
 * each `linear` saves a copy of its weight. Those weight copies are counted
 * apart (`weightCopies`); on backends whose clone shares the buffer (cpu,
 * tensorflow) they cost nothing and the rest is an upper bound.
 *
 * With N = B T tokens, d hidden, f intermediate, H heads of size D, kvd =
 * H_kv D, V vocab and L layers, in float32 elements:
 *
 *   per layer   36 N d + 13 N kvd + 8 N D + 6 N f + 4 B H T^2 + 6 N + 3
 *     rmsNorm x2 (Square x, Mean x^2, Add var+eps, Rsqrt, Mul x*r, Mul *w):  2 (4 N d + 3 N + 1)
 *     q/k/v/o/gate/up/down inputs saved by `linear`:                          4 N d + 2 N d + N f
 *     rotary on q (width d) and k (width kvd), per call with width W:          9 N W + 4 N D
 *       (Reshape x4, matmul2d input, Mul x cos and rotated x sin, Add)
 *     q * 1/sqrt(D):                                                            N d + 1
 *     splitHeads on q, k, v (two Reshapes each):                                2 N d + 4 N kvd
 *     per head and row: q k^T (matmul2d) 2 T D, + mask (Add) 2 T^2,
 *       softmax output T^2, probs v (matmul2d) T^2 + T D:                       3 N d + 4 B H T^2
 *     mergeHeads (Pack all heads, two Reshapes):                                3 N d
 *     two residual Adds:                                                        4 N d
 *     SwiGLU: Sigmoid out N f, Mul gate*sig 2 N f, Mul *up 2 N f:               5 N f
 *   token ids (int32, saved by embeddingLookup)                                N
 *   rotary tables when B > 1 (Tile saves cos and sin [T, D])                   2 T D
 *   final rmsNorm                                                              4 N d + 3 N + 1
 *   lm_head input (saved by `linear`)                                          N d
 *   cross-entropy: log-softmax and one-hot [N, V], row weights [N]             2 N V + N
 *   weight copies: L (2 d^2 + 2 kvd d + 3 f d + 2 d + 2 D^2) + d + V d
 *     (every linear weight, both norm weights, the rotate-half matrix per
 *     rotary call, the final norm weight and the lm_head / tied embedding)
 *
 * Assumptions: the model of model/causal-lm.ts as committed (per-head 2-D
 * attention with an additive causal mask, no KV cache, no dropout); loss via
 * `model.loss`; the gradient taken with `tf.variableGrads`. It does not count
 * tensors alive only during the forward pass (the originals of the saved
 * copies: 1.3-1.5x this figure at the end of the forward on the tiny
 * configs) or the gradients the backward pass forms (`backwardWorkspaceBytes`;
 * the peak of a step is at the end of the backward pass). Both figures are
 * checked against the wasm backend's live buffers (at the start of the
 * backward pass, and the peak) in tests/memory/backend-agreement.test.ts:
 * they agree to the byte, up to the loss scalars.
 */
import { Qwen2Config, headDim } from '../model/config';
import { FLOAT32_BYTES } from './optimizer-state-bytes';

export interface ActivationOptions {
  batchSize: number;
  seqLen: number;
  /**
   * LoRA adapters on these linear modules (short names) with rank r: each
   * adapted module's forward (peft/lora-layer.ts, no dropout, no DoRA)
   * `base(x) + scaling * B(A(x))` also saves x [N, in] and A [r, in] (first
   * linear), A x [N, r] and B [out, r] (second linear), the product [N, out]
   * and the scalar (Mul by scaling) and both addends [N, out] (Add):
   * N (in + r + 3 out) + 1 activations and r (in + out) weight copies.
   */
  lora?: { r: number; targets: readonly string[] };
}

/** Saved-for-backward bytes, by where they come from. */
export interface ActivationBytes {
  /** Int32 token ids saved by the embedding lookup: 4 N. */
  tokenIds: number;
  /** Tile's saved cos/sin tables when batch > 1: 2 T D floats. */
  rotaryTables: number;
  /** One decoder layer's saved activations (weight copies excluded). */
  perLayer: number;
  /** Of `layers`: the [T, T] score/mask/probability tensors, 4 L B H T^2 floats. */
  attentionScores: number;
  /** L * perLayer. */
  layers: number;
  /** The final RMSNorm's saves and the lm_head input: 5 N d + 3 N + 1 floats. */
  finalNormAndHead: number;
  /** Cross-entropy's log-softmax and one-hot [N, V] and row weights [N]: 2 N V + N floats. */
  crossEntropy: number;
  /** Extra saves of LoRA adapters (0 without LoRA). */
  adapters: number;
  /** Copies of weights saved by the tape (a wasm artefact: see the module comment). */
  weightCopies: number;
  /** Everything above. */
  total: number;
}

const MODULE_SHAPES = (cfg: Qwen2Config): Record<string, [number, number]> => {
  const d = cfg.hidden_size;
  const kvd = cfg.num_key_value_heads * headDim(cfg);
  const f = cfg.intermediate_size;
  return { q_proj: [d, d], k_proj: [kvd, d], v_proj: [kvd, d], o_proj: [d, d], gate_proj: [f, d], up_proj: [f, d], down_proj: [d, f] };
};

/**
 * Bytes our forward pass saves for the backward pass at batch B and sequence
 * length T (see the module comment for the formula and its derivation).
 *
 * @example
 * const a = activationBytes(cfg, { batchSize: 1, seqLen: 512 });
 * a.total; // bytes alive between forward and backward, beyond weights
 */
export function activationBytes(cfg: Qwen2Config, opts: ActivationOptions): ActivationBytes {
  const { batchSize: B, seqLen: T } = opts;
  if (!(Number.isInteger(B) && B > 0) || !(Number.isInteger(T) && T > 0)) {
    throw new Error(`activationBytes: batch size and sequence length must be positive integers, got ${B} and ${T}`);
  }
  const N = B * T;
  const d = cfg.hidden_size;
  const f = cfg.intermediate_size;
  const H = cfg.num_attention_heads;
  const D = headDim(cfg);
  const kvd = cfg.num_key_value_heads * D;
  const V = cfg.vocab_size;
  const L = cfg.num_hidden_layers;
  const F = FLOAT32_BYTES;

  const scores = 4 * B * H * T * T;
  const perLayer = 36 * N * d + 13 * N * kvd + 8 * N * D + 6 * N * f + scores + 6 * N + 3;
  const weightCopiesPerLayer = 2 * d * d + 2 * kvd * d + 3 * f * d + 2 * d + 2 * D * D;

  let adapters = 0;
  let adapterWeights = 0;
  if (opts.lora) {
    const shapes = MODULE_SHAPES(cfg);
    const r = opts.lora.r;
    for (const t of opts.lora.targets) {
      const s = shapes[t];
      if (!s) throw new Error(`activationBytes: LoRA target "${t}" is not a linear module of Qwen2`);
      const [o, i] = s;
      adapters += N * i + N * r + 3 * N * o + 1;
      adapterWeights += r * i + o * r;
    }
    adapters *= L;
    adapterWeights *= L;
  }

  const out = {
    tokenIds: 4 * N,
    rotaryTables: F * (B > 1 ? 2 * T * D : 0),
    perLayer: F * perLayer,
    attentionScores: F * L * scores,
    layers: F * L * perLayer,
    finalNormAndHead: F * (5 * N * d + 3 * N + 1),
    crossEntropy: F * (2 * N * V + N),
    adapters: F * adapters,
    weightCopies: F * (L * weightCopiesPerLayer + d + V * d + adapterWeights),
    total: 0,
  };
  out.total = out.tokenIds + out.rotaryTables + out.layers + out.finalNormAndHead + out.crossEntropy + out.adapters + out.weightCopies;
  return out;
}

