/**
 * The memory ledger: exact bytes of weights, gradients and optimizer states,
 * plus the activation estimate, for one training method on one model shape.
 * Pure functions of the config: no tensors are made.
 */
import { Qwen2Config, weightShapes } from '../model/config';
import { ActivationBytes, activationBytes } from './activation-bytes';
import { backwardWorkspaceBytes } from './backward-workspace';
import {
  Blockwise8bitLayout, DEFAULT_8BIT_LAYOUT, FLOAT32_BYTES, GaloreProjType, galoreStateLayout, momentParts, numel,
} from './optimizer-state-bytes';
import { LINEAR_MODULE_NAMES, isGaloreTarget, loraAdapterShapes } from './parameter-groups';

export type LedgerMethod = 'full' | 'lora' | 'galore';
export type LedgerOptimizer = 'adamw' | 'adamw8bit';
export const LEDGER_METHODS: readonly LedgerMethod[] = ['full', 'lora', 'galore'];

export interface MemoryLedgerOptions {
  /** AdamW with float32 moments (default) or block-wise 8-bit moments. */
  optim?: LedgerOptimizer;
  /** Layer-wise updates: each gradient is applied and freed as soon as it exists. */
  layerwise?: boolean;
  /** GaLore rank (default 128). */
  rank?: number;
  /** GaLore projection side rule (default `std`). */
  projType?: GaloreProjType;
  /** Linear modules GaLore projects (short names; default all seven). */
  galoreModules?: readonly string[];
  /** LoRA rank (default 8). */
  loraR?: number;
  /** LoRA target modules (short names) or `all` / `all-linear` (default `all`, LLaMA-Factory's `lora_target`). */
  loraTargets?: readonly string[] | 'all' | 'all-linear';
  /** DoRA magnitude vectors on top of LoRA. */
  dora?: boolean;
  /** Batch size for the activation estimate (default 1). */
  batchSize?: number;
  /** Sequence length for the activation estimate (default 512). */
  seqLen?: number;
  /** 8-bit moment layout (default: blocks of 256, 8-bit from 4096 elements, as our adamW8bit). */
  eightBitLayout?: Blockwise8bitLayout;
  /**
   * Bytes of a float optimizer-state element (32-bit moments, GaLore
   * factors). 4 (float32) is what our optimizers hold; 2 gives the BF16
   * basis the GaLore paper quotes its percentages on.
   */
  stateFloatBytes?: number;
}

/** One weight (or LoRA adapter weight) and what training it costs. */
export interface ParameterLedgerRow {
  name: string;
  shape: number[];
  trainable: boolean;
  weightBytes: number;
  /** Its gradient (float32), 0 when frozen. */
  gradientBytes: number;
  /** Optimizer state: moments (+ GaLore factors, + 8-bit scales). */
  stateBytes: number;
  /** 'adamw', 'adamw8bit', 'galore', 'galore8bit' or 'none'. */
  stateKind: string;
  /** GaLore: the projection factor shape(s) and the moments' shape. */
  projectors?: number[][];
  moments?: number[];
}

export interface OptimizerStateBreakdown {
  /** Moment values (float or 8-bit codes). */
  moments: number;
  /** 8-bit absmax scales. */
  scales: number;
  /** GaLore projection factors. */
  projectors: number;
  /** Of the total, what weights outside GaLore (embedding, norms, biases...) hold. */
  unprojected: number;
}

export interface MemoryLedger {
  method: LedgerMethod;
  optim: LedgerOptimizer;
  layerwise: boolean;
  /** Short description, e.g. `GaLore r=128, 8-bit AdamW, layer-wise`. */
  label: string;
  batchSize: number;
  seqLen: number;
  params: ParameterLedgerRow[];
  totalParams: number;
  trainableParams: number;
  /** All weights (base model + adapters), float32. */
  weights: number;
  /** Gradients alive at once: all trainable ones, or the largest one when layer-wise. */
  gradients: number;
  optimizerStates: number;
  optimizerBreakdown: OptimizerStateBreakdown;
  /** 1 - optimizerStates / (full AdamW's states on the base model, at the same float size). */
  optimizerStateReduction: number;
  /** Tensors saved for the backward pass (see activation-bytes.ts). */
  activations: ActivationBytes;
  /** Gradient temporaries the backward pass holds until it ends (see backward-workspace.ts). */
  backwardWorkspace: number;
  /** weights + gradients + optimizerStates + activations + backwardWorkspace: the peak of a training step. */
  total: number;
  /** What the figures assume, in words. */
  assumptions: string[];
}

