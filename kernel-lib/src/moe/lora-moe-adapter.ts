/**
 * `loraMoE(model, options)`: wrap a model's linear modules with a mixture of
 * LoRA experts behind a top-k router (SparseDoctor's LoRA-MoE), freeze the
 * base weights, and train experts and routers with three losses:
 *
 *   loss = language-model loss
 *        + aux_loss_coef * mean over modules of the load-balancing loss
 *        + contrastive_loss_coef * mean over modules of the contrastive loss
 *
 * The training view's `loss` is what `trainModel` differentiates (its
 * gradient engine calls `model.loss`), so the auxiliary losses train the
 * routers and experts like the language-model loss does. Evaluation
 * (`evaluateNll`, generation) uses the model itself: the language-model loss
 * only.
 */
import * as tf from '@tensorflow/tfjs';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { matmul2d } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { FrozenBase, adapterParameterCounts, detachLayers, freezeBaseWeights, tensorCopies } from '../peft/adapter-plumbing';
import { attachedAdapter } from '../peft/lora-adapter';
import { kaimingUniform } from '../peft/lora-init';
import { ParameterCounts, formatTrainableParameters } from '../peft/parameter-report';
import { linearModuleNames, selectTargetModules } from '../peft/target-modules';
import { adapterTrainingView } from '../peft/training-view';
import { seededRandom, type SeededRandom } from '../util/random';
import { ExpertMemoryQueue, supervisedContrastiveLoss, unitRows } from './contrastive';
import { LoraMoeConfig, LoraMoeOptions, resolveLoraMoeConfig } from './moe-config';
import { LoraMoeLayer, type RoutedForward } from './moe-layer';
import { loadBalancingLoss, loadShares, routingEntropy } from './routing';
import type { ExpertRoutingStats, ModuleRouting } from './routing-stats';

const attached = new WeakMap<Qwen2ForCausalLM, LoraMoeAdapter>();
let adapterCounter = 0;

/** The training view's extras: routing of the latest step, and a hook per step. */
export interface LoraMoeTrainingModel extends Qwen2ForCausalLM {
  /** The adapter's options (the live dashboard shows them). */
  readonly loraMoeConfig: LoraMoeConfig;
  routingStats(): ExpertRoutingStats | null;
  onRoutingStats(listener: (stats: ExpertRoutingStats) => void): () => void;
}

/**
 * Attach a LoRA mixture of experts to `model` (defaults: 4 experts of rank 4
 * on every feed-forward projection, top-2 routing). The model's forward now includes the
 * experts; its base weights are frozen. Train with
 * `trainModel(moe.trainingModel(), optimizer, examples, options)`.
 *
 * @example
 * const moe = loraMoE(model, { num_experts: 4, top_k: 2, r: 4, lora_alpha: 8, contrastive_loss_coef: 0.1, queue_size: 256 });
 * console.log(moe.trainableParametersReport());
 * await trainModel(moe.trainingModel(), adamW(), examples, { steps: 50, batchSize: 4, seqLen: 128, lr: 1e-3 });
 */
export function loraMoE(model: Qwen2ForCausalLM, options: LoraMoeOptions = {}): LoraMoeAdapter {
  return new LoraMoeAdapter(model, resolveLoraMoeConfig(options));
}

/**
 * The LoRA-MoE attached to a model, if any.
 *
 * @example
 * attachedLoraMoE(model)?.unload();
 */
export function attachedLoraMoE(model: Qwen2ForCausalLM): LoraMoeAdapter | undefined {
  return attached.get(model);
}

/** A LoRA mixture of experts living on a model: one `LoraMoeLayer` (and one expert memory queue) per wrapped module. */
export class LoraMoeAdapter {
  readonly model: Qwen2ForCausalLM;
  readonly config: LoraMoeConfig;
  /** Wrapped modules in forward order. */
  readonly layers: LoraMoeLayer[] = [];
  /** The expert memory queue of each wrapped module (capacity `queue_size`). */
  readonly queues = new Map<string, ExpertMemoryQueue>();
  private readonly frozenBase: FrozenBase;
  private readonly sampler: SeededRandom;
  private readonly listeners = new Set<(stats: ExpertRoutingStats) => void>();
  private recorder: ((f: RoutedForward) => void) | null = null;
  private latest: ExpertRoutingStats | null = null;
  private unloaded = false;

