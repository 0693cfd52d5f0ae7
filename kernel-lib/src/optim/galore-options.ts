import { SvdMethod } from '../linalg/svd-types';
import { LARGE_MATRIX_ELEMENTS } from '../linalg/large-matrix';
import { GaloreTarget } from './param-groups';
import { PROJ_TYPES, ProjType } from './galore-projector';
import { BLOCK_SIZES, BlockSize } from './quantize-blockwise';

/**
 * What happens to Adam's (low-rank) moments of a weight when its subspace is
 * refreshed, with R the r x r matrix of inner products between the old and
 * new bases (R = P_new^T P_old for a left projection, Vt_old Vt_new^T for a right one):
 *
 * - `keep` (default; galore-torch): m and v are carried over unchanged, i.e.
 *   their coordinates are reinterpreted in the new basis. Matches the paper.
 * - `reset`: both moments restart from zero and so does bias correction, as if
 *   the weight started training in the new subspace.
 * - `reproject` (galore-torch issue 54): the first moment is rotated into the
 *   new basis, m' = R m (x R for right projections): the part of the old
 *   momentum that lies in the new subspace, in new coordinates. The second
 *   moment is a per-coordinate variance estimate, not a vector, so it cannot be
 *   rotated like m; it becomes the variance of the rotated coordinates under
 *   Adam's own assumption that coordinates are uncorrelated:
 *   v' = (R∘R) v (element-wise squared R), i.e. diag(R diag(v) R^T). This keeps
 *   v' >= 0, leaves v unchanged when the subspace is unchanged (R a signed
 *   permutation), and drops the variance of directions that left the subspace.
 *   Bias correction continues.
 *
 * @example
 * galoreAdamW({ rank: 16, momentsOnRefresh: 'reproject' });
 */
export type MomentsOnRefresh = 'keep' | 'reset' | 'reproject';

/**
 * Options of `galoreAdamW`. The paper's / galore-torch's names are accepted
 * as written (`rank`, `update_proj_gap`, `scale`, `proj_type`,
 * `weight_decay`) and in camelCase (`updateProjGap`, `projType`,
 * `weightDecay`); LLaMA-Factory's flags map as `galore_rank` -> rank,
 * `galore_update_interval` -> update_proj_gap, `galore_scale` -> scale,
 * `galore_proj_type` -> proj_type, `galore_target` -> target.
 */
export interface GaLoreAdamWOptions {
  /** Projection rank r (LLaMA-Factory `galore_rank`, default 16). Clipped to min(m, n) per weight, with a warning. */
  rank?: number;
  /** Steps between subspace refreshes (default 200). */
  update_proj_gap?: number;
  updateProjGap?: number;
  /** Multiplies the projected-back update (default 0.25, galore-torch's scripts; LLaMA-Factory's current default is 2.0). */
  scale?: number;
  /** Side(s) to project (default 'std'). */
  proj_type?: ProjType;
  projType?: ProjType;
  /** Which weights to project (default ['all']: the 7 linear weights of every decoder layer). */
  target?: GaloreTarget | GaloreTarget[];
  betas?: [number, number];
  /** Default 1e-8 (HF TrainingArguments' adam_epsilon, which LLaMA-Factory passes; galore-torch's own default is 1e-6). */
  eps?: number;
  weight_decay?: number;
  weightDecay?: number;
  /** Which parameters get weight decay; default all but biases and norm weights (HF Trainer). */
  decayFilter?: (name: string) => boolean;
  /** Subspace computation: 'randomized' (default) or 'exact' (float64 Jacobi SVD, slow: tests and small weights). */
  svd?: SvdMethod;
  /** Randomized SVD: extra sketch columns (default = rank) and power iterations (default 1). */
  oversample?: number;
  powerIterations?: number;
  /** Moments at a refresh: 'keep' (default, galore-torch), 'reset' or 'reproject'. */
  momentsOnRefresh?: MomentsOnRefresh;
  /** Optimizer state precision: 32 (default) or 8 (block-wise, bitsandbytes-style). */
  stateBits?: 8 | 32;
  /** Block size of 8-bit states: 256 (default) or 2048. */
  blockSize?: BlockSize;
  /** Tensors (low-rank moments included) with fewer values keep float32 moments (default 4096, bitsandbytes). */
  min8bitSize?: number;
  /**
   * Projected weights with at least this many elements are updated block by
   * block instead of through a full-size update and its scaled copy; default
   * 2^24 (an embedding: its update is 0.5 GB for Qwen2-0.5B). Same result.
   * On wasm the new weight is written block by block into the weight's own
   * buffer (when nothing else holds it).
   */
  blockUpdateMinSize?: number;
  /**
   * Update rule for parameters GaLore does not project: 'pytorch' (default:
   * torch.optim.AdamW, via `adamW` / `adamW8bit`) or 'galore-torch' (the same
   * rule as GaLore weights without projection, which is what LLaMA-Factory
   * does, since it hands every parameter group to galore-torch's AdamW).
   */
  untargetedRule?: 'pytorch' | 'galore-torch';
  /** Seed of the randomized SVD's test matrices (mixed with each weight's name and step). Default 0. */
  seed?: number;
  /** How many of the r computed singular values subspace telemetry keeps, largest first (default 8). */
  statsTopK?: number;
  /** Where warnings go (default console.warn); they are also kept in `optimizer.warnings`. */
  onWarning?: (message: string) => void;
}

