import * as tf from '@tensorflow/tfjs';
import { sliceRows } from '../model/primitives';
import { forgetPackedCopies, keepInPlace } from '../backend/wasm-buffers';
import { blockedTransposedProduct } from '../linalg/randomized-svd';
import { LARGE_MATRIX_ELEMENTS } from '../linalg/large-matrix';
import { RandomizedSvdOptions } from '../linalg/randomized-svd';
import { SingularSide, SvdMethod } from '../linalg/svd-types';
import { truncatedSvd } from '../linalg/truncated-svd';
import { StateTensor, fromStateTensor, toStateTensor } from './optimizer';
import { energyFraction, subspaceOverlap } from './subspace-stats';

/** galore-torch's projection types. */
export type ProjType = 'std' | 'reverse_std' | 'left' | 'right' | 'full';
export const PROJ_TYPES: readonly ProjType[] = ['std', 'reverse_std', 'left', 'right', 'full'];

/** Which factor(s) a projector keeps: U (left, m x r), V (right, stored as Vt r x n) or both. */
export type ProjectionSide = 'left' | 'right' | 'full';

/**
 * galore-torch's choice of side for an m x n gradient: `std` projects on the
 * smaller side (m >= n: keep the top-r right singular vectors, G V is m x r;
 * else the left ones, U^T G is r x n), `reverse_std` the larger side,
 * `left`/`right`/`full` as named.
 *
 * @example
 * projectionSide('std', [4864, 896]); // 'right' (gate/up_proj: low-rank gradient 4864 x r)
 * projectionSide('std', [896, 4864]); // 'left'  (down_proj: r x 4864)
 */
export function projectionSide(projType: ProjType, shape: readonly number[]): ProjectionSide {
  const [m, n] = shape;
  switch (projType) {
    case 'std': return m >= n ? 'right' : 'left';
    case 'reverse_std': return m >= n ? 'left' : 'right';
    case 'left': case 'right': case 'full': return projType;
    default: throw new Error(`proj_type must be one of ${PROJ_TYPES.join(', ')}, got "${String(projType)}"`);
  }
}

/** Settings of one projector (the paper's names). */
export interface ProjectorConfig {
  rank: number;
  update_proj_gap: number;
  scale: number;
  proj_type: ProjType;
  svd: SvdMethod;
  /** Randomized SVD knobs (oversample, powerIterations). */
  randomized?: Pick<RandomizedSvdOptions, 'oversample' | 'powerIterations'>;
}

/** What a refresh measured (the optimizer adds names and steps to make telemetry). */
export interface RefreshMeasurements {
  singularValues: Float64Array;
  energyCaptured: number;
  overlap: number | null;
  millis: number;
}

/**
 * Re-expresses low-rank tensors from the previous basis in the new one after a
 * refresh: for a left projection x (r x n) becomes R x with R = P_new^T P_old;
 * for a right one x (m x r) becomes x R with R = Vt_old Vt_new^T; `full` does
 * both. `carrySquares` applies the element-wise squared rotations instead,
 * the map for quantities that transform like variances of the coordinates
 * (diag(R diag(v) R^T) = (R∘R) v). Null before the first refresh.
 */