  constructor(model: Qwen2ForCausalLM, config: LoraMoeConfig) {
    if (attached.has(model)) throw new Error('loraMoE: this model already has a LoRA-MoE; call unload() first');
    if (attachedAdapter(model)) throw new Error('loraMoE: this model has a LoRA adapter; unload it (or mergeAndUnload()) first');
    this.model = model;
    this.config = config;
    const modules = selectTargetModules(linearModuleNames(model.config), config.target_modules, config.exclude_modules, 'loraMoE');
    const prefix = `lora_moe_${++adapterCounter}`;
    const rng = seededRandom(config.seed);
    const { num_experts: E, r } = config;
    try {
      for (const m of modules) {
        const weight = model.weights.get(`${m}.weight`);
        if (!weight) throw new Error(`loraMoE: the model has no weight "${m}.weight"`);
        const [out, inp] = weight.shape as [number, number];
        const A = tf.tensor2d(kaimingUniform(E * r, inp, rng), [E * r, inp]);   // each expert's A as PEFT initialises LoRA's
        const B = tf.zeros([out, E * r]) as tf.Tensor2D;                          // zero B: the experts start as a no-op
        const router = tf.tensor2d(kaimingUniform(E, inp, rng), [E, inp]);       // nn.Linear's default init
        try {
          const layer = new LoraMoeLayer({ moduleName: m, weight, bias: model.weights.get(`${m}.bias`) }, {
            numExperts: E, topK: config.top_k, r, scaling: config.lora_alpha / r, A, B, router, variablePrefix: prefix,
          });
          this.layers.push(layer);
          this.queues.set(m, new ExpertMemoryQueue(config.queue_size, layer.codeWidth));
          model.setProjection(m, layer.projection(() => this.recorder));
        } finally {
          A.dispose(); B.dispose(); router.dispose();
        }
      }
    } catch (e) {
      detachLayers(model, this.layers);
      throw e;
    }
    this.sampler = seededRandom(config.seed + 104_729);
    this.frozenBase = freezeBaseWeights(model);
    attached.set(model, this);
  }

  /** Experts and routers of every module (stacked A, stacked B, router). */
  trainableParams(): TrainableParam[] {
    return this.layers.flatMap((l) => l.params());
  }

  /** Trainable parameters (experts, routers, any base weight left unfrozen) and all parameters. */
  parameterCounts(): ParameterCounts {
    return adapterParameterCounts(this.model, this.layers);
  }

  /** PEFT's `print_trainable_parameters` line. */
  trainableParametersReport(): string {
    return formatTrainableParameters(this.parameterCounts());
  }

  /**
   * The model as the trainer should see it: same forward; `trainableParams()`
   * = experts and routers; `loss` = language-model loss plus the auxiliary
   * losses; `routingStats()` = the routing of the latest training step.
   * Checkpoints written through it hold the experts and routers; the expert
   * memory queues and the contrastive token sampler are not checkpointed, so
   * a resumed run refills its queues and is not bit-identical to an
   * uninterrupted one (with `contrastive_loss_coef: 0` it is).
   *
   * @example
   * await trainModel(moe.trainingModel(), adamW(), examples, { steps: 40, batchSize: 4, seqLen: 64, lr: 2e-3 });
   */
  trainingModel(): LoraMoeTrainingModel {
    const view = adapterTrainingView(this.model, this) as LoraMoeTrainingModel;
    Object.defineProperty(view, 'loss', {
      value: (ids: Int32Array, labels: Int32Array, batch: number, seqLen: number): tf.Scalar => this.trainingLoss(ids, labels, batch, seqLen),
    });
    Object.defineProperty(view, 'routingStats', { value: () => this.routingStats() });
    Object.defineProperty(view, 'loraMoeConfig', { value: this.config });
    Object.defineProperty(view, 'onRoutingStats', { value: (l: (s: ExpertRoutingStats) => void) => this.onRoutingStats(l) });
    return view;
  }