/** Options after defaults and validation, under one name each. */
export interface ResolvedGaLoreOptions {
  rank: number;
  update_proj_gap: number;
  scale: number;
  proj_type: ProjType;
  target: GaloreTarget[];
  betas: [number, number];
  eps: number;
  weight_decay: number;
  decayFilter?: (name: string) => boolean;
  svd: SvdMethod;
  oversample?: number;
  powerIterations?: number;
  momentsOnRefresh: MomentsOnRefresh;
  stateBits: 8 | 32;
  blockSize: BlockSize;
  min8bitSize: number;
  blockUpdateMinSize: number;
  untargetedRule: 'pytorch' | 'galore-torch';
  seed: number;
  statsTopK: number;
  onWarning: (message: string) => void;
}

/**
 * Apply defaults, merge snake_case and camelCase names, and check every value,
 * with errors that name the option and the accepted values.
 *
 * @example
 * resolveGaLoreOptions({ rank: 16, update_proj_gap: 200 }).proj_type; // 'std'
 */
export function resolveGaLoreOptions(o: GaLoreAdamWOptions = {}): ResolvedGaLoreOptions {
  const pick = <T>(name: string, a: T | undefined, b: T | undefined, dflt: T): T => {
    if (a !== undefined && b !== undefined && a !== b) {
      throw new Error(`galoreAdamW: ${name} given twice with different values (${String(a)} and ${String(b)})`);
    }
    return a ?? b ?? dflt;
  };
  const r: ResolvedGaLoreOptions = {
    rank: o.rank ?? 16,
    update_proj_gap: pick('update_proj_gap/updateProjGap', o.update_proj_gap, o.updateProjGap, 200),
    scale: o.scale ?? 0.25,
    proj_type: pick('proj_type/projType', o.proj_type, o.projType, 'std' as ProjType),
    target: o.target === undefined ? ['all'] : Array.isArray(o.target) ? o.target : [o.target],
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weight_decay: pick('weight_decay/weightDecay', o.weight_decay, o.weightDecay, 0),
    decayFilter: o.decayFilter,
    svd: o.svd ?? 'randomized',
    oversample: o.oversample,
    powerIterations: o.powerIterations,
    momentsOnRefresh: o.momentsOnRefresh ?? 'keep',
    stateBits: o.stateBits ?? 32,
    blockSize: o.blockSize ?? 256,
    min8bitSize: o.min8bitSize ?? 4096,
    blockUpdateMinSize: o.blockUpdateMinSize ?? LARGE_MATRIX_ELEMENTS,
    untargetedRule: o.untargetedRule ?? 'pytorch',
    seed: o.seed ?? 0,
    statsTopK: o.statsTopK ?? 8,
    onWarning: o.onWarning ?? ((m: string) => console.warn(m)),
  };
  const fail = (what: string): never => { throw new Error(`galoreAdamW: ${what}`); };
  if (!(Number.isInteger(r.rank) && r.rank >= 1)) fail(`rank must be a positive integer, got ${r.rank}`);
  if (!(Number.isInteger(r.update_proj_gap) && r.update_proj_gap >= 1)) fail(`update_proj_gap must be a positive integer, got ${r.update_proj_gap}`);
  if (!Number.isFinite(r.scale)) fail(`scale must be a finite number, got ${r.scale}`);
  if (!PROJ_TYPES.includes(r.proj_type)) fail(`proj_type must be one of ${PROJ_TYPES.join(', ')}, got "${r.proj_type}"`);
  if (r.target.length === 0) fail('target is empty: use "all", module names (e.g. "q_proj") or RegExps');
  const [b1, b2] = r.betas;
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) fail(`betas must lie in [0, 1), got [${b1}, ${b2}]`);
  if (!(r.eps > 0)) fail(`eps must be > 0, got ${r.eps}`);
  if (!(r.weight_decay >= 0)) fail(`weight_decay must be >= 0, got ${r.weight_decay}`);
  if (r.svd !== 'exact' && r.svd !== 'randomized') fail(`svd must be "exact" or "randomized", got "${String(r.svd)}"`);
  if (!['keep', 'reset', 'reproject'].includes(r.momentsOnRefresh)) {
    fail(`momentsOnRefresh must be "keep", "reset" or "reproject", got "${String(r.momentsOnRefresh)}"`);
  }
  if (r.stateBits !== 8 && r.stateBits !== 32) fail(`stateBits must be 8 or 32, got ${String(r.stateBits)}`);
  if (!(BLOCK_SIZES as readonly number[]).includes(r.blockSize)) fail(`blockSize must be ${BLOCK_SIZES.join(' or ')}, got ${r.blockSize}`);
  if (!(r.min8bitSize >= 0)) fail(`min8bitSize must be >= 0, got ${r.min8bitSize}`);
  if (!(r.blockUpdateMinSize >= 1)) fail(`blockUpdateMinSize must be >= 1, got ${r.blockUpdateMinSize}`);
  if (r.untargetedRule !== 'pytorch' && r.untargetedRule !== 'galore-torch') {
    fail(`untargetedRule must be "pytorch" or "galore-torch", got "${String(r.untargetedRule)}"`);
  }
  if (!(Number.isInteger(r.statsTopK) && r.statsTopK >= 0)) fail(`statsTopK must be a non-negative integer, got ${r.statsTopK}`);
  return r;
}
