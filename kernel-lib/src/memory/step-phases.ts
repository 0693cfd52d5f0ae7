/**
 * The peak of a training step as the largest of its phases, for what the
 * plain sum (weights + gradients + states + activations + workspace) does not
 * cover: the optimizer's own temporaries while it steps one weight, and the
 * shape of a step with activation checkpointing and a chunked loss, where the
 * activations of only one layer exist at a time.
 *
 * Optimizer temporaries, measured with `trackBackendBuffers` on the wasm
 * backend (tests/memory/step-phases.test.ts), for one weight of p elements:
 *   AdamW (float32 moments)  13 p floats: its fused update builds every
 *                            intermediate (m, v, sqrt, denominators...) inside
 *                            one tidy, the new m and v included
 *   8-bit AdamW              3 p: dequantised m and v are stepped block-wise
 *   GaLore                   2 p + q (8-bit) or 2 p + 3 q (float32 moments),
 *                            q = the low-rank moments' elements: the
 *                            projected-back update and its scaled copy, then
 *                            the scaled copy and the new weight, beside the
 *                            low-rank direction (and, float32, the new moments);
 *                            weights of 2^24 elements or more are updated a
 *                            block of 2^20 at a time into their own buffer
 *                            (wasm): 2 q + 5 blocks
 * The gradient being stepped is counted with the gradients.
 *
 * Activation checkpointing (train/checkpointed-gradients.ts), N = B T
 * tokens, d hidden, V vocabulary, c vocabulary rows per loss chunk:
 *   layer phase   the L + 1 layer inputs and the incoming gradient
 *                 ((L + 2) N d) + one layer's saved activations and backward
 *                 workspace (as the plain ledger counts them per layer) + the
 *                 gradients formed so far (all layers', an upper bound) +
 *                 with layer-wise updates the largest stepped weight's
 *                 gradient, dW temporary and optimizer temporaries
 *   head phase    the layer inputs, the final hidden states and dh (3 N d),
 *                 one chunk's temporaries (7 N c + 3 c d), and the
 *                 gradients outside the layers (on wasm the embedding's
 *                 gradient buffer, reused from batch to batch, is held from
 *                 the start of the batch)
 *   step phase    every gradient kept for the step (the embedding's, when
 *                 trained, assembled once) + the largest weight's optimizer
 *                 temporaries
 * plus, in every phase, the weights and the optimizer states.
 */
import { LARGE_MATRIX_ELEMENTS, ROW_BLOCK_ELEMENTS, usesGramRightSvd } from '../linalg/large-matrix';
import { FLOAT32_BYTES, numel } from './optimizer-state-bytes';


/** What the optimizer holds for one weight (the ledger row's `stateKind` and shapes). */
export interface SteppedWeight {
  shape: number[];
  stateKind: string;
  /** GaLore: the low-rank moments' shape. */
  moments?: number[];
}

/**
 * Bytes an optimizer step of one weight allocates beyond the weight and its
 * gradient (see the module comment).
 *
 * @example
 * optimizerStepWorkspaceBytes({ shape: [151936, 896], stateKind: 'galore8bit', moments: [151936, 128] });
 */
export function optimizerStepWorkspaceBytes(w: SteppedWeight): number {
  const p = numel(w.shape);
  switch (w.stateKind) {
    case 'adamw': return FLOAT32_BYTES * 13 * p;
    case 'adamw8bit': return FLOAT32_BYTES * 3 * p;
    case 'galore':
    case 'galore8bit': {
      const q = numel(w.moments ?? w.shape);
      // large weights are updated a block of 2^20 elements at a time, written into their own
      // buffer (wasm): the projected gradient and the direction, ~5 blocks of temporaries
      if (p >= LARGE_MATRIX_ELEMENTS) return FLOAT32_BYTES * (2 * q + 5 * Math.min(p, ROW_BLOCK_ELEMENTS));
      return FLOAT32_BYTES * (2 * p + (w.stateKind === 'galore' ? 3 : 1) * q);
    }
    default: return 0;
  }
}

