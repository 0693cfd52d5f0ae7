/**
 * One linear module wrapped by a mixture of LoRA experts:
 *
 *   y = x W^T + b + scaling * sum_e g_e(x) (x A_e^T) B_e^T,   scaling = lora_alpha / r
 *
 * with E experts (A_e [r, in], B_e [out, r], as `LoraLayer`'s factors) and a
 * router W_r [E, in]: logits = x W_r^T, g = softmax(logits) kept on each
 * token's top-k experts and renormalised (`topKGates`).
 *
 * Computed with three 2-D matmuls however many experts: the experts' A are
 * stacked into one [E*r, in] matrix and their B side by side into one
 * [out, E*r] matrix, so the codes of all experts are H = x A^T [N, E*r];
 * each expert's r columns are scaled by its gate (g times a 0/1 block
 * matrix), and the gated codes go through B. Every expert is evaluated for
 * every token (on a CPU that is cheaper than regrouping tokens); the gates of
 * the unchosen experts are exactly 0, so their outputs and gradients are too.
 * The gated codes are also the token's expert representation for the
 * contrastive loss.
 */
import * as tf from '@tensorflow/tfjs';
import type { Projection } from '../model/attention';
import { linear, matmul2d } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { PEFT_PREFIX } from '../peft/lora-layer';
import { expertBlockMatrix, topKGates, topKMask, type TopKChoice } from './routing';

/** Names of one module's tensors: stacked (variables, checkpoints) and per expert (saved files). */
export interface LoraMoeTensorNames {
  /** Stacked A of all experts, [E*r, in]. */
  A: string;
  /** Stacked B of all experts, [out, E*r]. */
  B: string;
  /** The router, [E, in]. */
  router: string;
  /** Expert e's A [r, in] in a saved file. */
  expertA(e: number): string;
  /** Expert e's B [out, r] in a saved file. */
  expertB(e: number): string;
}

/**
 * Tensor names of a module's experts and router (PEFT's `base_model.model.` prefix).
 *
 * @example
 * loraMoeTensorNames('model.layers.0.mlp.up_proj').expertA(1);
 * // 'base_model.model.model.layers.0.mlp.up_proj.experts.1.lora_A.weight'
 */
export function loraMoeTensorNames(moduleName: string): LoraMoeTensorNames {
  const p = `${PEFT_PREFIX}${moduleName}`;
  return {
    A: `${p}.experts.lora_A.weight`,
    B: `${p}.experts.lora_B.weight`,
    router: `${p}.router.weight`,
    expertA: (e) => `${p}.experts.${e}.lora_A.weight`,
    expertB: (e) => `${p}.experts.${e}.lora_B.weight`,
  };
}

/** What one forward pass of a routed module hands to the routing recorder (tensors live in the caller's scope). */
export interface RoutedForward {
  layer: LoraMoeLayer;
  tokens: number;
  /** Router probabilities [tokens, E] (differentiable). */
  probs: tf.Tensor2D;
  /** Gated expert codes [tokens, E*r]: the expert representations (differentiable). */
  coded: tf.Tensor2D;
  choice: TopKChoice;
}

/** Hyper-parameters and initial values of one `LoraMoeLayer`. */
export interface LoraMoeLayerOptions {
  numExperts: number;
  topK: number;
  r: number;
  scaling: number;
  /** Initial stacked A [E*r, in], stacked B [out, E*r] and router [E, in] (copied into new variables). */
  A: tf.Tensor2D;
  B: tf.Tensor2D;
  router: tf.Tensor2D;
  /** Prefix of the tf variable names (unique per adapter). */
  variablePrefix: string;
}

/**
 * The experts and router of one linear module.
 *
 * @example
 * const layer = new LoraMoeLayer({ moduleName, weight, bias }, { numExperts: 4, topK: 2, r: 4, scaling: 2, A, B, router, variablePrefix: 'moe_1' });
 * model.setProjection(moduleName, layer.projection(() => null));
 */
export class LoraMoeLayer {
  readonly moduleName: string;
  readonly numExperts: number;
  readonly topK: number;
  readonly r: number;
  readonly scaling: number;
  readonly names: LoraMoeTensorNames;
  readonly A: tf.Variable;
  readonly B: tf.Variable;
  readonly router: tf.Variable;
  private readonly weight: tf.Variable;
  private readonly bias?: tf.Variable;
  private readonly block: tf.Tensor2D;

