/**
 * What OUR forward pass (model/*.ts on the wasm backend) leaves alive for the
 * backward pass: the tensors the gradient tape saves, counted op by op.
 *
 * How tfjs saves: while a gradient is being taken, every kernel called at top
 * level (not inside a custom-gradient op) records the inputs/outputs its
 * gradient needs (here only the residual Adds, the Tile of the rotary tables
 * and LoRA's Mul and Add: both inputs, or the input of Tile), and each
 * `tf.customGrad` op (linear, rmsNorm, applyRotary, causalAttention, swiglu,
 * crossEntropy in model/) records what it passes to `save`. Every saved
 * tensor is a `clone`, and on the wasm backend a clone COPIES its buffer
 * (kernel Identity), so each save costs its full size, even when the same
 * tensor is saved twice. Weights are not saved: `saveForBackward`
 * (model/primitives.ts) reads `tf.Variable`s directly, so the tape holds no
 * weight copies (`weightCopies` is 0, LoRA adapter weights included), and the
 * embedding lookup saves nothing (`tokenIds` is 0).
 *
 * With N = B T tokens, d hidden, f intermediate, H heads of size D, kvd =
 * H_kv D, V vocab and L layers, in float32 elements:
 *
 *   per layer   13 N d + 2 N kvd + 4 N D + 5 N f + B H T^2 + 2 N
 *     rmsNorm x2 (xhat [N, d] and r [N, 1]):                       2 (N d + N)
 *     q/k/v/o/gate/up inputs saved by `linear`, down's input:      6 N d + N f
 *     applyRotary on q and k: cos and sin as [N, 1, D], each call: 4 N D
 *     causalAttention: q / sqrt(D), k, v and the probabilities
 *       (B H_kv blocks of [G T, T], G = H / H_kv):                  N d + 2 N kvd + B H T^2
 *     two residual Adds (both inputs each):                         4 N d
 *     swiglu: gate, up, sigmoid(gate), gate * sigmoid(gate):         4 N f
 *   rotary tables when B > 1 (Tile saves cos and sin [T, D])        2 T D
 *   final rmsNorm (N d + N) and the lm_head input (N d)             2 N d + N
 *   cross-entropy: the softmax [N, V]                               N V
 *
 * Assumptions: the model of model/causal-lm.ts as committed (one
 * custom-gradient attention op per layer with an additive causal mask, no KV
 * cache, no dropout); loss via `model.loss`; the gradient taken with
 * `tf.variableGrads`. It does not count tensors alive only during the forward
 * pass, or the gradients the backward pass forms (`backwardWorkspaceBytes`;
 * the peak of a step is at the end of the backward pass). Both figures are
 * checked against the wasm backend's live buffers (at the start of the
 * backward pass, and the peak) in tests/memory/backend-agreement.test.ts:
 * the saved activations agree to the byte, up to the loss scalars.
 */
import { Qwen2Config, headDim } from '../model/config';
import { FLOAT32_BYTES } from './optimizer-state-bytes';

export interface ActivationOptions {
  batchSize: number;
  seqLen: number;
  /**
   * LoRA adapters on these linear modules (short names) with rank r: each
   * adapted module's forward (peft/lora-layer.ts, no dropout, no DoRA)
   * `base(x) + scaling * B(A(x))` also saves x [N, in] (first linear),
   * A x [N, r] (second linear), the product [N, out] and the scalar (Mul by
   * scaling) and both addends [N, out] (Add): N (in + r + 3 out) + 1
   * activations; the adapter weights A and B are read, not copied.
   */
  lora?: { r: number; targets: readonly string[] };
}

/** Saved-for-backward bytes, by where they come from. */
export interface ActivationBytes {
  /** Token ids saved by the embedding lookup: 0 (the lookup saves nothing; kept for the breakdown's shape). */
  tokenIds: number;
  /** Tile's saved cos/sin tables when batch > 1: 2 T D floats. */
  rotaryTables: number;
  /** One decoder layer's saved activations (weight copies excluded). */
  perLayer: number;
  /** Of `layers`: the saved attention probabilities, L B H T^2 floats. */
  attentionScores: number;
  /** L * perLayer. */
  layers: number;
  /** The final RMSNorm's saves and the lm_head input: 2 N d + N floats. */
  finalNormAndHead: number;
  /** Cross-entropy's softmax [N, V]: N V floats. */
  crossEntropy: number;
  /** Extra saves of LoRA adapters (0 without LoRA). */
  adapters: number;
  /** Copies of weights saved by the tape: 0 since custom gradients read variables directly (see the module comment). */
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

  const scores = B * H * T * T;
  const perLayer = 13 * N * d + 2 * N * kvd + 4 * N * D + 5 * N * f + scores + 2 * N;

  let adapters = 0;
  if (opts.lora) {
    const shapes = MODULE_SHAPES(cfg);
    const r = opts.lora.r;
    for (const t of opts.lora.targets) {
      const s = shapes[t];
      if (!s) throw new Error(`activationBytes: LoRA target "${t}" is not a linear module of Qwen2`);
      const [o, i] = s;
      adapters += N * i + N * r + 3 * N * o + 1;
    }
    adapters *= L;
  }

  const out = {
    tokenIds: 0,
    rotaryTables: F * (B > 1 ? 2 * T * D : 0),
    perLayer: F * perLayer,
    attentionScores: F * L * scores,
    layers: F * L * perLayer,
    finalNormAndHead: F * (2 * N * d + N),
    crossEntropy: F * N * V,
    adapters: F * adapters,
    weightCopies: 0,
    total: 0,
  };
  out.total = out.tokenIds + out.rotaryTables + out.layers + out.finalNormAndHead + out.crossEntropy + out.adapters + out.weightCopies;
  return out;
}

