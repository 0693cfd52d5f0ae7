import * as tf from '@tensorflow/tfjs';
import { hashString } from '../linalg/random-matrix';
import { AdamMoments, createMoments, loadMoments } from './adam-moments';
import { AdamW } from './adamw';
import { AdamW8bit } from './adamw-8bit';
import { GaLoreAdamWOptions, ResolvedGaLoreOptions, resolveGaLoreOptions } from './galore-options';
import { GaLoreProjector, ProjectionSide } from './galore-projector';
import { Optimizer, OptimizerSnapshot, StateTensor, TrainableParam, decaysByDefault } from './optimizer';
import { matchesGaloreTarget } from './param-groups';
import { SubspaceStats } from './subspace-stats';
import { hostView, sliceRows } from '../model/primitives';
import { assignInPlace, forgetPackedCopies, writableInPlace } from '../backend/wasm-buffers';
import { rowsPerBlock } from '../linalg/large-matrix';

interface ParamState {
  /** Steps taken; schedules refreshes (galore-torch's state["step"]). */
  step: number;
  /** Steps since the moments (re)started; drives bias correction (differs from `step` only after a 'reset'). */
  momentStep: number;
  /** Null for a parameter GaLore does not project but steps with the galore-torch rule. */
  projector: GaLoreProjector | null;
  moments: AdamMoments | null;
}

/** Per projected weight: what the memory ledger and notebooks need to know. */
export interface GaLoreParamInfo {
  shape: [number, number];
  side: ProjectionSide;
  rank: number;
  lowRankShape: [number, number];
}

const MAX_QUEUED_EVENTS = 10_000;

/**
 * GaLore-AdamW (Zhao et al. 2024): full-parameter training whose Adam states
 * live in a rank-r subspace of each projected weight's gradient.
 *
 * For a projected weight W (m x n) with gradient G, at per-parameter step t
 * (0-based; galore-torch's `state["step"]` before its increment):
 *
 *   if t % update_proj_gap == 0: P <- top-r singular vectors of G   (side by proj_type)
 *   R = project(G)                       U^T G, G V or U^T G V
 *   m <- b1 m + (1-b1) R ;  v <- b2 v + (1-b2) R^2                 (low-rank moments)
 *   N = m / (sqrt(v) + eps)              eps on the raw sqrt(v)
 *   W <- W - lr * sqrt(1-b2^t') / (1-b1^t') * scale * projectBack(N)      t' = t + 1
 *   W <- W - lr * weight_decay * W       decoupled decay *after* the update
 *
 * exactly as galore-torch's `AdamW.step` (transformers' old AdamW with a
 * projection). Where this differs from PyTorch's AdamW, which steps every
 * other parameter here by default (`untargetedRule: 'pytorch'`): (1) eps is
 * added to sqrt(v) before bias correction, so early on it weighs
 * 1/sqrt(1-b2^t) times more (31.6x at t = 1 with b2 = 0.999); (2) weight
 * decay multiplies the already-updated weight instead of the old one;
 * (3) the update is scaled by `scale`. LLaMA-Factory applies galore-torch's
 * rule to every parameter: choose `untargetedRule: 'galore-torch'` for that.
 *
 * With `stateBits: 8` the low-rank moments are stored block-wise in 8 bits
 * (see `adamW8bit`) and the rule above is kept, so 8 and 32 bits differ only
 * by quantisation. galore-torch's `GaLoreAdamW8bit` instead runs
 * bitsandbytes' Adam kernel on the projected gradient, whose eps is added
 * after bias correction (PyTorch's placement); weight decay is applied after
 * the update in both.
 *
 * Subspace refreshes are reported as plain `SubspaceStats` (rank, top singular
 * values, captured gradient energy, overlap with the previous subspace):
 * `subspaceStats()` gives the latest per weight, `onSubspaceRefresh(cb)`
 * calls back, `drainSubspaceEvents()` hands over the queue. `snapshot()`
 * holds moments, bases and counters, so a restored run continues
 * bit-identically (galore-torch cannot resume: its issue 35).
 *
 * @example
 * const opt = galoreAdamW({ rank: 16, update_proj_gap: 200, scale: 0.25, proj_type: 'std' });
 * opt.onSubspaceRefresh((s) => console.log(s.name, s.energyCaptured));
 * opt.step(model.trainableParams(), grads, 1e-4);     // or opt.stepParam(p, g, lr) layer by layer
 */
export function galoreAdamW(options: GaLoreAdamWOptions = {}): GaLoreAdamW {
  return new GaLoreAdamW(options);
}