  /**
   * The training objective of one batch (see the module comment). Updates
   * the expert memory queues with this batch's sampled representations
   * (after the loss is formed, so a batch is never its own negative) and
   * the routing statistics.
   *
   * @example
   * const loss = moe.trainingLoss(batch.inputIds, batch.labels, batch.batch, batch.seqLen);
   */
  trainingLoss(ids: Int32Array, labels: Int32Array, batch: number, seqLen: number): tf.Scalar {
    const c = this.config;
    const pushes: { queue: ExpertMemoryQueue; rows: Float32Array; labels: Int32Array }[] = [];
    let stats: ExpertRoutingStats | null = null;
    const total = tf.tidy(() => {
      const records: RoutedForward[] = [];
      this.recorder = (f) => records.push(f);
      let lm: tf.Scalar;
      try {
        lm = this.model.loss(ids, labels, batch, seqLen);
      } finally {
        this.recorder = null;
      }
      const balance: tf.Scalar[] = [];
      const contrastive: tf.Scalar[] = [];
      const modules: ModuleRouting[] = [];
      for (const rec of records) {
        const shares = loadShares(rec.choice.counts, rec.tokens, rec.layer.topK);
        modules.push({ name: rec.layer.moduleName, load: shares, entropy: routingEntropy(rec.probs.dataSync(), rec.tokens, rec.layer.numExperts) });
        balance.push(loadBalancingLoss(rec.probs, shares));
        if (c.contrastive_loss_coef > 0) {
          const sampled = this.contrastiveTerm(rec);
          if (sampled.loss) contrastive.push(sampled.loss);
          pushes.push(sampled.push);
        }
      }
      const mean = (xs: tf.Scalar[]): tf.Scalar | null => (xs.length ? tf.div(tf.addN(xs), xs.length) as tf.Scalar : null);
      const balanceMean = mean(balance);
      const contrastiveMean = mean(contrastive);
      let objective: tf.Tensor = lm;
      if (balanceMean && c.aux_loss_coef > 0) objective = tf.add(objective, tf.mul(balanceMean, c.aux_loss_coef));
      if (contrastiveMean) objective = tf.add(objective, tf.mul(contrastiveMean, c.contrastive_loss_coef));
      stats = {
        numExperts: c.num_experts, topK: c.top_k, tokens: batch * seqLen, modules,
        lmLoss: lm.dataSync()[0],
        loadBalanceLoss: balanceMean ? balanceMean.dataSync()[0] : null,
        contrastiveLoss: contrastiveMean ? contrastiveMean.dataSync()[0] : null,
      };
      return objective as tf.Scalar;
    });
    for (const p of pushes) p.queue.push(p.rows, p.labels);
    this.latest = stats;
    for (const l of this.listeners) l(stats!);
    return total;
  }

  /** The contrastive loss of one module on `contrastive_tokens` sampled tokens, and what to push into its queue afterwards. */
  private contrastiveTerm(rec: RoutedForward): { loss: tf.Scalar | null; push: { queue: ExpertMemoryQueue; rows: Float32Array; labels: Int32Array } } {
    const n = Math.min(this.config.contrastive_tokens, rec.tokens);
    const order = Array.from({ length: rec.tokens }, (_, i) => i);
    for (let i = 0; i < n; i++) { // partial Fisher-Yates: n distinct tokens
      const j = i + this.sampler.int(rec.tokens - i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const picked = order.slice(0, n);
    const select = new Float32Array(n * rec.tokens);
    picked.forEach((t, i) => { select[i * rec.tokens + t] = 1; });
    const z = unitRows(matmul2d(tf.tensor2d(select, [n, rec.tokens]), rec.coded)); // [n, E*r] unit rows; a one-hot matmul instead of a gather
    const labels = Int32Array.from(picked, (t) => rec.choice.top1[t]);
    const queue = this.queues.get(rec.layer.moduleName)!;
    const loss = supervisedContrastiveLoss(z, labels, this.config.temperature, queue.capacity > 0 ? queue.contents() : null, true);
    return { loss, push: { queue, rows: (z.dataSync() as Float32Array).slice(), labels } };
  }

  /**
   * Routing of a forward pass over `ids` without training (no losses, no
   * queue updates): expert load and entropy per module.
   *
   * @example
   * const stats = moe.measureRouting(batch.inputIds, batch.batch, batch.seqLen);
   */
  measureRouting(ids: Int32Array, batch: number, seqLen: number): ExpertRoutingStats {
    const modules: ModuleRouting[] = [];
    tf.tidy(() => {
      this.recorder = (rec) => modules.push({
        name: rec.layer.moduleName,
        load: loadShares(rec.choice.counts, rec.tokens, rec.layer.topK),
        entropy: routingEntropy(rec.probs.dataSync(), rec.tokens, rec.layer.numExperts),
      });
      try {
        this.model.hiddenStates(ids, batch, seqLen);
      } finally {
        this.recorder = null;
      }
    });
    return { numExperts: this.config.num_experts, topK: this.config.top_k, tokens: batch * seqLen, modules, lmLoss: null, loadBalanceLoss: null, contrastiveLoss: null };
  }

  /** Routing of the latest training step, or null before the first. */
  routingStats(): ExpertRoutingStats | null {
    return this.latest;
  }

  /** Calls `listener` after every training step's loss; returns a function that removes it. */
  onRoutingStats(listener: (stats: ExpertRoutingStats) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Empties every expert memory queue (e.g. before an ablation run on the same adapter). */
  clearQueues(): void {
    for (const q of this.queues.values()) q.clear();
  }

  /** Copies of the experts and routers under their stacked names. */
  tensors(): { name: string; shape: number[]; data: Float32Array }[] {
    return tensorCopies(this.trainableParams());
  }

  /** Remove the experts: plain linear modules again, base weights unfrozen, the experts' variables freed. */
  unload(): void {
    if (this.unloaded) return;
    detachLayers(this.model, this.layers);
    this.frozenBase.restore();
    this.listeners.clear();
    attached.delete(this.model);
    this.unloaded = true;
  }

  /** Same as `unload()`. */
  dispose(): void { this.unload(); }
}
