import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSftJsonl } from '../data/sft-examples';
import { loadPretrained, savePretrained } from '../model/model-folder';
import { adamW } from '../optim/adamw';
import { adamW8bit } from '../optim/adamw-8bit';
import { galoreAdamW } from '../optim/galore-adamw';
import { GaloreTarget, parseGaloreTarget } from '../optim/param-groups';
import { attachLoraFromFlags, LORA_FLAGS } from '../peft/lora-flags';
import { saveAdapter } from '../peft/adapter-io';
import type { Optimizer } from '../optim/optimizer';
import type { SchedulerName } from '../train/lr-schedule';
import { trainModel } from '../train/trainer';
import { parallelGradientEngine, suggestedGradientWorkers } from '../train/parallel-gradients';
import { backendCapacity, parseByteSize, preflightCheck } from '../train/preflight';
import { initBackend } from '../backend/select-backend';
import { readQwen2Config } from '../model/config';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { LedgerMethod } from '../memory/memory-ledger';
import { FlagSpec, UsageError, nonNegativeInt, numberFlag, parseCommandArgs, positiveInt, requiredFlag } from './args';
import { formatBytes, sparkline } from './format';

export const TRAIN_FLAGS: FlagSpec = {
  model: { type: 'string' }, data: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' },
  steps: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, 'seq-len': { type: 'string' },
  'grad-accum': { type: 'string' }, lr: { type: 'string' }, 'lr-scheduler': { type: 'string' }, 'warmup-steps': { type: 'string' },
  'adam-beta1': { type: 'string' }, 'adam-beta2': { type: 'string' }, 'adam-eps': { type: 'string' }, 'weight-decay': { type: 'string' },
  'max-grad-norm': { type: 'string' }, seed: { type: 'string' }, 'no-shuffle': { type: 'boolean' }, log: { type: 'string' },
  'save-every': { type: 'string' }, optim: { type: 'string' }, layerwise: { type: 'boolean' },
  rank: { type: 'string' }, 'update-proj-gap': { type: 'string' }, scale: { type: 'string' }, 'proj-type': { type: 'string' },
  'galore-svd': { type: 'string' }, 'galore-moments': { type: 'string' }, 'galore-target': { type: 'string' },
  ...LORA_FLAGS, 'memory-cap': { type: 'string' }, workers: { type: 'string' }, 'no-preflight': { type: 'boolean' }, resume: { type: 'string' }, 'save-dtype': { type: 'string' }, quiet: { type: 'boolean' },
  checkpointing: { type: 'boolean' }, 'loss-chunk': { type: 'string' }, 'galore-embedding': { type: 'boolean' },
};

