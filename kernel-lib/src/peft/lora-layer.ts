/**
 * One LoRA-wrapped linear module, as PEFT's `lora.Linear`:
 *
 *   y = x W^T + b + scaling * (dropout(x) A^T) B^T                (LoRA)
 *   y = x W^T + b + (g - 1) * (x_d W^T) + g * scaling * (x_d A^T) B^T,
 *       g = m / ||W + scaling B A||_row (detached), x_d = dropout(x)  (DoRA)
 *
 * with A [r, in], B [out, r], magnitude m [out]. Merging folds the adapter into
 * W (and, for DoRA, the magnitude), after which the module is a plain linear.
 */
import * as tf from '@tensorflow/tfjs';
import type { Projection } from '../model/attention';
import type { TrainableParam } from '../optim/optimizer';
import { linear, matmul2d } from '../model/primitives';
import type { SeededRandom } from '../util/random';
import { doraMergedWeight, doraUnmergedWeight, doraWeightNorm } from './dora';
import { seededDropout } from './dropout';

/**
 * Prefix of every adapter tensor in PEFT's files (then the module name).
 *
 * @example
 * `${PEFT_PREFIX}model.layers.0.self_attn.q_proj.lora_A.weight`;
 */
export const PEFT_PREFIX = 'base_model.model.';

/** PEFT's saved tensor names of one module's adapter. */
export interface LoraTensorNames {
  A: string;
  B: string;
  magnitude: string;
}

/**
 * Saved-file names of a module's adapter tensors, as PEFT writes them
 * (adapter name removed; the DoRA magnitude without `.weight`).
 *
 * @example
 * loraTensorNames('model.layers.0.self_attn.q_proj').A;
 * // 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'
 */
export function loraTensorNames(moduleName: string): LoraTensorNames {
  const p = `${PEFT_PREFIX}${moduleName}`;
  return { A: `${p}.lora_A.weight`, B: `${p}.lora_B.weight`, magnitude: `${p}.lora_magnitude_vector` };
}

/** What a `LoraLayer` needs from its base module (its variables, shared with the model). */
export interface LoraBase {
  moduleName: string;
  weight: tf.Variable;
  bias?: tf.Variable;
}

/** Hyper-parameters and initial factors of one `LoraLayer`. */
export interface LoraLayerOptions {
  r: number;
  alpha: number;
  scaling: number;
  dropout: number;
  useDora: boolean;
  /** Initial factors (copied into new variables). */
  A: tf.Tensor2D;
  B: tf.Tensor2D;
  /** Dropout masks. */
  rng: SeededRandom;
  /** Prefix of the tf variable names (unique per adapter). */
  variablePrefix: string;
}

/**
 * The adapter of one linear module: its variables, forward, merge/unmerge.
 *
 * @example
 * const layer = new LoraLayer(base, { r: 8, alpha: 16, scaling: 2, dropout: 0, useDora: false, A, B, rng, variablePrefix: 'lora_1' });
 * model.setProjection(base.moduleName, layer.projection(() => true));
 */
export class LoraLayer {
  readonly moduleName: string;
  readonly r: number;
  readonly alpha: number;
  readonly scaling: number;
  readonly dropout: number;
  readonly names: LoraTensorNames;
  readonly A: tf.Variable;
  readonly B: tf.Variable;
  /** DoRA's magnitude vector [out], or null for plain LoRA. */
  readonly magnitude: tf.Variable | null;
  private readonly base: LoraBase;
  private readonly rng: SeededRandom;
  private mergedNorm: tf.Tensor1D | null = null;
  private isMerged = false;

  constructor(base: LoraBase, o: LoraLayerOptions) {
    const [out, inp] = base.weight.shape as [number, number];
    if (o.A.shape[0] !== o.r || o.A.shape[1] !== inp) throw new Error(`${base.moduleName}: lora_A must be [${o.r}, ${inp}], got [${o.A.shape}]`);
    if (o.B.shape[0] !== out || o.B.shape[1] !== o.r) throw new Error(`${base.moduleName}: lora_B must be [${out}, ${o.r}], got [${o.B.shape}]`);
    this.base = base;
    this.moduleName = base.moduleName;
    this.r = o.r;
    this.alpha = o.alpha;
    this.scaling = o.scaling;
    this.dropout = o.dropout;
    this.rng = o.rng;
    this.names = loraTensorNames(base.moduleName);
    this.A = tf.variable(o.A, true, `${o.variablePrefix}/${this.names.A}`);
    this.B = tf.variable(o.B, true, `${o.variablePrefix}/${this.names.B}`);
    if (o.useDora) {
      const norm = doraWeightNorm(base.weight as unknown as tf.Tensor2D, o.A, o.B, o.scaling);
      this.magnitude = tf.variable(norm, true, `${o.variablePrefix}/${this.names.magnitude}`);
      norm.dispose();
    } else {
      this.magnitude = null;
    }
  }