export interface BasisChange {
  carry(x: tf.Tensor): tf.Tensor;
  carrySquares(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/**
 * GaLore's gradient projector for one 2-D weight (Zhao et al. 2024, as
 * galore-torch's `GaLoreProjector`): at steps 0, gap, 2 gap, ... it takes the
 * top-r singular vectors of the current gradient; in between it projects
 * gradients into that subspace (`project`) and maps low-rank updates back,
 * times `scale` (`projectBack`). It knows nothing about Adam: the optimizer
 * decides what to do with the low-rank tensors.
 *
 * Differences from galore-torch: the projected side is fixed at construction
 * from the weight's shape (galore-torch re-derives it in `project_back` from
 * the low-rank tensor's shape, which crashes for `reverse_std` when
 * rank >= m < n); the rank is clipped to min(m, n) and reported (the optimizer
 * warns); the basis is float32 (no int4 `proj_quant`).
 *
 * @example
 * const proj = new GaLoreProjector([896, 4864], { rank: 16, update_proj_gap: 200, scale: 0.25, proj_type: 'std', svd: 'randomized' });
 * if (proj.isDue(step)) proj.refresh(grad, step, seed).change?.dispose();
 * const low = proj.project(grad);          // 16 x 4864
 * const update = proj.projectBack(low);    // 896 x 4864, times scale
 */
export class GaLoreProjector {
  readonly shape: [number, number];
  readonly side: ProjectionSide;
  /** Rank in use: the requested rank clipped to min(m, n). */
  readonly rank: number;
  readonly requestedRank: number;
  /** U[:, :r] (m x r) for left/full projections. */
  left: tf.Tensor2D | null = null;
  /** Vt[:r, :] (r x n) for right/full projections (galore-torch's `ortho_matrix` for `right`). */
  right: tf.Tensor2D | null = null;
  /** Step of the last refresh (-1: never). */
  lastRefresh = -1;
  /** Buffers `reserve` set aside for the first basis. */
  private homeLeft: tf.Tensor2D | null = null;
  private homeRight: tf.Tensor2D | null = null;

  constructor(shape: readonly number[], readonly config: ProjectorConfig) {
    if (shape.length !== 2) throw new Error(`GaLore projects 2-D weights only, got shape [${shape.join(', ')}]`);
    this.shape = [shape[0], shape[1]];
    this.side = projectionSide(config.proj_type, shape);
    this.requestedRank = config.rank;
    this.rank = Math.min(config.rank, shape[0], shape[1]);
    if (!(config.rank >= 1 && Number.isInteger(config.rank))) throw new Error(`GaLore rank must be a positive integer, got ${config.rank}`);
    if (!(config.update_proj_gap >= 1 && Number.isInteger(config.update_proj_gap))) {
      throw new Error(`GaLore update_proj_gap must be a positive integer, got ${config.update_proj_gap}`);
    }
  }

  /**
   * Allocate the basis buffers now (zeros, until the first refresh fills
   * them), so that on wasm they sit where the heap is when this is called
   * rather than among a training step's temporaries. Does nothing once a
   * basis exists.
   */
  reserve(): void {
    if (this.left || this.right || this.homeLeft || this.homeRight) return;
    const [m, n] = this.shape;
    const r = this.rank;
    if (this.side !== 'right') this.homeLeft = tf.keep(tf.zeros([m, r]) as tf.Tensor2D);
    if (this.side !== 'left') this.homeRight = tf.keep(tf.zeros([r, n]) as tf.Tensor2D);
  }

  /** Is a new subspace due at this (0-based, per-parameter) step? As galore-torch: no basis yet, or step % gap == 0. */
  isDue(step: number): boolean {
    return this.lastRefresh < 0 || step % this.config.update_proj_gap === 0;
  }

  /** Shape of the low-rank tensors this projector produces. */
  lowRankShape(): [number, number] {
    const [m, n] = this.shape;
    const r = this.rank;
    return this.side === 'left' ? [r, n] : this.side === 'right' ? [m, r] : [r, r];
  }

  /**
   * Compute the subspace from `grad` (m x n). Returns what was measured and,
   * except at the first refresh, the change of basis (caller disposes it).
   */
  refresh(grad: tf.Tensor, step: number, seed: number): { measured: RefreshMeasurements; change: BasisChange | null } {
    const g = grad as tf.Tensor2D;
    if (g.rank !== 2 || g.shape[0] !== this.shape[0] || g.shape[1] !== this.shape[1]) {
      throw new Error(`GaLore projector for [${this.shape.join(', ')}] got a gradient of shape [${g.shape.join(', ')}]`);
    }
    const want: SingularSide = this.side === 'full' ? 'both' : this.side;
    const t0 = performance.now();
    const svd = truncatedSvd(g, this.rank, { method: this.config.svd, want, seed, ...this.config.randomized });
    const millis = performance.now() - t0;
    const oldLeft = this.left; const oldRight = this.right;
    const newLeft = svd.U ? tf.keep(svd.U) : null;
    const newRight = svd.Vt ? tf.keep(svd.Vt) : null;
    this.left = newLeft; this.right = newRight;
    this.lastRefresh = step;
    let change: BasisChange | null = null;
    let overlap: number | null = null;
    if (oldLeft || oldRight) {
      const rl = oldLeft ? tf.keep(tf.tidy(() => tf.matMul(tf.transpose(this.left!), oldLeft))) : null; // P_new^T P_old
      const rr = oldRight ? tf.keep(tf.tidy(() => tf.matMul(oldRight, tf.transpose(this.right!)))) : null; // Vt_old Vt_new^T
      const overlaps = [rl, rr].filter((x): x is tf.Tensor => x !== null).map(subspaceOverlap);
      overlap = overlaps.reduce((a, b) => a + b, 0) / overlaps.length;
      change = rotation(rl, rr);
    }
    // the new basis goes into the buffers the old one (or `reserve`) had, where the backend allows
    // (wasm): the basis never moves in the heap
    this.left = settle(oldLeft ?? this.homeLeft, newLeft);
    this.right = settle(oldRight ?? this.homeRight, newRight);
    this.homeLeft = null; this.homeRight = null;
    const low = this.project(g);
    const energyCaptured = energyFraction(g, low);
    low.dispose();
    return { measured: { singularValues: svd.S, energyCaptured, overlap, millis }, change };
  }

  /** The low-rank gradient: U^T G (left), G V (right) or U^T G V (full). New tensor. */
  project(grad: tf.Tensor): tf.Tensor {
    this.requireBasis();
    return tf.tidy(() => {
      let x = grad as tf.Tensor2D;
      if (this.left) {
        // a large gradient must not be a matmul's right operand (wasm keeps a packed copy of it): U^T G over row blocks
        x = grad.size >= LARGE_MATRIX_ELEMENTS ? tf.transpose(blockedTransposedProduct(x, this.left)) as tf.Tensor2D
          : tf.matMul(tf.transpose(this.left), x);
      }
      if (this.right) x = tf.matMul(x, tf.transpose(this.right));
      return x;
    });
  }

  /** The full-size update: U x, x Vt or U x Vt, times `scale` (as galore-torch's `project_back`). New tensor. */
  projectBack(low: tf.Tensor): tf.Tensor {
    this.requireBasis();
    // each full-size temporary is freed as soon as the next exists (an embedding's update is 0.5 GB)
    let x = low as tf.Tensor2D;
    const step = (next: tf.Tensor2D) => { if (x !== low) x.dispose(); x = next; };
    if (this.left) step(tf.matMul(this.left, x));
    if (this.right) { step(tf.matMul(x, this.right)); forgetPackedCopies(this.right); } // no packed copy kept between steps (wasm)
    const scaled = tf.mul(x, this.config.scale);
    if (x !== low) x.dispose();
    return scaled;
  }

  /**
   * Rows [start, end) of `projectBack(low)`, from those rows alone: U[start:end] x
   * (left), x[start:end] Vt (right), U[start:end] x Vt (full), times `scale`.
   * New tensor.
   */
  projectBackRows(low: tf.Tensor, start: number, end: number): tf.Tensor2D {
    this.requireBasis();
    return tf.tidy(() => {
      const n = end - start;
      let x: tf.Tensor2D;
      if (this.left) x = tf.matMul(sliceRows(this.left, start, n), low as tf.Tensor2D);
      else x = sliceRows(low as tf.Tensor2D, start, n);
      if (this.right) { x = tf.matMul(x, this.right); forgetPackedCopies(this.right); } // no packed copy kept (wasm)
      return tf.mul(x, this.config.scale);
    });
  }

  /** Bytes held by the basis. */
  bytes(): number {
    return ((this.left?.size ?? 0) + (this.right?.size ?? 0) + (this.homeLeft?.size ?? 0) + (this.homeRight?.size ?? 0)) * 4;
  }

  /** Add the basis to a checkpoint map under `${prefix}.galore.left` / `.right`; returns JSON bookkeeping. */
  save(prefix: string, out: Map<string, StateTensor>): Record<string, unknown> {
    if (this.left) out.set(`${prefix}.galore.left`, toStateTensor(this.left));
    if (this.right) out.set(`${prefix}.galore.right`, toStateTensor(this.right));
    return { side: this.side, rank: this.rank, last_refresh: this.lastRefresh };
  }

  /** Restore what `save` wrote. */
  load(prefix: string, tensors: Map<string, StateTensor>, json: Record<string, unknown>): void {
    if (json.side !== this.side || json.rank !== this.rank) {
      throw new Error(`GaLore checkpoint for "${prefix}" was made with side ${String(json.side)} and rank ${String(json.rank)}, `
        + `this optimizer uses side ${this.side} and rank ${this.rank}: resume with the same rank and proj_type`);
    }
    this.dispose();
    const l = tensors.get(`${prefix}.galore.left`);
    const r = tensors.get(`${prefix}.galore.right`);
    this.left = l ? fromStateTensor(l) as tf.Tensor2D : null;
    this.right = r ? fromStateTensor(r) as tf.Tensor2D : null;
    this.lastRefresh = Number(json.last_refresh ?? -1);
    const needLeft = this.side !== 'right'; const needRight = this.side !== 'left';
    if (this.lastRefresh >= 0 && ((needLeft && !this.left) || (needRight && !this.right))) {
      throw new Error(`GaLore checkpoint lacks the projection basis of "${prefix}" (${prefix}.galore.${needLeft ? 'left' : 'right'})`);
    }
  }

  dispose(): void {
    this.left?.dispose(); this.right?.dispose(); this.homeLeft?.dispose(); this.homeRight?.dispose();
    this.left = null; this.right = null; this.homeLeft = null; this.homeRight = null;
  }

  private requireBasis(): void {
    if (!this.left && !this.right) throw new Error('GaLore projector used before its first refresh(): call refresh(grad, step, seed) first');
  }
}

/** `value` stored in `home`'s buffer where the backend allows (`keepInPlace`); `home` is freed when unused. */
function settle(home: tf.Tensor2D | null, value: tf.Tensor2D | null): tf.Tensor2D | null {
  if (!value) { home?.dispose(); return null; }
  return home ? keepInPlace(home, value) : value;
}

function rotation(rl: tf.Tensor | null, rr: tf.Tensor | null): BasisChange {
  const apply = (x: tf.Tensor, l: tf.Tensor | null, r: tf.Tensor | null): tf.Tensor => tf.tidy(() => {
    let y = x as tf.Tensor2D;
    if (l) y = tf.matMul(l as tf.Tensor2D, y);
    if (r) y = tf.matMul(y, r as tf.Tensor2D);
    return y;
  });
  return {
    carry: (x) => apply(x, rl, rr),
    carrySquares: (x) => tf.tidy(() => apply(x, rl ? tf.square(rl) : null, rr ? tf.square(rr) : null)),
    dispose: () => { rl?.dispose(); rr?.dispose(); },
  };
}