/** Build the optimizer a `--method` asks for. */
export function optimizerFromFlags(v: Record<string, unknown>): Optimizer {
  const method = (v.method as string | undefined) ?? 'full';
  const betas: [number, number] = [
    numberFlag(v, 'adam-beta1', 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    numberFlag(v, 'adam-beta2', 0.999, (x) => x >= 0 && x < 1, 'in [0, 1)'),
  ];
  const eps = numberFlag(v, 'adam-eps', 1e-8, (x) => x > 0, 'a positive number');
  const weightDecay = numberFlag(v, 'weight-decay', 0, (x) => x >= 0, 'a non-negative number');
  const optim = (v.optim as string | undefined) ?? 'adamw';
  if (!['adamw', 'adamw8bit'].includes(optim)) throw new UsageError(`--optim must be adamw or adamw8bit, got "${optim}"`);
  if (method === 'full' || method === 'lora') return optim === 'adamw8bit' ? adamW8bit({ betas, eps, weightDecay }) : adamW({ betas, eps, weightDecay });
  if (method === 'galore') {
    const oneOf = (name: string, allowed: string[], fallback: string): string => {
      const val = (v[name] as string | undefined) ?? fallback;
      if (!allowed.includes(val)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${val}"`);
      return val;
    };
    return galoreAdamW({
      betas, eps, weightDecay,
      rank: numberFlag(v, 'rank', 16, positiveInt, 'a positive integer'),
      update_proj_gap: numberFlag(v, 'update-proj-gap', 200, positiveInt, 'a positive integer'),
      scale: numberFlag(v, 'scale', 0.25, (x) => x > 0, 'a positive number'),
      proj_type: oneOf('proj-type', ['std', 'reverse_std', 'left', 'right', 'full'], 'std') as never,
      svd: oneOf('galore-svd', ['randomized', 'exact'], 'randomized') as never,
      momentsOnRefresh: oneOf('galore-moments', ['keep', 'reset', 'reproject'], 'keep') as never,
      target: galoreTargetFromFlags(v),
      stateBits: optim === 'adamw8bit' ? 8 : 32,
    });
  }
  throw new UsageError(`--method ${method}: unknown method (expected full, lora or galore)`);
}

/** `--galore-target` (default all) plus, with `--galore-embedding`, the embedding and an untied lm_head. */
function galoreTargetFromFlags(v: Record<string, unknown>): GaloreTarget[] | undefined {
  const base = v['galore-target'] ? parseGaloreTarget(v['galore-target'] as string) : undefined;
  if (!v['galore-embedding']) return base;
  return [...(base ?? ['all']), 'embed_tokens', 'lm_head'];
}

/**
 * `--workers N|auto` (default auto): data-parallel gradients in worker threads
 * (the wasm backend runs one thread, so a second core needs a worker). Auto
 * uses min(cores - 1, batch - 1) workers for plain models and none for
 * adapters (LoRA) or the multithreaded tensorflow backend.
 */
export function gradientEngineFromFlags(v: Record<string, unknown>, model: Qwen2ForCausalLM, batchSize: number, out: (line: string) => void) {
  const flag = (v.workers as string | undefined) ?? 'auto';
  const params = model.trainableParams();
  let workers: number;
  if (flag === 'auto') workers = suggestedGradientWorkers(model, params, batchSize);
  else {
    workers = Number(flag);
    if (!Number.isInteger(workers) || workers < 0) throw new UsageError(`--workers must be auto or a non-negative integer, got "${flag}"`);
  }
  if (workers === 0) return undefined;
  out(`gradients: this thread + ${workers} worker thread${workers > 1 ? 's' : ''} (data parallel; --workers 0 to disable)`);
  return parallelGradientEngine(model, params, { workers });
}

/**
 * `galore-lab train --model DIR --data FILE --out DIR [--method full] [...]`:
 * fine-tune and save the result as a Hugging Face folder. One JSON line per
 * step goes to `--log` (default OUT/train_log.jsonl).
 */
export async function trainCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, TRAIN_FLAGS, 'train');
  const modelDir = requiredFlag(v, 'model', 'train');
  const dataFile = requiredFlag(v, 'data', 'train');
  const outDir = requiredFlag(v, 'out', 'train');
  const scheduler = (v['lr-scheduler'] as string | undefined) ?? 'linear';
  if (!['constant', 'linear', 'cosine'].includes(scheduler)) throw new UsageError(`--lr-scheduler must be constant, linear or cosine, got "${scheduler}"`);
  const saveDtype = ((v['save-dtype'] as string | undefined) ?? 'f32').toLowerCase();
  if (!['f32', 'bf16'].includes(saveDtype)) throw new UsageError(`--save-dtype must be f32 or bf16, got "${saveDtype}"`);
  if (v['galore-embedding'] && v.method !== 'galore') throw new UsageError('--galore-embedding is for --method galore');
  if ((v.checkpointing || v['loss-chunk'] !== undefined) && v.workers !== undefined && v.workers !== '0' && v.workers !== 'auto') {
    throw new UsageError('--checkpointing and --loss-chunk run on this thread: use --workers 0');
  }
  if (v.checkpointing || v['loss-chunk'] !== undefined) v.workers = '0';
  if (v.layerwise) {
    if (v['max-grad-norm'] !== undefined && Number(v['max-grad-norm']) > 0) throw new UsageError('--layerwise steps each weight during the backward pass, so it cannot clip by the global norm: drop --max-grad-norm');
    if (v['grad-accum'] !== undefined && Number(v['grad-accum']) > 1) throw new UsageError('--layerwise cannot accumulate gradients: drop --grad-accum');
    if (v.workers !== undefined && v.workers !== '0' && v.workers !== 'auto') throw new UsageError('--layerwise runs on this thread: use --workers 0');
    v.workers = '0';
  }
  const optimizer = optimizerFromFlags(v);
  const opts = {
    steps: v.steps === undefined ? undefined : numberFlag(v, 'steps', 1, positiveInt, 'a positive integer'),
    epochs: numberFlag(v, 'epochs', 1, (x) => x > 0, 'a positive number'),
    batchSize: numberFlag(v, 'batch-size', 4, positiveInt, 'a positive integer'),
    seqLen: numberFlag(v, 'seq-len', 256, (x) => positiveInt(x) && x >= 2, 'an integer >= 2'),
    gradAccumSteps: numberFlag(v, 'grad-accum', 1, positiveInt, 'a positive integer'),
    lr: numberFlag(v, 'lr', 1e-4, (x) => x >= 0, 'a non-negative number'),
    scheduler: scheduler as SchedulerName,
    warmupSteps: numberFlag(v, 'warmup-steps', 0, nonNegativeInt, 'a non-negative integer'),
    maxGradNorm: numberFlag(v, 'max-grad-norm', v.layerwise ? 0 : 1.0, (x) => x >= 0, 'a non-negative number (0 = off)'),
    layerwise: Boolean(v.layerwise),
    seed: numberFlag(v, 'seed', 42, nonNegativeInt, 'a non-negative integer'),
    shuffle: !v['no-shuffle'],
    saveEvery: numberFlag(v, 'save-every', 0, nonNegativeInt, 'a non-negative integer'),
    logFile: (v.log as string | undefined) ?? path.join(outDir, 'train_log.jsonl'),
    outDir,
    resumeFrom: v.resume as string | undefined,
    progress: !v.quiet,
    activationCheckpointing: Boolean(v.checkpointing),
    lossChunkSize: v['loss-chunk'] === undefined ? undefined : numberFlag(v, 'loss-chunk', 1, positiveInt, 'a positive integer (vocabulary rows per chunk)'),
  };
  await initBackend();
  let predictedPeak: number | null = null;
  if (!v['no-preflight']) {
    const method = ((v.method as string | undefined) ?? 'full') as LedgerMethod;
    let capacity = backendCapacity();
    if (typeof v['memory-cap'] === 'string') {
      try {
        capacity = { bytes: parseByteSize(v['memory-cap']), source: '--memory-cap' };
      } catch (e) {
        throw new UsageError(`--memory-cap: ${(e as Error).message}`);
      }
    }
    const loraTargets = v['lora-target'] as string[] | undefined;
    const check = preflightCheck(readQwen2Config(modelDir), method, {
      optim: (v.optim as 'adamw' | 'adamw8bit' | undefined) ?? 'adamw', layerwise: Boolean(v.layerwise),
      checkpointing: opts.activationCheckpointing, lossChunk: opts.lossChunkSize, galoreEmbedding: Boolean(v['galore-embedding']),
      batchSize: opts.batchSize, seqLen: opts.seqLen,
      rank: method === 'galore' ? numberFlag(v, 'rank', 16, positiveInt, 'a positive integer') : undefined,
      loraR: method === 'lora' ? numberFlag(v, 'lora-r', 8, positiveInt, 'a positive integer') : undefined,
      loraTargets: method === 'lora' ? (loraTargets?.some((t) => /all/.test(t)) ? 'all-linear' : (loraTargets?.flatMap((t) => t.split(',')) ?? ['q_proj', 'v_proj'])) : undefined,
    }, capacity);
    if (!check.fits) throw new Error(check.message);
    out(check.message);
    predictedPeak = check.ledger.total;
  }
  const { model, tokenizer } = await loadPretrained(modelDir);
  try {
    const examples = readSftJsonl(dataFile, tokenizer, { vocabSize: model.config.vocab_size });
    fs.mkdirSync(outDir, { recursive: true });
    out(`training ${modelDir} (${(model.weightBytes() / 4).toLocaleString('en-US')} parameters) on ${examples.length} examples from ${dataFile}`);
    const method = (v.method as string | undefined) ?? 'full';
    if (method !== 'lora' && (v.adapter !== undefined)) throw new UsageError('--adapter is only for --method lora');
    const lora = method === 'lora' ? await attachLoraFromFlags(model, v, { seed: opts.seed }) : null;
    if (lora) out(lora.report);
    const trained = lora ? lora.trainingModel : model;
    const engine = gradientEngineFromFlags(v, trained, opts.batchSize, out);
    let result;
    try {
      result = await trainModel(trained, optimizer, examples, { ...opts, gradientEngine: engine }, tokenizer?.padTokenId ?? 0);
    } finally {
      engine?.dispose();
    }
    if (lora) {
      await saveAdapter(lora.adapter, outDir, { baseModelNameOrPath: modelDir, dtype: saveDtype === 'bf16' ? 'BF16' : 'F32' });
      tokenizer?.save(outDir);
    } else {
      await savePretrained(model, outDir, { dtype: saveDtype === 'bf16' ? 'BF16' : 'F32', tokenizer });
    }
    const losses = result.log.map((r) => r.loss);
    const last = result.log[result.log.length - 1];
    out(`loss ${losses[0]?.toFixed(4)} -> ${last?.loss.toFixed(4)}  ${sparkline(losses)}`);
    out(`${result.steps} steps in ${(result.wallMs / 1000).toFixed(1)} s; tensors held at step end ${formatBytes(last?.memory ?? 0)}` +
      (last?.wasm_heap ? `; wasm heap ${formatBytes(last.wasm_heap)}` : ''));
    if (last?.wasm_heap && predictedPeak !== null) {
      const gap = (last.wasm_heap - predictedPeak) / predictedPeak;
      out(`memory: wasm heap high-water mark ${formatBytes(last.wasm_heap)} vs predicted peak ${formatBytes(predictedPeak)} ` +
        `(${gap >= 0 ? '+' : ''}${(100 * gap).toFixed(1)}%; the heap also holds the backend's own buffers and grows in steps of up to 96 MiB)`);
    }
    out(`saved ${method === 'lora' ? 'adapter (PEFT format)' : 'model'} -> ${outDir}; log -> ${opts.logFile}`);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return 0;
}
