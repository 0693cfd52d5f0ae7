/**
 * What the backward pass of OUR implementation holds at its end, beyond the
 * trainable weights' gradients: tfjs keeps every tensor the backward pass
 * makes (the gradients of activations and the temporaries our custom
 * gradients create outside a `tf.tidy`: transposes, head re-layouts,
 * cross-entropy's scaled softmax) until `tf.variableGrads` returns, and the
 * saved tensors stay alive until then too. So the peak of one
 * forward+backward is
 *
 *   saved activations + trainable gradients + this workspace.
 *
 * Rules it follows (tfjs-core 4.22 `backpropagateGradients`, wasm backend):
 * - only ops on a path from a trainable weight to the loss run backward; our
 *   ops are custom gradients, which form the gradients of ALL their inputs
 *   once they run (dx of a linear whose input carries no gradient, a norm's
 *   weight gradient, a frozen bias's sum), except a linear's weight gradient:
 *   skipped for frozen weights (`weightGradientFor`, one placeholder float);
 * - a tensor reached through k edges ends with k gradient tensors (tfjs sums
 *   pairwise and frees only the older partial sum); the residual Adds pass
 *   their output gradient on without a copy, so the residual stream costs one
 *   extra sum per layer input and per attention output;
 * - a weight gradient dW = dy^T x takes the cheaper of two routes
 *   (`weightGradient`): a temporary dy^T [out, N], or x^T [in, N] and
 *   [in, out]: min(N out, N in + in out) floats beside dW.
 *
 * Full training (every weight trainable), in float32 elements, N = B T,
 * C = B (T - 1) labelled tokens, t(out, in) = min(N out, N in + in out):
 *
 *   per layer   37 N d + 16 N kvd + 9 N f + 4 B H T^2 + B H T + 2 N
 *     (with t(d, d) = N d, t(kvd, d) = N kvd, t(f, d) = N f, t(d, f) = N d,
 *     true unless N exceeds the widths; the code uses t itself)
 *     two rmsNorms (6 N d + N each), the residual sums (2 N d),
 *     q/k/v/o/gate/up/down dx (5 N d + N f, the q/k/v ones kept apart),
 *     their dW temporaries, two rotaries (4 N d + 4 N kvd),
 *     causalAttention (10 N d + 10 N kvd + 4 B H T^2 + B H T),
 *     swiglu (6 N f); scalars made from JS numbers are freed by their op
 *   head        2 N V + N + 5 C (cross-entropy), N d + t(V, d) (lm_head),
 *               6 N d + N (final norm)
 *   embedding   N int32 (the ids' zero gradient); tied: + 2 V d (the lm_head
 *               and lookup gradients and their sum coexist for a moment)
 *
 * LoRA (base frozen, no dropout): layers after the first run backward in
 * full, with frozen linears (no dW, a placeholder float, their biases' sums
 * and both norms' weight gradients in the workspace), plus per adapted
 * module [out, in] N out + N r + t(out, r) + N in + t(r, in) (the scaled
 * product's gradient, both adapter linears' dx and dW temporaries); in the
 * first layer only the ops downstream of its first adapter run; the head's
 * lm_head forms no dW and the embedding does not run backward. DoRA and
 * dropout are not modelled (their extra tensors are left out).
 *
 * Layer-wise updates (`layerwise`): the linear weights of the decoder layers
 * and an untied lm_head are stepped inside the backward pass; their dW
 * temporaries still stay until the end (they are made outside a tidy), and
 * so do the stepped gradients as long as nothing disposes them (see
 * `memoryLedger`'s layer-wise assumption).
 *
 * Checked against the wasm backend's peak live buffers in
 * tests/memory/backend-agreement.test.ts (to the byte, up to the loss scalars).
 */
import { Qwen2Config, headDim } from '../model/config';
import { FLOAT32_BYTES } from './optimizer-state-bytes';
import { LINEAR_MODULE_NAMES } from './parameter-groups';

export interface WorkspaceOptions {
  batchSize: number;
  seqLen: number;
  /** LoRA adapters (rank and target modules, short names); absent for full training. */
  lora?: { r: number; targets: readonly string[] };
  /**
   * The loss in vocabulary chunks of this many rows (`chunkedCrossEntropy`):
   * the head's workspace is one chunk's temporaries (7 N c + 3 c d) and dh
   * (N d) instead of the full logits' gradient, softmax copy and dW
   * temporary.
   */
  vocabChunk?: number;
}

/** The sizes the formulas use, for batch B and sequence length T. */
function dimsOf(cfg: Qwen2Config, B: number, T: number): Dims {
  const D = headDim(cfg);
  return {
    N: B * T, B, T, d: cfg.hidden_size, f: cfg.intermediate_size, H: cfg.num_attention_heads, D,
    kvd: cfg.num_key_value_heads * D, V: cfg.vocab_size,
  };
}

/**
 * One decoder layer's backward workspace in bytes (the top layers' form:
 * its input carries a gradient), as `backwardWorkspaceBytes` counts it per
 * layer; what activation checkpointing holds for the layer being recomputed.
 *
 * @example
 * layerWorkspaceBytes(cfg, { batchSize: 1, seqLen: 256 });
 */
export function layerWorkspaceBytes(cfg: Qwen2Config, opts: WorkspaceOptions): number {
  const x = dimsOf(cfg, opts.batchSize, opts.seqLen);
  const lora = opts.lora;
  return FLOAT32_BYTES * layerWorkspace(x, { inputOnPath: true, frozen: Boolean(lora), adapters: lora?.targets ?? [], r: lora?.r ?? 0 });
}

