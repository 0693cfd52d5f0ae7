/**
 * What the backward pass of OUR implementation holds at its end, beyond the
 * trainable weights' gradients: tfjs keeps every gradient it forms (of each
 * activation, and the temporaries our custom gradients create: transposes,
 * softmax's dy*y, cross-entropy's four [N, V] tensors) until
 * `tf.variableGrads` returns, and the saved tensors stay alive until then
 * too. So the peak of one forward+backward is
 *
 *   saved activations + trainable gradients + this workspace.
 *
 * Rules it follows (tfjs-core 4.22 `backpropagateGradients`, wasm backend):
 * - only ops on a path from a trainable weight to the loss run backward;
 *   a built-in op computes the gradients of its on-path inputs only, but our
 *   custom-gradient ops (`linear`, `matmul2d`) compute all of theirs: a
 *   frozen weight's dW is formed (and held) whenever its input carries a
 *   gradient;
 * - a tensor reached through k edges ends with k gradient tensors (tfjs sums
 *   pairwise and frees only the older partial sum); reshape gradients share
 *   their buffer.
 *
 * Full training (every weight trainable), in float32 elements, N = B T:
 *
 *   per layer   35 N d + 12 N kvd + 8 N f + 4 B H T^2 + 4 N + 4 D^2
 *   head        5 N V + 5 N d + 2 N     (cross-entropy 4 N V, lm_head dx and
 *                                        dy^T, final norm)
 *   token ids   N int32 (the ids' zero gradient)
 *   tied embeddings: + 2 V d (the two [V, d] gradients and their sum
 *                    coexist for a moment)
 *
 * LoRA (base frozen, no dropout): layers after the first run backward in full,
 * plus each frozen linear's dW and db, plus per adapted module [out, in]
 * 2 N out + 2 N r + N in; in the first layer only the ops downstream of its
 * first adapter run; the head adds the frozen lm_head's dW (V d) and the
 * embedding does not run backward. DoRA and dropout are not modelled (their
 * extra tensors are left out).
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
}

interface Dims { N: number; B: number; T: number; d: number; f: number; H: number; D: number; kvd: number; V: number }

/** Which parts of a decoder layer carry a gradient (run backward). */
interface LayerPath {
  /** The layer input (and so its input norm and the base q/k/v linears). */
  input: boolean;
  q: boolean; k: boolean; v: boolean;
  /** The attention output (o_proj's output). */
  attn: boolean;
  /** gate_proj's and up_proj's outputs. */
  gate: boolean; up: boolean;
  /** Whether frozen linear weights' dW and db count here (LoRA) or are trainable gradients (full). */
  frozenLinears: boolean;
}

/** Workspace elements of one decoder layer given what carries a gradient. */
function layerWorkspace(x: Dims, p: LayerPath): number {
  const { N, B, T, d, f, H, D, kvd } = x;
  const dw = (out: number, inp: number, bias: boolean) => (p.frozenLinears ? out * inp + (bias ? out : 0) : 0);
  let n = 0;
  if (p.input) {
    n += 5 * N * d + 2 * N;                                   // input RMSNorm (4 N d + 2 N own, + 1 sum over 3 edges)
    n += 3 * N * d + N * d + 2 * N * kvd;                      // q/k/v linears: dx each, dy^T each
    n += dw(d, d, true) + 2 * dw(kvd, d, true);
  }
  if (p.q) n += 5 * N * d + 2 * D * D + N * d + 2 * N * d;     // rotary on q, q * 1/sqrt(D), splitHeads(q)
  if (p.k) n += 5 * N * kvd + 2 * D * D + 2 * N * kvd + N * kvd; // rotary on k, splitHeads(k), k^T per KV head
  if (p.v) n += 2 * N * kvd;                                   // splitHeads(v)
  if (p.q || p.k) n += 6 * N * d + 4 * B * H * T * T;          // per head: q k^T, softmax, probs v (all four matmul2d grads)
  else if (p.v) n += 2 * N * d + 2 * B * H * T * T;            // per head: probs v only
  const qkv = p.q || p.k || p.v;
  if (qkv) n += 2 * N * d + 2 * N * d + dw(d, d, false);       // mergeHeads; o_proj dx and dy^T
  if (p.attn) n += 5 * N * d + 2 * N;                          // post-attention RMSNorm
  if (p.attn) n += 2 * (N * d + N * f) + 2 * dw(f, d, false);  // gate/up linears: dx and dy^T each
  if (p.gate && p.up) n += 5 * N * f;                          // SwiGLU: d(gs), d(up), d(sig), d(gate) x2
  else if (p.gate) n += 4 * N * f;
  else if (p.up) n += N * f;
  if (p.gate || p.up) n += N * f + N * d + dw(d, f, false);   // down_proj dx and dy^T
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
  const D = headDim(cfg);
  const x: Dims = {
    N: B * T, B, T, d: cfg.hidden_size, f: cfg.intermediate_size, H: cfg.num_attention_heads, D,
    kvd: cfg.num_key_value_heads * D, V: cfg.vocab_size,
  };
  const { N, d, f, V, kvd } = x;
  const L = cfg.num_hidden_layers;
  const all: LayerPath = { input: true, q: true, k: true, v: true, attn: true, gate: true, up: true, frozenLinears: false };
  if (!opts.lora) {
    const head = 5 * N * V + 5 * N * d + 2 * N + (cfg.tie_word_embeddings ? 2 * V * d : 0);
    return FLOAT32_BYTES * (L * layerWorkspace(x, all) + head) + 4 * N;
  }
  const { r, targets } = opts.lora;
  for (const t of targets) {
    if (!LINEAR_MODULE_NAMES.includes(t)) throw new Error(`backwardWorkspaceBytes: LoRA target "${t}" is not a linear module of Qwen2`);
  }
  if (targets.length === 0) return 0;
  const has = (m: string) => targets.includes(m);
  // first layer: only what lies downstream of its adapters carries a gradient
  const q = has('q_proj'); const k = has('k_proj'); const v = has('v_proj');
  const attn = q || k || v || has('o_proj');
  const first: LayerPath = {
    input: false, q, k, v, attn, gate: attn || has('gate_proj'), up: attn || has('up_proj'), frozenLinears: true,
  };
  let adapters = 0;
  for (const m of targets) {
    const [o, i] = moduleShape(m, d, kvd, f);
    adapters += 2 * N * o + 2 * N * r + N * i;                 // d(scaled), dy^T of B, d(A x), (A x)^T, dx through A
  }
  const layers = layerWorkspace(x, first) + (L - 1) * layerWorkspace(x, { ...all, frozenLinears: true }) + L * adapters;
  const head = 5 * N * V + 5 * N * d + 2 * N + V * d;         // + the frozen lm_head's dW; no embedding backward
  return FLOAT32_BYTES * (layers + head);
}
