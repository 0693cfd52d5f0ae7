import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelWeights, saveModelWeights } from '../io/model-weights';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { Optimizer, OptimizerSnapshot } from '../optim/optimizer';
import { makeSiblingTempDir, replaceDirAtomic } from '../util/atomic-write';
import type { DataPosition } from '../data/batching';

/** What `trainer_state.json` records besides weights and optimizer state. */
export interface TrainerState {
  global_step: number;
  data_position: DataPosition;
  /** The per-step log so far (so a resumed run's log is complete). */
  log_history: Record<string, unknown>[];
  /** Options the run was started with; a resume checks the ones that must match. */
  options: Record<string, unknown>;
}

const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FILE = 'trainer_state.json';

/**
 * Write a checkpoint folder atomically: model weights (F32, HF names),
 * config.json, optimizer state (`optimizer.safetensors`, its bookkeeping in
 * the metadata) and `trainer_state.json`. Everything goes into a sibling temp
 * folder that is then swapped in, so a crash leaves the previous checkpoint
 * intact.
 *
 * @example
 * await saveCheckpoint('out/checkpoint-100', model, optimizer, state);
 */
export async function saveCheckpoint(dir: string, model: Qwen2ForCausalLM, optimizer: Optimizer, state: TrainerState): Promise<void> {
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const tmp = await makeSiblingTempDir(dir);
  const weights = [...model.weightData()].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
  await saveModelWeights(tmp, weights, { dtype: 'F32' });
  fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(model.config, null, 2) + '\n');
  const snap = optimizer.snapshot();
  await writeSafetensors(path.join(tmp, OPTIMIZER_FILE),
    [...snap.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
    { dtype: 'F32', metadata: { kind: snap.kind, config: JSON.stringify(snap.config), json: JSON.stringify(snap.json) } });
  fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state, null, 1) + '\n');
  await replaceDirAtomic(tmp, dir);
}

/**
 * Load a checkpoint written by `saveCheckpoint` into an existing model and
 * optimizer; returns the trainer state to continue from.
 *
 * @example
 * const state = await loadCheckpoint('out/checkpoint-100', model, optimizer);
 */
export async function loadCheckpoint(dir: string, model: Qwen2ForCausalLM, optimizer: Optimizer): Promise<TrainerState> {
  const stateFile = path.join(dir, STATE_FILE);
  if (!fs.existsSync(stateFile)) throw new Error(`${dir}: not a checkpoint (no ${STATE_FILE})`);
  let state: TrainerState;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch (e) {
    throw new Error(`${stateFile}: not valid JSON (${(e as Error).message})`);
  }
  if (!Number.isInteger(state.global_step) || !state.data_position) throw new Error(`${stateFile}: missing global_step or data_position`);
  const weights = await loadModelWeights(dir, { names: [...model.weights.keys()] });
  for (const [name, v] of model.weights) {
    const w = weights.get(name)!;
    if (w.shape.join() !== v.shape.join()) throw new Error(`${dir}: tensor "${name}" has shape [${w.shape}], model has [${v.shape}]`);
    v.assign(tf.tensor(w.data, v.shape, 'float32'));
  }
  const optFile = path.join(dir, OPTIMIZER_FILE);
  const { tensors, metadata } = await readSafetensors(optFile);
  const snap: OptimizerSnapshot = {
    kind: metadata.kind,
    config: JSON.parse(metadata.config ?? '{}'),
    json: JSON.parse(metadata.json ?? '{}'),
    tensors: new Map([...tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data }])),
  };
  if (snap.kind !== optimizer.kind) {
    throw new Error(`${optFile}: optimizer state is for "${snap.kind}" but this run uses "${optimizer.kind}"`);
  }
  optimizer.restore(snap);
  return state;
}

/** The newest `checkpoint-N` folder inside `dir` (or `dir` itself if it is one), or null. */
export function latestCheckpoint(dir: string): string | null {
  if (fs.existsSync(path.join(dir, STATE_FILE))) return dir;
  if (!fs.existsSync(dir)) return null;
  const found = fs.readdirSync(dir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(dir, m[0], STATE_FILE)))
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  return found.length ? path.join(dir, found[0][0]) : null;
}
