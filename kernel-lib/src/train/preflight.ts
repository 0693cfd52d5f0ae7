import * as tf from '@tensorflow/tfjs';
import type { Qwen2Config } from '../model/config';
import { LedgerMethod, memoryLedger, MemoryLedger, MemoryLedgerOptions } from '../memory/memory-ledger';

/** The wasm backend's heap cannot grow past 4 GiB (65536 pages of 64 KiB). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

/** How much memory the backend in use can hold, and where the figure comes from. */
export interface BackendCapacity {
  bytes: number | null;
  source: string;
}

/**
 * The memory cap of the current backend: 4 GiB on wasm (its heap limit),
 * `GALORE_LAB_MEMORY_CAP` bytes when set, unknown (null) otherwise.
 *
 * @example
 * backendCapacity(); // { bytes: 4294967296, source: 'wasm heap limit' }
 */
export function backendCapacity(): BackendCapacity {
  const env = process.env.GALORE_LAB_MEMORY_CAP;
  if (env) {
    const bytes = parseByteSize(env);
    return { bytes, source: 'GALORE_LAB_MEMORY_CAP' };
  }
  if (tf.getBackend() === 'wasm') return { bytes: WASM_HEAP_LIMIT_BYTES, source: 'wasm heap limit' };
  return { bytes: null, source: `no known limit for the ${tf.getBackend()} backend` };
}

/** Parse `4GiB`, `512MiB`, `3.5GB` or a plain byte count. */
export function parseByteSize(text: string): number {
  const m = /^\s*([\d.]+)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\s*$/i.exec(text);
  if (!m || !Number.isFinite(Number(m[1]))) throw new Error(`"${text}" is not a byte size (e.g. 4GiB, 512MiB, 1000000)`);
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };
  return Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]);
}

const gib = (n: number): string => `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** What the pre-flight check found. */
export interface PreflightResult {
  fits: boolean;
  ledger: MemoryLedger;
  capacity: BackendCapacity;
  /** Other methods on the same model and batch, with their predicted peaks. */
  alternatives: { label: string; flags: string; total: number; fits: boolean }[];
  message: string;
}

/** The method variants the trainer can run, for suggesting alternatives. */
const ALTERNATIVES: { method: LedgerMethod; options: MemoryLedgerOptions; flags: string }[] = [
  { method: 'full', options: { optim: 'adamw' }, flags: '--method full' },
  { method: 'full', options: { optim: 'adamw8bit' }, flags: '--method full --optim adamw8bit' },
  { method: 'lora', options: { optim: 'adamw' }, flags: '--method lora' },
  { method: 'galore', options: { optim: 'adamw' }, flags: '--method galore' },
  { method: 'galore', options: { optim: 'adamw8bit' }, flags: '--method galore --optim adamw8bit' },
  { method: 'lora', options: { optim: 'adamw', checkpointing: true, lossChunk: 4096 }, flags: '--method lora --checkpointing --loss-chunk 4096' },
  {
    method: 'galore', options: { optim: 'adamw8bit', layerwise: true, checkpointing: true, lossChunk: 4096, galoreEmbedding: true },
    flags: '--method galore --optim adamw8bit --layerwise --checkpointing --loss-chunk 4096 --galore-embedding',
  },
];

/**
 * Predict a run's peak with the memory ledger before any weight is loaded,
 * and compare it with what the backend can hold. When it does not fit, the
 * message says how much it needs (by part), how much there is, and which
 * methods would fit.
 *
 * @example
 * const r = preflightCheck(config, 'full', { batchSize: 1, seqLen: 256 }, { bytes: 4 * 2 ** 30, source: 'wasm heap limit' });
 * if (!r.fits) throw new Error(r.message);
 */
export function preflightCheck(cfg: Qwen2Config, method: LedgerMethod, options: MemoryLedgerOptions, capacity: BackendCapacity = backendCapacity()): PreflightResult {
  const ledger = memoryLedger(cfg, method, options);
  const cap = capacity.bytes;
  const fits = cap === null || ledger.total <= cap;
  const alternatives = ALTERNATIVES.map(({ method: m, options: o, flags }) => {
    // each alternative as the flags spell it (the run's own memory options do not carry over)
    const l = memoryLedger(cfg, m, {
      batchSize: options.batchSize, seqLen: options.seqLen, rank: options.rank, loraR: options.loraR, loraTargets: options.loraTargets, ...o,
    });
    return { label: l.label, flags, total: l.total, fits: cap === null || l.total <= cap };
  });
  const parts = `weights ${gib(ledger.weights)}, gradients ${gib(ledger.gradients)}, optimizer states ${gib(ledger.optimizerStates)}, ` +
    `activations ${gib(ledger.activations.total)}, backward workspace ${gib(ledger.backwardWorkspace)}, ` +
    `optimizer-step temporaries ${gib(ledger.stepWorkspace)}; peak at the end of the backward pass ${gib(ledger.phases.forwardBackward)}, ` +
    `while the optimizer steps ${gib(ledger.phases.optimizerStep)}`;
  let message: string;
  if (fits) {
    message = `memory: predicted peak ${gib(ledger.total)} for ${ledger.label} at batch ${ledger.batchSize} x ${ledger.seqLen}` +
      (cap === null ? ` (${capacity.source})` : ` of ${gib(cap)} (${capacity.source})`);
  } else {
    const ok = alternatives.filter((a) => a.fits);
    message = `This run does not fit: ${ledger.label} at batch ${ledger.batchSize} x ${ledger.seqLen} needs about ${gib(ledger.total)} ` +
      `(${parts}), but the backend can hold ${gib(cap!)} (${capacity.source}).\n` +
      (ok.length
        ? `Methods that would fit: ${ok.map((a) => `${a.label} (${gib(a.total)}: ${a.flags})`).join('; ')}.`
        : 'No method fits at this batch size and sequence length; lower --batch-size or --seq-len.') +
      '\n(Override the cap with --memory-cap or GALORE_LAB_MEMORY_CAP, or skip this check with --no-preflight.)';
  }
  return { fits, ledger, capacity, alternatives, message };
}
