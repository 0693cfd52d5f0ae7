/**
 * Where parameter-efficient methods plug into the vision-language model,
 * without the model knowing any method:
 *
 * - a linear module's computation can be **replaced** (LoRA: base + B A x)
 *   and **wrapped** (IA3: scale its output, or its input for the MLP's
 *   second layer); wrappers apply around the replacement, in the order added;
 * - the attention of every layer of a part can read **prefix** keys and
 *   values (prefix tuning, P-tuning v2), computed once per forward pass.
 *
 * Module names are the weights' names without `.weight`; the part a module
 * belongs to follows from its name (`vision_tower.*`, `multi_modal_projector.*`,
 * anything else is the language model).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Projection } from '../model/attention';

/** The three parts of the model a method can be applied to. */
export type ModelPart = 'vision' | 'projector' | 'language';

/**
 * All parts, in forward order.
 *
 * @example
 * vlm.setTrainableParts(MODEL_PARTS); // everything trains
 */
export const MODEL_PARTS: readonly ModelPart[] = ['vision', 'projector', 'language'];

/**
 * The part a weight or module name belongs to.
 *
 * @example
 * partOf('vision_tower.layers.0.mlp.fc1');      // 'vision'
 * partOf('model.layers.2.self_attn.q_proj');    // 'language'
 */
export function partOf(name: string): ModelPart {
  if (name.startsWith('vision_tower.')) return 'vision';
  if (name.startsWith('multi_modal_projector.')) return 'projector';
  return 'language';
}

/** A function around a module's computation. */
export type ProjectionWrapper = (inner: Projection) => Projection;

/** Prefix keys and values of every attention layer of a part: per layer [prefixLength, key/value width]. */
export interface PrefixKeyValues {
  keys: tf.Tensor2D[];
  values: tf.Tensor2D[];
}

/** Computes a part's prefixes inside the forward pass (so gradients reach their parameters). */
export type PrefixSource = () => PrefixKeyValues;

/**
 * The registry of replacements, wrappers and prefix sources a model reads in
 * its forward pass. Each method keeps the functions it added and removes
 * them when detached.
 *
 * @example
 * const hooks = new AdapterHooks();
 * hooks.addWrapper('model.layers.0.self_attn.k_proj', (inner) => (x) => tf.mul(inner(x), scale));
 * const k = hooks.projection('model.layers.0.self_attn.k_proj', base);
 */
export class AdapterHooks {
  private readonly replacements = new Map<string, Projection>();
  private readonly wrappers = new Map<string, ProjectionWrapper[]>();
  private readonly prefixes = new Map<ModelPart, PrefixSource>();

  /** Replace a module's computation (null restores the base). */
  setReplacement(moduleName: string, fn: Projection | null): void {
    if (fn && this.replacements.has(moduleName)) throw new Error(`${moduleName}: already replaced by another adapter`);
    if (fn) this.replacements.set(moduleName, fn); else this.replacements.delete(moduleName);
  }

  /** Add a wrapper around a module's computation; returns a function that removes it. */
  addWrapper(moduleName: string, wrapper: ProjectionWrapper): () => void {
    const list = this.wrappers.get(moduleName) ?? [];
    list.push(wrapper);
    this.wrappers.set(moduleName, list);
    return () => {
      const l = this.wrappers.get(moduleName);
      if (!l) return;
      const i = l.indexOf(wrapper);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) this.wrappers.delete(moduleName);
    };
  }

  /** Give a part's attention layers prefix keys/values (null removes them). */
  setPrefix(part: ModelPart, source: PrefixSource | null): void {
    if (source && this.prefixes.has(part)) throw new Error(`the ${part} part already has a prefix adapter`);
    if (source) this.prefixes.set(part, source); else this.prefixes.delete(part);
  }

  /** The prefix source of a part, if any. */
  prefix(part: ModelPart): PrefixSource | undefined {
    return this.prefixes.get(part);
  }

  /** The computation of a module: replacement (or `base`), then the wrappers in the order added. */
  projection(moduleName: string, base: Projection): Projection {
    let fn = this.replacements.get(moduleName) ?? base;
    for (const w of this.wrappers.get(moduleName) ?? []) fn = w(fn);
    return fn;
  }

  /** True when nothing is registered. */
  get empty(): boolean {
    return this.replacements.size === 0 && this.wrappers.size === 0 && this.prefixes.size === 0;
  }
}
