/**
 * The memory ledger: exact bytes of weights, gradients and optimizer states,
 * plus the activation estimate, for one training method on one model shape.
 * Pure functions of the config: no tensors are made.
 */
import { Qwen2Config, weightShapes } from '../model/config';
import { ActivationBytes, activationBytes } from './activation-bytes';
import { backwardWorkspaceBytes, layerWorkspaceBytes } from './backward-workspace';
import { checkpointedPhases, galoreRefreshWorkspaceBytes, optimizerStepWorkspaceBytes } from './step-phases';
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
  /**
   * Layer-wise updates (`trainModel(..., { layerwise: true })`, `--layerwise`):
   * the decoder layers' linear weights and an untied lm_head are stepped and
   * their gradients freed inside the backward pass; the embedding, norms,
   * biases and adapter weights keep their gradients on the tape.
   */
  layerwise?: boolean;
  /**
   * Data-parallel gradient workers (`--workers`, parallel-gradients.ts);
   * default 0. Plain models only (no LoRA), not with layer-wise updates. With
   * W workers the batch's rows split into min(W + 1, B) parts, the main
   * thread taking the first, and `workers` reports the workers' memory.
   */
  workers?: number;
  /**
   * Activation checkpointing (`--checkpointing`, train/checkpointed-gradients.ts):
   * only each decoder layer's input is kept; one layer's activations and
   * backward workspace exist at a time.
   */
  checkpointing?: boolean;
  /** The loss over the vocabulary in chunks of this many rows (`--loss-chunk`); absent: full logits. */
  lossChunk?: number;
  /** GaLore also projects the embedding (and an untied lm_head) (`--galore-embedding`). */
  galoreEmbedding?: boolean;
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
  /**
   * Of the total, what lives in JavaScript memory rather than on the backend:
   * 8-bit moments (codes and absmax scales are typed arrays, stepped on the
   * CPU). Not part of the backend's peak (`total`).
   */
  hostResident: number;
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
  /**
   * Gradients alive at once: all trainable ones; layer-wise: those kept on the
   * tape (embedding, norms, biases, adapters) plus the largest single stepped
   * linear-weight gradient.
   */
  gradients: number;
  optimizerStates: number;
  optimizerBreakdown: OptimizerStateBreakdown;
  /** 1 - optimizerStates / (full AdamW's states on the base model, at the same float size). */
  optimizerStateReduction: number;
  /** Tensors saved for the backward pass (see activation-bytes.ts). */
  activations: ActivationBytes;
  /** Gradient temporaries the backward pass holds until it ends (see backward-workspace.ts). */
  backwardWorkspace: number;
  /** The largest optimizer temporaries while one weight is stepped after the backward pass (see step-phases.ts). */
  stepWorkspace: number;
  /** The two peaks of a step, weights and states included: the end of the backward pass (with checkpointing: its largest phase), and the optimizer step. */
  phases: LedgerPhases;
  /**
   * The peak of a training step on the main thread's wasm heap: the larger
   * phase. Without checkpointing the backward phase is weights + gradients +
   * optimizer states on the backend (all but `optimizerBreakdown.hostResident`)
   * + activations + backwardWorkspace.
   */
  total: number;
  /** Data-parallel gradient workers' memory (absent without workers): process memory beside the main wasm heap. */
  workers?: WorkerMemory;
  /** total + host-resident optimizer states + workers.total: the process's peak (total without 8-bit states or workers). */
  processTotal: number;
  /** What the figures assume, in words. */
  assumptions: string[];
}

/** Bytes at the two peaks of a training step. */
export interface LedgerPhases {
  forwardBackward: number;
  optimizerStep: number;
}

/** What data-parallel gradient workers hold (each its own wasm heap, plus shared buffers). */
export interface WorkerMemory {
  count: number;
  /** Batch rows of the main thread and of each worker (0 for an idle worker). */
  mainRows: number;
  workerRows: number[];
  /** Per worker: a replica of every weight. */
  replicaWeights: number;
  /** Per worker: the gradients of the trainable weights it forms. */
  replicaGradients: number;
  /** Over all workers: saved activations and backward workspace of their rows. */
  activationsAndWorkspace: number;
  /** SharedArrayBuffers: the weights once, plus one gradient buffer per worker. */
  sharedBuffers: number;
  /** Everything above, over all workers. */
  total: number;
}