  constructor(base: { moduleName: string; weight: tf.Variable; bias?: tf.Variable }, o: LoraMoeLayerOptions) {
    const [out, inp] = base.weight.shape as [number, number];
    const width = o.numExperts * o.r;
    const check = (what: string, t: tf.Tensor2D, shape: [number, number]): void => {
      if (t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) throw new Error(`${base.moduleName}: ${what} must be [${shape}], got [${t.shape}]`);
    };
    check('stacked lora_A', o.A, [width, inp]);
    check('stacked lora_B', o.B, [out, width]);
    check('router', o.router, [o.numExperts, inp]);
    if (!(o.topK >= 1 && o.topK <= o.numExperts)) throw new Error(`${base.moduleName}: top_k ${o.topK} outside [1, ${o.numExperts}]`);
    this.moduleName = base.moduleName;
    this.weight = base.weight;
    this.bias = base.bias;
    this.numExperts = o.numExperts;
    this.topK = o.topK;
    this.r = o.r;
    this.scaling = o.scaling;
    this.names = loraMoeTensorNames(base.moduleName);
    this.A = tf.variable(o.A, true, `${o.variablePrefix}/${this.names.A}`);
    this.B = tf.variable(o.B, true, `${o.variablePrefix}/${this.names.B}`);
    this.router = tf.variable(o.router, true, `${o.variablePrefix}/${this.names.router}`);
    this.block = expertBlockMatrix(o.numExperts, o.r);
  }

  /** Width of the stacked expert codes (E * r). */
  get codeWidth(): number { return this.numExperts * this.r; }

  /** The layer's variables under their stacked names (A, B, router). */
  params(): TrainableParam[] {
    return [
      { name: this.names.A, variable: this.A },
      { name: this.names.B, variable: this.B },
      { name: this.names.router, variable: this.router },
    ];
  }

  /** Experts plus router parameters: E r (in + out) + E in. */
  parameterCount(): number {
    return this.A.size + this.B.size + this.router.size;
  }

  /**
   * The module's computation with the experts; `recorder()` returns where to
   * report the routing of this call, or null (read at every call).
   */
  projection(recorder: () => ((f: RoutedForward) => void) | null): Projection {
    return (x) => this.forward(x, recorder());
  }

  /** y for x [tokens, in] -> [tokens, out]. */
  forward(x: tf.Tensor2D, record: ((f: RoutedForward) => void) | null = null): tf.Tensor2D {
    const tokens = x.shape[0];
    const base = linear(x, this.weight as unknown as tf.Tensor2D, this.bias as unknown as tf.Tensor1D | undefined);
    const codes = linear(x, this.A as unknown as tf.Tensor2D);                    // [N, E*r]
    const logits = linear(x, this.router as unknown as tf.Tensor2D);              // [N, E]
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const choice = topKMask(logits.dataSync() as Float32Array, tokens, this.numExperts, this.topK);
    const gates = topKGates(probs, tf.tensor2d(choice.mask, [tokens, this.numExperts]));
    const coded = tf.mul(codes, matmul2d(gates, this.block)) as tf.Tensor2D;      // each expert's r columns times its gate
    record?.({ layer: this, tokens, probs, coded, choice });
    const delta = linear(coded, this.B as unknown as tf.Tensor2D);                // [N, out]
    return tf.add(base, tf.mul(delta, this.scaling)) as tf.Tensor2D;
  }

  /**
   * Routing weights [tokens, E] of x (top-k renormalised softmax; zero for
   * the experts a token is not routed to).
   *
   * @example
   * layer.gates(x).sum(1); // ones
   */
  gates(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const logits = linear(x, this.router as unknown as tf.Tensor2D);
      const choice = topKMask(logits.dataSync() as Float32Array, x.shape[0], this.numExperts, this.topK);
      return topKGates(tf.softmax(logits) as tf.Tensor2D, tf.tensor2d(choice.mask, [x.shape[0], this.numExperts]));
    });
  }

  dispose(): void {
    this.A.dispose();
    this.B.dispose();
    this.router.dispose();
    this.block.dispose();
  }
}