const methodLabel = (method: LedgerMethod, o: Required<Pick<MemoryLedgerOptions, 'rank' | 'loraR' | 'optim' | 'layerwise'>>): string => {
  const head = method === 'full' ? 'Full' : method === 'lora' ? `LoRA r=${o.loraR}` : `GaLore r=${o.rank}`;
  return `${head}, ${o.optim === 'adamw8bit' ? '8-bit AdamW' : 'AdamW'}${o.layerwise ? ', layer-wise' : ''}`;
};

/**
 * The memory ledger of one training method on a Qwen2 config. Every figure
 * is in bytes; weights, gradients and 32-bit states are float32 (what our
 * tfjs code holds). Per trainable weight W with shape [m, n], numel p:
 *
 *   weight      4 p                 (frozen weights too; LoRA adds its A, B)
 *   gradient    4 p                 (trainable only; layer-wise: only the
 *                                    largest single gradient, max 4 p)
 *   AdamW       2 (4 p)             (exp_avg, exp_avg_sq)
 *   8-bit AdamW 2 (p + 4 ceil(p / block))  when p >= minSize, else 2 (4 p)
 *   GaLore      4 numel(P) + 2 moment(numel(R))   for projected 2-D weights:
 *               m >= n: P [r, n], R [m, r]; m < n: P [m, r], R [r, n]
 *               (galore-torch std); other weights: AdamW (or 8-bit AdamW)
 *   LoRA        A [r, in], B [out, r] (+ DoRA magnitude [out]) per target
 *               module: the only trainable weights
 *
 *   total = weights + gradients + states + saved activations + backward workspace
 *
 * @example
 * const l = memoryLedger(QWEN2_0_5B_INSTRUCT, 'galore', { rank: 128, optim: 'adamw8bit' });
 * console.log(l.optimizerStates, l.total);
 */
