/**
 * The small building blocks of the classification heads and the from-scratch
 * encoder: a named, seeded set of trainable variables (initialised as
 * `torch.nn.Linear` / `nn.LayerNorm` / `nn.Embedding` are), layer norm, SiLU
 * and attention within each sequence of a padded batch.
 */
import * as tf from '@tensorflow/tfjs';
import { customGradient, splitRows, transpose2d } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { SeededRandom, seededRandom } from '../util/random';

let paramSetCounter = 0;

/**
 * A module's trainable variables under readable names (`<prefix>.down.weight`),
 * drawn from a seeded generator so a head is the same on every run and machine.
 *
 * @example
 * const p = new ParamSet('adapter', 42);
 * const w = p.linearWeight('down.weight', 16, 128); // 'adapter.down.weight', [16, 128], U(-1/sqrt(128), 1/sqrt(128))
 * p.count(); // 2048
 */
export class ParamSet {
  readonly params: TrainableParam[] = [];
  private readonly rng: SeededRandom;
  private readonly scope: string;

  constructor(readonly prefix: string, seed: number) {
    this.rng = seededRandom(seed);
    this.scope = `classify_${++paramSetCounter}_${prefix}`;
  }

  private add(local: string, data: Float32Array, shape: number[]): tf.Variable {
    const name = `${this.prefix}.${local}`;
    if (this.params.some((p) => p.name === name)) throw new Error(`ParamSet ${this.prefix}: parameter "${local}" defined twice`);
    const init = tf.tensor(data, shape, 'float32');
    const variable = tf.variable(init, true, `${this.scope}/${local}`);
    init.dispose();
    this.params.push({ name, variable });
    return variable;
  }

  private uniform(size: number, bound: number): Float32Array {
    return Float32Array.from({ length: size }, () => (2 * this.rng.next() - 1) * bound);
  }

  /** A weight [out, in] initialised U(-1/sqrt(in), 1/sqrt(in)) as torch.nn.Linear (or zeros). */
  linearWeight(name: string, out: number, inp: number, init: 'uniform' | 'zeros' = 'uniform'): tf.Tensor2D {
    const data = init === 'zeros' ? new Float32Array(out * inp) : this.uniform(out * inp, 1 / Math.sqrt(inp));
    return this.add(name, data, [out, inp]) as unknown as tf.Tensor2D;
  }

  /** A bias [size] initialised U(-1/sqrt(fanIn), 1/sqrt(fanIn)) as torch.nn.Linear (or zeros). */
  bias(name: string, size: number, fanIn: number, init: 'uniform' | 'zeros' = 'uniform'): tf.Tensor1D {
    const data = init === 'zeros' ? new Float32Array(size) : this.uniform(size, 1 / Math.sqrt(fanIn));
    return this.add(name, data, [size]) as unknown as tf.Tensor1D;
  }

  /** A vector of ones (a norm's scale). */
  ones(name: string, size: number): tf.Tensor1D {
    return this.add(name, new Float32Array(size).fill(1), [size]) as unknown as tf.Tensor1D;
  }

  /** A table [rows, cols] of N(0, std^2) entries (torch.nn.Embedding uses std 1). */
  normal(name: string, rows: number, cols: number, std: number): tf.Tensor2D {
    return this.add(name, Float32Array.from({ length: rows * cols }, () => this.rng.normal() * std), [rows, cols]) as unknown as tf.Tensor2D;
  }

  /** Number of scalars in all parameters. */
  count(): number {
    return this.params.reduce((n, p) => n + p.variable.size, 0);
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
    this.params.length = 0;
  }
}

/**
 * torch.nn.LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta
 * (biased variance), on x [N, d].
 *
 * @example
 * layerNorm(tf.tensor2d([[1, 3]]), tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D); // [[-1, 1]] (up to eps)
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const inv = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    return tf.add(tf.mul(tf.mul(centred, inv), gamma), beta) as tf.Tensor2D;
  });
}

/**
 * How many sequences share one attention block: the largest divisor of
 * `batch` whose block stays within `maxRows` rows (at least 1). Fewer, larger
 * blocks mean fewer tensor ops per step (each op has a fixed cost on wasm);
 * the extra scores between sequences of one block are masked out.
 */
function sequencesPerBlock(batch: number, seqLen: number, maxRows = 256): number {
  let best = 1;
  for (let g = 1; g <= batch; g++) if (batch % g === 0 && g * seqLen <= maxRows) best = g;
  return best;
}