  get merged(): boolean { return this.isMerged; }

  /** The adapter's variables under PEFT's saved names (A, B, then the magnitude). */
  params(): TrainableParam[] {
    const out = [{ name: this.names.A, variable: this.A }, { name: this.names.B, variable: this.B }];
    if (this.magnitude) out.push({ name: this.names.magnitude, variable: this.magnitude });
    return out;
  }

  /** Number of adapter parameters (r (in + out), plus out for DoRA). */
  parameterCount(): number {
    return this.A.size + this.B.size + (this.magnitude?.size ?? 0);
  }

  /**
   * The module's computation with the adapter; `training()` says whether
   * dropout is on (read at every call).
   */
  projection(training: () => boolean): Projection {
    return (x) => this.forward(x, training());
  }

  /** y for x [tokens, in] -> [tokens, out]. */
  forward(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const w = this.base.weight as unknown as tf.Tensor2D;
    const bias = this.base.bias as unknown as tf.Tensor1D | undefined;
    const base = linear(x, w, bias);
    if (this.isMerged) return base;
    const xd = training && this.dropout > 0 ? seededDropout(x, this.dropout, this.rng) : x;
    const A = this.A as unknown as tf.Tensor2D;
    const B = this.B as unknown as tf.Tensor2D;
    const lora = linear(linear(xd, A), B);                                   // [tokens, out]
    if (!this.magnitude) return tf.add(base, tf.mul(lora, this.scaling)) as tf.Tensor2D;
    const g = tf.div(this.magnitude, doraWeightNorm(w, A, B, this.scaling)); // [out]
    // W x_d without bias: reuse the base output when dropout did nothing
    const plain = xd === x ? (bias ? tf.sub(base, bias) : base) : linear(xd, w);
    return tf.add(tf.add(base, tf.mul(tf.sub(g, 1), plain)), tf.mul(g, tf.mul(lora, this.scaling))) as tf.Tensor2D;
  }

  /** scaling * B A, [out, in] (PEFT's `get_delta_weight`). */
  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(matmul2d(this.B as unknown as tf.Tensor2D, this.A as unknown as tf.Tensor2D), this.scaling) as tf.Tensor2D);
  }

  /** Fold the adapter into the base weight: W += scaling B A (DoRA: W = m / ||W + dW|| * (W + dW)). */
  merge(): void {
    if (this.isMerged) return;
    const w = this.base.weight as unknown as tf.Tensor2D;
    if (this.magnitude) {
      const { merged, norm } = doraMergedWeight(w, this.A as unknown as tf.Tensor2D, this.B as unknown as tf.Tensor2D,
        this.magnitude as unknown as tf.Tensor1D, this.scaling);
      this.base.weight.assign(merged);
      merged.dispose();
      this.mergedNorm = tf.keep(norm);
    } else {
      const next = tf.tidy(() => tf.add(w, this.deltaWeight()));
      this.base.weight.assign(next);
      next.dispose();
    }
    this.isMerged = true;
  }

  /** Undo `merge` (W -= scaling B A; DoRA divides by the factor cached at merge time first). */
  unmerge(): void {
    if (!this.isMerged) return;
    const w = this.base.weight as unknown as tf.Tensor2D;
    const next = this.magnitude
      ? doraUnmergedWeight(w, this.A as unknown as tf.Tensor2D, this.B as unknown as tf.Tensor2D,
        this.magnitude as unknown as tf.Tensor1D, this.mergedNorm!, this.scaling)
      : tf.tidy(() => tf.sub(w, this.deltaWeight()));
    this.base.weight.assign(next);
    next.dispose();
    this.mergedNorm?.dispose();
    this.mergedNorm = null;
    this.isMerged = false;
  }

  dispose(): void {
    this.A.dispose();
    this.B.dispose();
    this.magnitude?.dispose();
    this.mergedNorm?.dispose();
    this.mergedNorm = null;
  }
}