/** The optimizer `galoreAdamW` makes (see there for the update rule). */
export class GaLoreAdamW implements Optimizer {
  readonly kind = 'galore_adamw';
  readonly options: ResolvedGaLoreOptions;
  /** Every warning given so far (also sent to `onWarning`). */
  readonly warnings: string[] = [];
  private readonly decayFilter: (name: string) => boolean;
  private readonly others: Optimizer;
  private state = new Map<string, ParamState>();
  private latest = new Map<string, SubspaceStats>();
  private queue: SubspaceStats[] = [];
  private listeners = new Set<(stats: SubspaceStats) => void>();
  private warned = new Set<string>();

  constructor(options: GaLoreAdamWOptions = {}) {
    this.options = resolveGaLoreOptions(options);
    const o = this.options;
    this.decayFilter = o.decayFilter ?? decaysByDefault;
    const common = { betas: o.betas, eps: o.eps, weightDecay: o.weight_decay, decayFilter: this.decayFilter };
    this.others = o.stateBits === 8
      ? new AdamW8bit({ ...common, blockSize: o.blockSize, min8bitSize: o.min8bitSize })
      : new AdamW(common);
  }

  /** Does GaLore project this parameter? (2-D and matching `target`.) */
  isGaloreParam(param: TrainableParam): boolean {
    const matches = matchesGaloreTarget(param.name, this.options.target);
    if (matches && param.variable.rank !== 2) {
      this.warnOnce(`shape:${param.name}`, `GaLore: "${param.name}" matches target but has shape `
        + `[${param.variable.shape.join(', ')}]; only 2-D weights are projected, it gets plain AdamW`);
    }
    return matches && param.variable.rank === 2;
  }

  step(params: TrainableParam[], grads: Record<string, tf.Tensor>, lr: number): void {
    for (const p of params) {
      const g = grads[p.name];
      if (g) this.stepParam(p, g, lr);
    }
  }

  /**
   * Allocate every state before the first step (see `Optimizer.prepare`):
   * each projected weight's basis buffers (filled by its first refresh and
   * rewritten in place at later ones) and low-rank moments, and the states
   * of the others.
   */
  prepare(params: TrainableParam[]): void {
    const others: TrainableParam[] = [];
    for (const p of params) {
      const projected = this.isGaloreParam(p);
      if (!projected && this.options.untargetedRule === 'pytorch') { others.push(p); continue; }
      const s = this.stateFor(p, projected);
      s.projector?.reserve();
      if (!s.moments) s.moments = this.createMomentsFor(s.projector ? s.projector.lowRankShape() : p.variable.shape);
    }
    this.others.prepare?.(others);
  }

  private createMomentsFor(shape: readonly number[]): AdamMoments {
    const o = this.options;
    const size = shape.reduce((a, b) => a * b, 1);
    return createMoments(shape.slice(), o.stateBits === 8 && size >= o.min8bitSize ? 8 : 32, o.blockSize);
  }

  stepParam(param: TrainableParam, grad: tf.Tensor, lr: number): void {
    const projected = this.isGaloreParam(param);
    if (!projected && this.options.untargetedRule === 'pytorch') {
      this.others.stepParam(param, grad, lr);
      return;
    }
    const s = this.stateFor(param, projected);
    if (s.projector && s.projector.isDue(s.step)) this.refresh(param.name, s, grad);
    const low = s.projector ? s.projector.project(grad) : grad;
    const o = this.options;
    if (!s.moments) s.moments = this.createMomentsFor(low.shape);
    s.step += 1;
    s.momentStep += 1;
    const [b1, b2] = o.betas;
    const stepSize = (lr * Math.sqrt(1 - b2 ** s.momentStep)) / (1 - b1 ** s.momentStep);
    const dir = s.moments.direction(low, b1, b2, o.eps, 1);
    if (low !== grad) low.dispose();
    const wd = this.decayFilter(param.name) ? o.weight_decay : 0;
    if (s.projector && param.variable.size >= o.blockUpdateMinSize) {
      this.updateByBlocks(param.variable, s.projector, dir, stepSize, lr * wd);
      dir.dispose();
      return;
    }
    const update = s.projector ? s.projector.projectBack(dir) : dir;
    if (update !== dir) dir.dispose();
    // p - stepSize u, then p + p (-lr wd), as galore-torch; every full-size temporary is freed as
    // soon as the next exists, so an embedding's step holds two of them at a time, not four
    const scaled = tf.mul(update, stepSize);
    update.dispose();
    let next = tf.sub(param.variable, scaled);
    scaled.dispose();
    if (wd > 0) {
      const decay = tf.mul(next, -lr * wd);
      const decayed = tf.add(next, decay);
      next.dispose(); decay.dispose();
      next = decayed;
    }
    assignInPlace(param.variable, next);
    next.dispose();
  }