export function memoryLedger(cfg: Qwen2Config, method: LedgerMethod, options: MemoryLedgerOptions = {}): MemoryLedger {
  if (!LEDGER_METHODS.includes(method)) throw new Error(`memoryLedger: method "${method}" is not one of ${LEDGER_METHODS.join(', ')}`);
  const optim = options.optim ?? 'adamw';
  if (optim !== 'adamw' && optim !== 'adamw8bit') throw new Error(`memoryLedger: optim "${optim}" is not adamw or adamw8bit`);
  const layerwise = options.layerwise ?? false;
  const rank = options.rank ?? 128;
  const projType = options.projType ?? 'std';
  const galoreModules = options.galoreModules ?? LINEAR_MODULE_NAMES;
  const loraR = options.loraR ?? 8;
  const loraTargets = options.loraTargets ?? 'all';
  const batchSize = options.batchSize ?? 1;
  const seqLen = options.seqLen ?? 512;
  const layout = options.eightBitLayout ?? DEFAULT_8BIT_LAYOUT;
  const fb = options.stateFloatBytes ?? FLOAT32_BYTES;
  const eightBit = optim === 'adamw8bit';

  const breakdown: OptimizerStateBreakdown = { moments: 0, scales: 0, projectors: 0, unprojected: 0 };
  const addMoments = (n: number): number => {
    const p = momentParts(n, eightBit, layout, fb);
    breakdown.moments += 2 * p.values;
    breakdown.scales += 2 * p.scales;
    return 2 * (p.values + p.scales);
  };
  const adamRow = (name: string, shape: number[]): ParameterLedgerRow => {
    const p = numel(shape);
    const state = addMoments(p);
    breakdown.unprojected += state;
    return { name, shape, trainable: true, weightBytes: FLOAT32_BYTES * p, gradientBytes: FLOAT32_BYTES * p, stateBytes: state, stateKind: optim };
  };

  const params: ParameterLedgerRow[] = [];
  for (const [name, shape] of weightShapes(cfg)) {
    const p = numel(shape);
    if (method === 'lora') {
      params.push({ name, shape, trainable: false, weightBytes: FLOAT32_BYTES * p, gradientBytes: 0, stateBytes: 0, stateKind: 'none' });
    } else if (method === 'galore' && isGaloreTarget(name, galoreModules)) {
      const l = galoreStateLayout(shape, rank, projType);
      const proj = fb * l.projectors.reduce((a, s) => a + numel(s), 0);
      breakdown.projectors += proj;
      const state = proj + addMoments(numel(l.moments));
      params.push({
        name, shape, trainable: true, weightBytes: FLOAT32_BYTES * p, gradientBytes: FLOAT32_BYTES * p,
        stateBytes: state, stateKind: eightBit ? 'galore8bit' : 'galore', projectors: l.projectors, moments: l.moments,
      });
    } else {
      params.push(adamRow(name, shape));
    }
  }
  if (method === 'lora') {
    for (const a of loraAdapterShapes(cfg, { r: loraR, targets: loraTargets, dora: options.dora })) params.push(adamRow(a.name, a.shape));
  }

  const trainable = params.filter((r) => r.trainable);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const weights = sum(params.map((r) => r.weightBytes));
  const gradients = layerwise ? Math.max(0, ...trainable.map((r) => r.gradientBytes)) : sum(trainable.map((r) => r.gradientBytes));
  const optimizerStates = sum(params.map((r) => r.stateBytes));
  const targets = loraTargets === 'all' || loraTargets === 'all-linear' ? LINEAR_MODULE_NAMES : loraTargets;
  const lora = method === 'lora' ? { lora: { r: loraR, targets } } : {};
  const activations = activationBytes(cfg, { batchSize, seqLen, ...lora });
  const backwardWorkspace = backwardWorkspaceBytes(cfg, { batchSize, seqLen, ...lora });

  const assumptions = [
    'float32 weights, gradients and 32-bit optimizer states (what our TensorFlow.js code holds)',
    `activations: tensors our forward pass saves for the backward pass at batch ${batchSize} x ${seqLen} tokens on the wasm backend, including the copies of weights the tape keeps`,
    'backward workspace: gradients of activations and temporaries tfjs keeps until the backward pass ends (and, with LoRA, the dW our linear layers form for frozen weights)',
  ];
  if (eightBit) assumptions.push(`8-bit moments: 1 byte per element + one float32 absmax per ${layout.blockSize} elements; tensors under ${layout.minSize} elements keep float32 moments`);
  if (method === 'galore') assumptions.push(`GaLore (proj_type ${projType}) on ${galoreModules.join(', ')}; the embedding${cfg.tie_word_embeddings ? ' (tied to lm_head)' : ' and lm_head'}, norms and biases keep ${eightBit ? '8-bit ' : ''}AdamW states`);
  if (method === 'lora') assumptions.push(`LoRA r=${loraR} on ${targets.join(', ')}${options.dora ? ' with DoRA magnitudes' : ''}; base weights frozen (no gradient, no state); no dropout${options.dora ? '; DoRA\'s extra activations are not modelled' : ''}`);
  if (layerwise) assumptions.push('layer-wise: gradients of the whole model never coexist; peak gradient memory is the largest single trainable weight\'s gradient');

  const ledger: MemoryLedger = {
    method, optim, layerwise, label: methodLabel(method, { rank, loraR, optim, layerwise }), batchSize, seqLen,
    params, totalParams: sum(params.map((r) => numel(r.shape))), trainableParams: sum(trainable.map((r) => numel(r.shape))),
    weights, gradients, optimizerStates, optimizerBreakdown: breakdown,
    optimizerStateReduction: 1 - optimizerStates / (2 * fb * sum([...weightShapes(cfg).values()].map(numel))),
    activations, backwardWorkspace,
    total: weights + gradients + optimizerStates + activations.total + backwardWorkspace,
    assumptions,
  };
  return ledger;
}