/** The weights `galoreEmbedding` adds to GaLore's targets. */
const EMBEDDING_WEIGHTS = ['model.embed_tokens.weight', 'lm_head.weight'];

/** Activations with the chunked loss: the loss op saves its input h [N, d] (a copy) instead of the softmax [N, V]. */
function withChunkedLoss(a: ActivationBytes, cfg: Qwen2Config, n: number): ActivationBytes {
  const out = { ...a, crossEntropy: FLOAT32_BYTES * n * cfg.hidden_size };
  out.total = out.tokenIds + out.rotaryTables + out.layers + out.finalNormAndHead + out.crossEntropy + out.adapters + out.weightCopies;
  return out;
}

/** Weights layer-wise updates step inside the backward pass (as train/trainer.ts `layerwiseParams`). */
const LAYERWISE_STEPPED = /^(model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight|lm_head\.weight)$/;

const methodLabel = (method: LedgerMethod, o: Required<Pick<MemoryLedgerOptions, 'rank' | 'loraR' | 'optim' | 'layerwise' | 'checkpointing' | 'galoreEmbedding'>> & { lossChunk?: number }): string => {
  const head = method === 'full' ? 'Full' : method === 'lora' ? `LoRA r=${o.loraR}` : `GaLore r=${o.rank}${o.galoreEmbedding ? ' (+embedding)' : ''}`;
  return `${head}, ${o.optim === 'adamw8bit' ? '8-bit AdamW' : 'AdamW'}${o.layerwise ? ', layer-wise' : ''}`
    + `${o.checkpointing ? ', checkpointed' : ''}${o.lossChunk !== undefined ? `, loss chunk ${o.lossChunk}` : ''}`;
};