/**
 * softmax(q k^T / sqrt(d) + mask) v within each sequence of a right-padded
 * batch, with a hand-written gradient: q, k [batch * seqLen, d], v
 * [batch * seqLen, dv]; a query reads only the real tokens of its own
 * sequence (padding and other sequences get -1e9); returns
 * [batch * seqLen, dv]. Consecutive sequences are grouped into blocks of up
 * to 256 rows, and each block is plain 2-D matmuls (wasm runs batched or
 * transpose-flag matmuls several times slower):
 *   forward  S = Q K^T / sqrt(d) + mask, P = softmax(S), O = P V;
 *   backward dP = dO V^T, dS = P (dP - rowsum(dP P)), dQ = dS K / sqrt(d),
 *            dK = dS^T Q / sqrt(d), dV = P^T dO.
 *
 * @example
 * const o = maskedAttention(q, k, v, batch.lengths, batch.seqLen); // [B*T, dv]
 */
export function maskedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, lengths: readonly number[], seqLen: number): tf.Tensor2D {
  const batch = lengths.length;
  const rows = batch * seqLen;
  for (const [name, x] of [['q', q], ['k', k], ['v', v]] as const) {
    if (x.shape[0] !== rows) throw new Error(`maskedAttention: ${name} has ${x.shape[0]} rows for ${batch} sequences of length ${seqLen}`);
  }
  if (q.shape[1] !== k.shape[1]) throw new Error(`maskedAttention: q width ${q.shape[1]} differs from k width ${k.shape[1]}`);
  lengths.forEach((len, b) => {
    if (!(len >= 1 && len <= seqLen)) throw new Error(`maskedAttention: length ${len} of sequence ${b} outside [1, ${seqLen}]`);
  });
  const per = sequencesPerBlock(batch, seqLen);
  const blocks = batch / per;
  const n = per * seqLen; // rows of one block
  const masks = Array.from({ length: blocks }, (_, g) => {
    const m = new Float32Array(n * n).fill(-1e9);
    for (let s = 0; s < per; s++) {
      const len = lengths[g * per + s];
      for (let t = 0; t < seqLen; t++) m.fill(0, (s * seqLen + t) * n + s * seqLen, (s * seqLen + t) * n + s * seqLen + len);
    }
    return m;
  });
  const scale = 1 / Math.sqrt(q.shape[1]);
  const f = customGradient((qIn: tf.Tensor, kIn: tf.Tensor, vIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const qBlocks = splitRows(qIn as tf.Tensor2D, blocks);                          // [n, d] each
    const kBlocks = splitRows(kIn as tf.Tensor2D, blocks);
    const vBlocks = splitRows(vIn as tf.Tensor2D, blocks);                          // [n, dv]
    const probs: tf.Tensor2D[] = [];
    const outs: tf.Tensor2D[] = [];
    for (let b = 0; b < blocks; b++) {
      const scores = tf.add(tf.mul(tf.matMul(qBlocks[b], transpose2d(kBlocks[b])), scale), tf.tensor2d(masks[b], [n, n]));
      const p = tf.softmax(scores) as tf.Tensor2D;                                  // [n, n]
      probs.push(p);
      outs.push(tf.matMul(p, vBlocks[b]));
    }
    save([qIn, kIn, vIn, ...probs]);
    return {
      value: (blocks === 1 ? outs[0] : tf.concat(outs, 0)) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv] = saved.slice(0, 3).map((x) => splitRows(x as tf.Tensor2D, blocks));
        const p = saved.slice(3) as tf.Tensor2D[];
        const dyBlocks = splitRows(dy as tf.Tensor2D, blocks);
        const dq: tf.Tensor2D[] = [];
        const dk: tf.Tensor2D[] = [];
        const dv: tf.Tensor2D[] = [];
        for (let b = 0; b < blocks; b++) {
          const pdp = tf.mul(tf.matMul(dyBlocks[b], transpose2d(sv[b])), p[b]);       // P * dP
          const ds = tf.mul(tf.sub(pdp, tf.mul(p[b], tf.sum(pdp, -1, true))), scale) as tf.Tensor2D;
          dq.push(tf.matMul(ds, sk[b]));
          dk.push(tf.matMul(transpose2d(ds), sq[b]));
          dv.push(tf.matMul(transpose2d(p[b]), dyBlocks[b]));
        }
        const join = (xs: tf.Tensor2D[]) => (blocks === 1 ? xs[0] : tf.concat(xs, 0));
        return [join(dq), join(dk), join(dv)];
      },
    };
  });
  return f(q, k, v) as tf.Tensor2D;
}

/**
 * SiLU (x * sigmoid(x)), the activation of Qwen2's MLP.
 *
 * @example
 * silu(tf.tensor2d([[0, 1]])); // [[0, 0.7311]]
 */
export function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)) as tf.Tensor2D);
}