/** The chunked loss's head workspace in floats (see `WorkspaceOptions.vocabChunk`). */
const chunkedHead = (N: number, d: number, V: number, c: number) => 7 * N * Math.min(c, V) + 3 * Math.min(c, V) * d + N * d;

interface Dims { N: number; B: number; T: number; d: number; f: number; H: number; D: number; kvd: number; V: number }

/** How one decoder layer runs backward. */
interface LayerRun {
  /** Whether the layer input carries a gradient (false only in LoRA's first layer). */
  inputOnPath: boolean;
  /** Base weights frozen (LoRA): no dW, norm weight gradients and bias sums are workspace. */
  frozen: boolean;
  /** Adapted modules (short names) and the adapter rank. */
  adapters: readonly string[];
  r: number;
}

/** Floats beside dW while a dW = dy^T x [out, in] is formed from N rows (`weightGradient`). */
const dwTemp = (N: number, out: number, inp: number) => Math.min(N * out, N * inp + inp * out);

/** Workspace elements of one decoder layer. */
function layerWorkspace(x: Dims, run: LayerRun): number {
  const { N, B, T, d, f, H, kvd } = x;
  const has = (m: string) => run.adapters.includes(m);
  // a base linear that runs backward: dx [N, in], then dW's temporary (trainable) or a placeholder
  // float (frozen), and, frozen with a bias, the bias's sum [out] (trainable: a counted gradient)
  const base = (out: number, inp: number, bias: boolean) =>
    N * inp + (run.frozen ? 1 + (bias ? out : 0) : dwTemp(N, out, inp));
  const norm = 6 * N * d + N + (run.frozen ? d : 0);
  let n = 0;
  const xOn = run.inputOnPath;
  if (xOn) n += norm + N * d;                                         // input rmsNorm; residual sum into x
  if (xOn) n += base(d, d, true) + 2 * base(kvd, d, true);             // q/k/v linears
  const q = xOn || has('q_proj'); const k = xOn || has('k_proj'); const v = xOn || has('v_proj');
  if (q) n += 4 * N * d;                                               // applyRotary on q
  if (k) n += 4 * N * kvd;                                             // applyRotary on k
  const attn = q || k || v;
  if (attn) n += 10 * N * d + 10 * N * kvd + 4 * B * H * T * T + B * H * T; // causalAttention
  if (attn) n += base(d, d, false);                                    // o_proj
  const h = xOn || attn || has('o_proj');
  if (h) n += norm + N * d;                                            // post-attention rmsNorm; residual sum into h
  if (h) n += 2 * base(f, d, false);                                   // gate/up linears
  const mlp = h || has('gate_proj') || has('up_proj');
  if (mlp) n += 6 * N * f;                                             // swiglu
  if (mlp) n += base(d, f, false);                                     // down_proj
  for (const m of run.adapters) {
    const [o, i] = moduleShape(m, d, kvd, f);
    // d(scaled) [N, out]; linear(A x, B): dx [N, r] + dB's temporary; linear(x, A): dx [N, in] + dA's temporary
    n += N * o + N * run.r + dwTemp(N, o, run.r) + N * i + dwTemp(N, run.r, i);
  }
  return n;
}

const moduleShape = (m: string, d: number, kvd: number, f: number): [number, number] => (
  m === 'k_proj' || m === 'v_proj' ? [kvd, d] : m === 'gate_proj' || m === 'up_proj' ? [f, d] : m === 'down_proj' ? [d, f] : [d, d]);

/**
 * Bytes the backward pass holds at its end beyond the trainable gradients
 * (see the module comment for the rules and formulas).
 *
 * @example
 * backwardWorkspaceBytes(cfg, { batchSize: 2, seqLen: 16 });                                   // full training
 * backwardWorkspaceBytes(cfg, { batchSize: 2, seqLen: 16, lora: { r: 8, targets: ['q_proj', 'v_proj'] } });
 */
export function backwardWorkspaceBytes(cfg: Qwen2Config, opts: WorkspaceOptions): number {
  const { batchSize: B, seqLen: T } = opts;
  const x = dimsOf(cfg, B, T);
  const { N, d, V } = x;
  const L = cfg.num_hidden_layers;
  const C = B * (T - 1);
  const chunk = opts.vocabChunk;
  const crossEntropy = chunk === undefined ? 2 * N * V + N + 5 * C : chunkedHead(N, d, V, chunk);
  const finalNorm = (frozen: boolean) => 6 * N * d + N + (frozen ? d : 0);
  if (!opts.lora) {
    const layer = layerWorkspace(x, { inputOnPath: true, frozen: false, adapters: [], r: 0 });
    const head = crossEntropy + (chunk === undefined ? N * d + dwTemp(N, V, d) : 0) + finalNorm(false) + (cfg.tie_word_embeddings ? 2 * V * d : 0);
    return FLOAT32_BYTES * (L * layer + head) + 4 * N;
  }
  const { r, targets } = opts.lora;
  for (const t of targets) {
    if (!LINEAR_MODULE_NAMES.includes(t)) throw new Error(`backwardWorkspaceBytes: LoRA target "${t}" is not a linear module of Qwen2`);
  }
  if (targets.length === 0) return 0;
  const first = layerWorkspace(x, { inputOnPath: false, frozen: true, adapters: targets, r });
  const rest = layerWorkspace(x, { inputOnPath: true, frozen: true, adapters: targets, r });
  const head = crossEntropy + (chunk === undefined ? N * d : 0) + 1 + finalNorm(true); // lm_head: dx and a placeholder, no dW
  return FLOAT32_BYTES * (first + (L - 1) * rest + head);
}