/**
 * The memory ledger of one training method on a Qwen2 config. Every figure
 * is in bytes; weights, gradients and 32-bit states are float32 (what our
 * tfjs code holds). Per trainable weight W with shape [m, n], numel p:
 *
 *   weight      4 p                 (frozen weights too; LoRA adds its A, B)
 *   gradient    4 p                 (trainable only; layer-wise: the stepped
 *                                    linear weights count only their largest)
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
  const workers = options.workers ?? 0;
  if (!(Number.isInteger(workers) && workers >= 0)) throw new Error(`memoryLedger: workers must be a non-negative integer, got ${workers}`);
  if (workers > 0 && method === 'lora') throw new Error('memoryLedger: gradient workers need a plain model; LoRA adapters train without workers (workers: 0)');
  if (workers > 0 && layerwise) throw new Error('memoryLedger: layer-wise updates run on the main thread; use workers: 0 with layerwise');
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
  const checkpointing = options.checkpointing ?? false;
  const lossChunk = options.lossChunk;
  if (lossChunk !== undefined && !(Number.isInteger(lossChunk) && lossChunk >= 1)) throw new Error(`memoryLedger: lossChunk must be a positive integer, got ${lossChunk}`);
  const galoreEmbedding = options.galoreEmbedding ?? false;
  if (checkpointing && workers > 0) throw new Error('memoryLedger: activation checkpointing runs on the main thread; use workers: 0 with checkpointing');

  const breakdown: OptimizerStateBreakdown = { moments: 0, scales: 0, projectors: 0, unprojected: 0, hostResident: 0 };
  const addMoments = (n: number): number => {
    const p = momentParts(n, eightBit, layout, fb);
    breakdown.moments += 2 * p.values;
    breakdown.scales += 2 * p.scales;
    if (p.scales > 0) breakdown.hostResident += 2 * (p.values + p.scales); // 8-bit codes live in JS typed arrays
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
    } else if (method === 'galore' && (isGaloreTarget(name, galoreModules) || (galoreEmbedding && EMBEDDING_WEIGHTS.includes(name)))) {
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
  const stepped = layerwise ? trainable.filter((r) => LAYERWISE_STEPPED.test(r.name)) : [];
  const gradients = sum(trainable.filter((r) => !stepped.includes(r)).map((r) => r.gradientBytes))
    + Math.max(0, ...stepped.map((r) => r.gradientBytes));
  const optimizerStates = sum(params.map((r) => r.stateBytes));
  const targets = loraTargets === 'all' || loraTargets === 'all-linear' ? LINEAR_MODULE_NAMES : loraTargets;
  const lora = method === 'lora' ? { lora: { r: loraR, targets } } : {};
  // with workers the main thread differentiates only the first of min(W + 1, B) row ranges
  const parts = Math.min(workers + 1, batchSize);
  const mainRows = Math.floor(batchSize / parts);
  const chunkOpt = lossChunk !== undefined ? { vocabChunk: lossChunk } : {};
  let activations = activationBytes(cfg, { batchSize: mainRows, seqLen, ...lora });
  if (lossChunk !== undefined) activations = withChunkedLoss(activations, cfg, mainRows * seqLen);
  // each stepped weight leaves a one-float placeholder gradient on the tape
  let backwardWorkspace = backwardWorkspaceBytes(cfg, { batchSize: mainRows, seqLen, ...lora, ...chunkOpt }) + FLOAT32_BYTES * stepped.length;
  const tapeRows = trainable.filter((r) => !stepped.includes(r));
  const tapeGradients = sum(tapeRows.map((r) => r.gradientBytes));
  // the larger of one weight's update temporaries and, for GaLore, its subspace refresh (first step, every gap)
  const stepWorkspace = Math.max(0, ...tapeRows.map((r) => Math.max(optimizerStepWorkspaceBytes(r), galoreRefreshWorkspaceBytes(r, rank))));
  let phases: LedgerPhases;
  let gradientsHeld = gradients;
  if (checkpointing) {
    const layerRows = tapeRows.filter((r) => /(?:^|\.)layers\.\d+\./.test(r.name));
    const layerGradients = sum(layerRows.map((r) => r.gradientBytes));
    const steppedInBackward = Math.max(0, ...stepped.map((r) => r.gradientBytes + Math.max(optimizerStepWorkspaceBytes(r), galoreRefreshWorkspaceBytes(r, rank))));
    const layerActs = activations.perLayer + activations.adapters / cfg.num_hidden_layers;
    const layerWs = layerWorkspaceBytes(cfg, { batchSize, seqLen, ...lora });
    const p = checkpointedPhases({
      batchSize, seqLen, hidden: cfg.hidden_size, vocab: cfg.vocab_size, layers: cfg.num_hidden_layers,
      vocabChunk: lossChunk ?? cfg.vocab_size, layerActivations: layerActs, layerWorkspace: layerWs,
      layerGradients, otherGradients: tapeGradients - layerGradients, steppedInBackward, stepWorkspace,
    });
    const inputs = FLOAT32_BYTES * (cfg.num_hidden_layers + 1) * batchSize * seqLen * cfg.hidden_size;
    activations = { ...activations, layers: inputs + layerActs, crossEntropy: 0, adapters: 0, finalNormAndHead: 0 };
    activations.total = activations.tokenIds + activations.rotaryTables + activations.layers + activations.weightCopies;
    backwardWorkspace = Math.max(p.layer, p.head) - activations.total - tapeGradients;
    gradientsHeld = tapeGradients;
    phases = { forwardBackward: Math.max(p.layer, p.head), optimizerStep: p.step };
  } else {
    phases = { forwardBackward: gradients + activations.total + backwardWorkspace, optimizerStep: tapeGradients + stepWorkspace };
  }
  let workerMemory: WorkerMemory | undefined;
  if (workers > 0) {
    const workerRows = Array.from({ length: workers }, (_, i) => (i + 1 < parts ? mainRows + (i + 1 <= batchSize % parts ? 1 : 0) : 0));
    const replicaGradients = sum(trainable.map((r) => r.gradientBytes));
    const activationsAndWorkspace = sum(workerRows.filter((r) => r > 0).map((r) =>
      activationBytes(cfg, { batchSize: r, seqLen }).total + backwardWorkspaceBytes(cfg, { batchSize: r, seqLen })));
    const sharedBuffers = weights + workers * replicaGradients;
    workerMemory = {
      count: workers, mainRows, workerRows, replicaWeights: weights, replicaGradients, activationsAndWorkspace, sharedBuffers,
      total: workers * (weights + replicaGradients) + activationsAndWorkspace + sharedBuffers,
    };
  }

  const assumptions = [
    'float32 weights, gradients and 32-bit optimizer states (what our TensorFlow.js code holds)',
    `activations: tensors our forward pass saves for the backward pass at batch ${mainRows} x ${seqLen} tokens on the wasm backend (weights are read, not copied)`,
    'backward workspace: gradients of activations and temporaries tfjs keeps until the backward pass ends (frozen weights form no gradient)',
  ];
  if (eightBit) {
    assumptions.push(`8-bit moments: 1 byte per element + one float32 absmax per ${layout.blockSize} elements; tensors under ${layout.minSize} elements keep float32 moments`);
    assumptions.push('8-bit moments live in JavaScript memory (typed arrays stepped on the CPU), so the backend\'s peak (total) leaves them out; processTotal counts them');
  }
  if (method === 'galore') {
    assumptions.push(galoreEmbedding
      ? `GaLore (proj_type ${projType}) on ${galoreModules.join(', ')} and the embedding${cfg.tie_word_embeddings ? ' (tied to lm_head)' : ' and lm_head'}; norms and biases keep ${eightBit ? '8-bit ' : ''}AdamW states`
      : `GaLore (proj_type ${projType}) on ${galoreModules.join(', ')}; the embedding${cfg.tie_word_embeddings ? ' (tied to lm_head)' : ' and lm_head'}, norms and biases keep ${eightBit ? '8-bit ' : ''}AdamW states`);
  }
  assumptions.push('optimizer step: the largest temporaries of stepping one weight after the backward pass (AdamW 13x, 8-bit AdamW 3x its elements, GaLore 2x plus its low-rank moments, or in place by blocks for 2^20 elements or more; a GaLore subspace refresh about 3.1 max(m, n) min(2r, m, n) floats; see step-phases.ts); the peak is the larger of the backward pass and this step');
  if (lossChunk !== undefined) assumptions.push(`loss over the vocabulary in chunks of ${lossChunk} rows: the full logits and their gradient never exist; one chunk's temporaries instead`);
  if (checkpointing) {
    assumptions.push('activation checkpointing: the forward pass keeps only each layer\'s input; the backward pass recomputes and differentiates one layer at a time, so the peak holds the layer inputs, one layer\'s activations and workspace, and the gradients formed so far (largest of the layer, loss-head and optimizer-step phases)');
  }
  if (method === 'lora') assumptions.push(`LoRA r=${loraR} on ${targets.join(', ')}${options.dora ? ' with DoRA magnitudes' : ''}; base weights frozen (no gradient, no state); no dropout${options.dora ? '; DoRA\'s extra activations are not modelled' : ''}`);
  if (layerwise) {
    assumptions.push('layer-wise: the decoder layers\' linear weights' + (cfg.tie_word_embeddings ? '' : ' and lm_head')
      + ' are stepped and their gradients freed inside the backward pass; the embedding, norms, biases'
      + (method === 'lora' ? ' and adapter weights' : '') + ' keep theirs on the tape; counted: those plus the largest single stepped gradient'
      + ' (an upper bound: that gradient lives only during its step), not the optimizer\'s own temporaries while it steps one weight');
  }
  if (workerMemory) {
    assumptions.push(`gradient workers: ${workers} worker thread(s), each with a replica of the weights, its gradients and its rows' activations and workspace`
      + ` (rows: main ${mainRows}, workers ${workerMemory.workerRows.join(', ')}), plus shared buffers (weights once, gradients per worker);`
      + ' this is process memory beside the main wasm heap (reported apart in `workers`, not in `total`), and the main heap\'s activations are those of its own rows');
  }

  const deviceStates = optimizerStates - breakdown.hostResident;
  const ledger: MemoryLedger = {
    method, optim, layerwise, label: methodLabel(method, { rank, loraR, optim, layerwise, checkpointing, galoreEmbedding, lossChunk }), batchSize, seqLen,
    params, totalParams: sum(params.map((r) => numel(r.shape))), trainableParams: sum(trainable.map((r) => numel(r.shape))),
    weights, gradients: gradientsHeld, optimizerStates, optimizerBreakdown: breakdown,
    optimizerStateReduction: 1 - optimizerStates / (2 * fb * sum([...weightShapes(cfg).values()].map(numel))),
    activations, backwardWorkspace, stepWorkspace,
    phases: { forwardBackward: weights + deviceStates + phases.forwardBackward, optimizerStep: weights + deviceStates + phases.optimizerStep },
    total: weights + deviceStates + Math.max(phases.forwardBackward, phases.optimizerStep),
    ...(workerMemory ? { workers: workerMemory } : {}),
    processTotal: weights + optimizerStates + Math.max(phases.forwardBackward, phases.optimizerStep) + (workerMemory?.total ?? 0),
    assumptions,
  };
  return ledger;
}