  /**
   * w <- w - stepSize * projectBack(dir), then w <- w + w (-decay), a block of
   * rows at a time: the same operations as the whole-tensor update, without
   * its full-size update and scaled copy. On wasm each block of the new
   * weight is written into the weight's own buffer (`assignInPlace`'s rule:
   * only when nothing else holds it; any packed matmul copy is dropped), so
   * a step allocates nothing the size of the weight and the weight never
   * moves in the heap. Elsewhere the rows go to a host array that becomes
   * the new weight.
   */
  private updateByBlocks(w: tf.Variable, projector: GaLoreProjector, dir: tf.Tensor, stepSize: number, decay: number): void {
    const [m, n] = w.shape as [number, number];
    const inPlace = writableInPlace(w);
    const out = inPlace ? null : new Float32Array(m * n);
    const rows = rowsPerBlock(n);
    for (let a = 0; a < m; a += rows) {
      const b = Math.min(m, a + rows);
      const next = tf.tidy(() => {
        const u = projector.projectBackRows(dir, a, b);
        let p = tf.sub(sliceRows(w as unknown as tf.Tensor2D, a, b - a), tf.mul(u, stepSize));
        if (decay > 0) p = tf.add(p, tf.mul(p, -decay));
        return p;
      });
      (out ?? hostView(w)).set(hostView(next), a * n); // views taken after the last allocation (the heap may move)
      next.dispose();
    }
    if (out) {
      const updated = tf.tensor2d(out, [m, n]);
      w.assign(updated);
      updated.dispose();
    } else {
      forgetPackedCopies(w);
    }
  }

  /** The latest subspace statistics of every projected weight, by name. */
  subspaceStats(): Record<string, SubspaceStats> {
    return Object.fromEntries(this.latest);
  }

  /**
   * Call `cb` at every subspace refresh; returns a function that unsubscribes.
   *
   * @example
   * const off = opt.onSubspaceRefresh((s) => telemetry.push(s)); // later: off()
   */
  onSubspaceRefresh(cb: (stats: SubspaceStats) => void): () => void {
    this.listeners.add(cb);
    return () => { this.listeners.delete(cb); };
  }