/**
 * Bytes GaLore's subspace refresh of one weight allocates beyond the weight
 * and its gradient (randomized SVD, sketch of l = min(2 r, m, n) columns):
 * about 3.1 max(m, n) l floats (the sketch, its orthonormalised copy and a
 * transposed product), measured on the wasm backend for tall gradients; a
 * large tall gradient with a side of at most 1024 (an embedding's) is
 * diagonalised through its Gram matrix instead (a few 2^20-value blocks and
 * the projected gradient); 0 for weights GaLore does not project. It happens every
 * `update_proj_gap` steps, the first step included.
 *
 * @example
 * galoreRefreshWorkspaceBytes({ shape: [151936, 896], stateKind: 'galore8bit', moments: [151936, 128] }, 128);
 */
export function galoreRefreshWorkspaceBytes(w: SteppedWeight, rank: number): number {
  if (w.stateKind !== 'galore' && w.stateKind !== 'galore8bit') return 0;
  const [m, n] = w.shape;
  // a large tall gradient with a small side gets its subspace from the Gram matrix over row blocks
  // (linalg/gram-svd.ts): a few blocks, the projected gradient for the energy figure
  if (usesGramRightSvd(m, n)) return FLOAT32_BYTES * (numel(w.moments ?? [m, Math.min(rank, n)]) + 3 * ROW_BLOCK_ELEMENTS + n * n);
  const l = Math.min(2 * rank, m, n);
  return Math.ceil(FLOAT32_BYTES * 3.1 * Math.max(m, n) * l);
}

/** The phases of a checkpointed step, in bytes, each beyond weights and optimizer states. */
export interface CheckpointedPhases {
  /** Recomputing and differentiating one decoder layer (the top one: most inputs alive). */
  layer: number;
  /** The loss and lm_head, one vocabulary chunk at a time. */
  head: number;
  /** The optimizer step after the backward pass. */
  step: number;
}

export interface CheckpointedPhaseInput {
  batchSize: number;
  seqLen: number;
  hidden: number;
  vocab: number;
  layers: number;
  /** Vocabulary rows per loss chunk (the whole vocabulary without chunking). */
  vocabChunk: number;
  /** One layer's saved activations (bytes). */
  layerActivations: number;
  /** One layer's backward workspace (bytes). */
  layerWorkspace: number;
  /** Gradients of the decoder layers that stay for the step (bytes). */
  layerGradients: number;
  /** Gradients outside the layers that stay for the step: embedding, final norm, lm_head (bytes). */
  otherGradients: number;
  /** Layer-wise: the largest stepped weight's gradient + dW temporary + optimizer temporaries (bytes); 0 otherwise. */
  steppedInBackward: number;
  /** The largest optimizer temporaries of a weight stepped after the backward pass (bytes). */
  stepWorkspace: number;
}

/**
 * The three phases of a step with activation checkpointing (see the module
 * comment).
 *
 * @example
 * const p = checkpointedPhases({ batchSize: 1, seqLen: 256, hidden: 896, vocab: 151936, layers: 24, vocabChunk: 16384, ... });
 */
export function checkpointedPhases(x: CheckpointedPhaseInput): CheckpointedPhases {
  const F = FLOAT32_BYTES;
  const N = x.batchSize * x.seqLen;
  const c = Math.min(x.vocabChunk, x.vocab);
  const inputs = F * (x.layers + 1) * N * x.hidden;
  return {
    layer: inputs + F * N * x.hidden + x.layerActivations + x.layerWorkspace + x.layerGradients + x.otherGradients + x.steppedInBackward,
    head: inputs + F * (3 * N * x.hidden + 7 * N * c + 3 * c * x.hidden) + x.otherGradients,
    step: x.layerGradients + x.otherGradients + x.stepWorkspace,
  };
}