  /** Refresh events since the last call (oldest first; at most 10,000 are queued). */
  drainSubspaceEvents(): SubspaceStats[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  /** Shape, side, rank and low-rank shape of every projected weight seen so far. */
  galoreParams(): Record<string, GaLoreParamInfo> {
    const out: Record<string, GaLoreParamInfo> = {};
    for (const [name, s] of this.state) {
      if (!s.projector) continue;
      const p = s.projector;
      out[name] = { shape: p.shape, side: p.side, rank: p.rank, lowRankShape: p.lowRankShape() };
    }
    return out;
  }

  stateBytes(): number {
    let n = this.others.stateBytes();
    for (const s of this.state.values()) n += (s.moments?.bytes() ?? 0) + (s.projector?.bytes() ?? 0);
    return n;
  }

  snapshot(): OptimizerSnapshot {
    const tensors = new Map<string, StateTensor>();
    const params: Record<string, unknown> = {};
    for (const [name, s] of this.state) {
      s.moments?.save(name, tensors);
      params[name] = {
        step: s.step,
        moment_step: s.momentStep,
        has_moments: s.moments !== null,
        projector: s.projector ? { shape: s.projector.shape, ...s.projector.save(name, tensors) } : null,
      };
    }
    const others = this.others.snapshot();
    for (const [k, t] of others.tensors) tensors.set(`others/${k}`, t);
    return {
      kind: this.kind,
      config: this.configRecord(),
      tensors,
      json: {
        params,
        latest_stats: Object.fromEntries(this.latest),
        others: { kind: others.kind, config: others.config, json: others.json },
      },
    };
  }

  restore(snapshot: OptimizerSnapshot): void {
    if (snapshot.kind !== this.kind) {
      throw new Error(`GaLoreAdamW: cannot restore optimizer state of kind "${snapshot.kind}" (expected "${this.kind}")`);
    }
    const mine = this.configRecord();
    const theirs = snapshot.config;
    for (const key of ['state_bits', 'block_size']) {
      if (theirs[key] !== undefined && theirs[key] !== mine[key]) {
        throw new Error(`GaLoreAdamW: checkpoint has ${key} = ${String(theirs[key])}, this optimizer ${String(mine[key])}; `
          + 'create the optimizer with the checkpoint\'s value to resume');
      }
    }
    const differing = Object.keys(mine).filter((k) => JSON.stringify(mine[k]) !== JSON.stringify(theirs[k]));
    if (differing.length > 0) {
      this.warn(`GaLoreAdamW: resuming with different settings (${differing.join(', ')}); `
        + 'the run will not match an uninterrupted one');
    }
    this.disposeState();
    const params = (snapshot.json.params ?? {}) as Record<string, {
      step: number; moment_step: number; has_moments: boolean;
      projector: ({ shape: number[] } & Record<string, unknown>) | null;
    }>;
    for (const [name, p] of Object.entries(params)) {
      let projector: GaLoreProjector | null = null;
      if (p.projector) {
        projector = this.makeProjector(name, p.projector.shape);
        projector.load(name, snapshot.tensors, p.projector);
      }
      const moments = p.has_moments ? loadMoments(name, snapshot.tensors, this.options.blockSize) : null;
      this.state.set(name, { step: p.step, momentStep: p.moment_step, projector, moments });
    }
    this.latest = new Map(Object.entries((snapshot.json.latest_stats ?? {}) as Record<string, SubspaceStats>));
    const o = snapshot.json.others as { kind: string; config: Record<string, unknown>; json: Record<string, unknown> } | undefined;
    if (o) {
      const tensors = new Map<string, StateTensor>();
      for (const [k, t] of snapshot.tensors) if (k.startsWith('others/')) tensors.set(k.slice('others/'.length), t);
      this.others.restore({ kind: o.kind, config: o.config, json: o.json, tensors });
    }
  }

  dispose(): void {
    this.disposeState();
    this.others.dispose();
  }

  private stateFor(param: TrainableParam, projected: boolean): ParamState {
    let s = this.state.get(param.name);
    if (!s) {
      const projector = projected ? this.makeProjector(param.name, param.variable.shape) : null;
      s = { step: 0, momentStep: 0, projector, moments: null };
      this.state.set(param.name, s);
    }
    return s;
  }

  private makeProjector(name: string, shape: readonly number[]): GaLoreProjector {
    const o = this.options;
    const projector = new GaLoreProjector(shape, {
      rank: o.rank, update_proj_gap: o.update_proj_gap, scale: o.scale, proj_type: o.proj_type, svd: o.svd,
      randomized: { oversample: o.oversample, powerIterations: o.powerIterations },
    });
    const [m, n] = shape;
    if (o.rank >= Math.min(m, n)) {
      // once per module kind and shape (a 24-layer model would otherwise repeat it for every layer)
      const kind = name.replace(/\.\d+\./g, '.N.');
      this.warnOnce(`rank:${kind}:${m}x${n}`, `GaLore: rank ${o.rank} >= min(${m}, ${n}) for "${kind}": the projection keeps every `
        + `direction (rank ${projector.rank}), so this weight saves no optimizer memory and steps like full-rank `
        + `AdamW times scale ${o.scale}. Lower the rank or leave this weight out of target.`);
    }
    return projector;
  }

  private refresh(name: string, s: ParamState, grad: tf.Tensor): void {
    const projector = s.projector!;
    const seed = ((this.options.seed ^ hashString(name)) + Math.imul(s.step, 0x9e3779b1)) >>> 0;
    const { measured, change } = projector.refresh(grad, s.step, seed);
    if (change && s.moments) {
      const policy = this.options.momentsOnRefresh;
      if (policy === 'reset') {
        s.moments.dispose();
        s.moments = null;
        s.momentStep = 0;
      } else if (policy === 'reproject') {
        const [m, v] = s.moments.read();
        const m2 = change.carry(m);
        const v2 = change.carrySquares(v);
        s.moments.write(m2, v2);
        tf.dispose([m, v, m2, v2]);
      }
    }
    change?.dispose();
    const stats: SubspaceStats = {
      name,
      step: s.step,
      shape: projector.shape,
      side: projector.side,
      rank: projector.rank,
      singularValues: Array.from(measured.singularValues.slice(0, this.options.statsTopK)),
      energyCaptured: measured.energyCaptured,
      overlap: measured.overlap,
      svd: this.options.svd,
      millis: measured.millis,
    };
    this.latest.set(name, stats);
    this.queue.push(stats);
    if (this.queue.length > MAX_QUEUED_EVENTS) this.queue.splice(0, this.queue.length - MAX_QUEUED_EVENTS);
    for (const cb of this.listeners) cb(stats);
  }

  private configRecord(): Record<string, unknown> {
    const o = this.options;
    return {
      rank: o.rank, update_proj_gap: o.update_proj_gap, scale: o.scale, proj_type: o.proj_type,
      target: o.target.map(String), betas: o.betas, eps: o.eps, weight_decay: o.weight_decay, svd: o.svd,
      oversample: o.oversample ?? null, power_iterations: o.powerIterations ?? null,
      moments_on_refresh: o.momentsOnRefresh, state_bits: o.stateBits, block_size: o.blockSize,
      min_8bit_size: o.min8bitSize, untargeted_rule: o.untargetedRule, seed: o.seed,
    };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning(message);
  }

  private disposeState(): void {
    for (const s of this.state.values()) { s.moments?.dispose(); s.projector?.dispose(); }
    this.state.clear();
  }
}
