/**
 * The training telemetry message: one versioned schema, written by
 * `kernel-lib` (see `live-dashboard.ts`) and read by the JupyterLab extension
 * (`extension/src/telemetry.ts` re-exports this module).
 *
 * This file must stay free of Node and TensorFlow imports: the extension
 * bundles it for the browser.
 *
 * A message is a snapshot of one training run, sent as the data of the MIME
 * type {@link TELEMETRY_MIME_TYPE} and replaced in place through `display_id`
 * while the run goes on:
 *
 * - `run`: metadata (model, method and its options, backend, device, controls);
 * - `steps`: step events (loss, lr, grad norm, tokens/s), downsampled to a
 *   fixed number of points however long the run (each point says how many
 *   steps it stands for);
 * - `memory`: memory samples (ledger parts, measured backend bytes, the
 *   device's used/total with an honest label), downsampled the same way;
 * - `subspaces`: GaLore subspace events per weight (rank, top singular
 *   values, captured energy, overlap with the previous subspace) and their
 *   history over refreshes;
 * - `routing`: expert load and routing entropy of a mixture of experts
 *   (LoRA-MoE), or null (optional: a message without it reads as null; see
 *   `expert-routing-schema.ts`);
 * - `end`: how the run ended, or null while it runs.
 *
 * Numbers are plain JSON numbers (no NaN/Infinity: a value that is not finite
 * is sent as null where the schema allows it).
 */

import { SchemaProblem, array, fail, nonNegative, num, numOrNull, object, oneOf, str } from './schema-checks';
import { checkExpertRouting, type ExpertRoutingSummary } from './expert-routing-schema';

export type { ExpertRoutingSummary, RoutingPoint } from './expert-routing-schema';

/** The MIME type of a telemetry message. */
export const TELEMETRY_MIME_TYPE = 'application/vnd.galore-lab.telemetry+json';
/** The `schema` field of every message. */
export const TELEMETRY_SCHEMA = 'galore-lab.telemetry';
/** The version this code writes and reads; readers refuse newer versions with a notice. */
export const TELEMETRY_VERSION = 1;
/** The comm target the kernel registers for run controls (pause, resume, stop, rate). */
export const TELEMETRY_CONTROL_TARGET = 'galore-lab.telemetry.control';

/** How the weights are trained (a LoRA mixture of experts is `lora` with `num_experts` among its method options). */
export type TrainingMethod = 'full' | 'galore' | 'lora';
/** Where a run stands. */
export type RunStatus = 'running' | 'paused' | 'finished' | 'stopped' | 'failed';
/** How a run ended. */
export type RunEndStatus = 'finished' | 'stopped' | 'failed';

/** What kind of memory the device figure is: a GPU's, the wasm heap, or the process's CPU memory. */
export type DeviceMemoryKind = 'gpu' | 'wasm' | 'cpu';
/** Where the device figure comes from. */
export type DeviceMemorySource = 'nvidia-smi' | 'wasm-heap' | 'process-rss';

/** The model being trained. */
export interface ModelInfo {
  /** A readable name, e.g. `tiny-qwen2` or the folder the model was loaded from. */
  name: string;
  /** All parameters (frozen ones included). */
  parameters: number;
  /** Parameters that receive updates. */
  trainableParameters: number;
  layers: number;
  hiddenSize: number;
}

/** The device the run uses, and how its memory figure is labelled. */
export interface DeviceInfo {
  kind: DeviceMemoryKind;
  /** E.g. `NVIDIA H100 80GB HBM3`, `wasm (CPU)`, `CPU`. */
  name: string;
  /** The label of the device memory figure, e.g. `GPU memory`, `wasm heap (CPU memory)`. */
  memoryLabel: string;
}

/** Run metadata: what is trained, how, and where. */
export interface RunMetadata {
  /** Unique per run. */
  runId: string;
  /** ISO 8601 time the run started. */
  startedAt: string;
  model: ModelInfo;
  method: TrainingMethod;
  /** The method's options as given (GaLore: rank, update_proj_gap, scale, proj_type...; LoRA: r...). */
  methodOptions: Record<string, string | number | boolean | null>;
  /** The optimizer's kind, e.g. `adamw`, `galore_adamw`. */
  optimizer: string;
  /** The TensorFlow.js backend: `wasm`, `cpu`, `tensorflow`. */
  backend: string;
  device: DeviceInfo;
  /** Planned optimizer steps, when known. */
  totalSteps: number | null;
  /** Comm target for pause/resume/stop/rate, or null when the kernel has no comms. */
  controls: { commTarget: string } | null;
}

/**
 * One optimizer step, or the mean of `count` consecutive steps once the
 * history has been downsampled (`step` is then the bucket's last step).
 */
export interface StepEvent {
  step: number;
  /** Milliseconds since the run started, at the end of this step. */
  elapsedMs: number;
  loss: number;
  /** Smallest and largest loss of the steps this point stands for (equal to `loss` when count is 1). */
  lossMin: number;
  lossMax: number;
  lr: number;
  gradNorm: number | null;
  /** Labelled tokens per second of training time (pauses excluded). */
  tokensPerSecond: number | null;
  /** Steps this point stands for (1 until the history is downsampled). */
  count: number;
}

/** Ledger parts: bytes the method needs for each kind of tensor. */
export interface MemoryParts {
  weights: number;
  gradients: number;
  optimizerStates: number;
  activations: number;
  /** Backward-pass temporaries (gradients of activations) that live until the backward pass ends. */
  workspace: number;
}

/** Where each ledger part comes from. */
export interface MemoryPartSources {
  /** `live` when read from the optimizer now (`optimizer.stateBytes()`), `ledger` when from the memory ledger. */
  optimizerStates: 'live' | 'ledger';
}

/** The device's memory, labelled for what it is. */
export interface DeviceMemory {
  kind: DeviceMemoryKind;
  /** E.g. `GPU 0 memory`, `wasm heap (CPU memory)`, `process RSS (CPU memory)`. */
  label: string;
  usedBytes: number;
  /** Capacity, or null when there is none to report (the wasm heap grows on demand). */
  totalBytes: number | null;
  /** On a GPU: what this kernel's process holds on it (nvidia-smi's per-process figure), when reported. */
  processBytes: number | null;
  source: DeviceMemorySource;
}

/** One memory sample (after downsampling: the largest value of each figure over `count` consecutive samples). */
export interface MemorySampleEvent {
  step: number;
  elapsedMs: number;
  parts: MemoryParts;
  partSources: MemoryPartSources;
  /** Bytes held by backend tensors at the end of the step (`tf.memory().numBytes`). */
  tensorBytes: number;
  /** The wasm heap size (its high-water mark), on the wasm backend. */
  wasmHeapBytes: number | null;
  device: DeviceMemory | null;
  count: number;
}

/** What is recorded for one GaLore weight at one subspace refresh. */
export interface SubspaceEvent {
  /** Hugging Face parameter name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  weight: string;
  /** Decoder layer index, or null for weights outside the layers. */
  layer: number | null;
  /** Short module name, e.g. `q_proj`. */
  module: string;
  /** Per-parameter optimizer step whose gradient defined the subspace. */
  step: number;
  rank: number;
  shape: [number, number];
  side: 'left' | 'right' | 'full';
  /** Largest singular values of the gradient, largest first (at most `spectrumTopK`). */
  singularValues: number[];
  /** Share of the gradient's energy the subspace keeps, in [0, 1]. */
  energyCaptured: number;
  /** Mean squared cosine of the principal angles with the previous subspace; null at the first refresh. */
  overlap: number | null;
}

/**
 * GaLore subspaces: the latest event per weight and the history over
 * refreshes as matrices `[weight index][refresh index]` (columns merged by
 * averaging when there are more refreshes than the message keeps).
 */
export interface SubspaceSummary {
  /** Weight names, the row order of the matrices. */
  weights: string[];
  /** Latest event per weight, in `weights` order. */
  latest: SubspaceEvent[];
  /** The step of each refresh column (the last step of a merged column). */
  refreshSteps: number[];
  energy: (number | null)[][];
  overlap: (number | null)[][];
  /** Refresh rounds seen in total (more than `refreshSteps.length` after merging). */
  refreshesSeen: number;
}

/** How a run ended. */
export interface RunEnd {
  status: RunEndStatus;
  /** Optimizer steps done. */
  step: number;
  elapsedMs: number;
  /** Why it stopped or failed (an error message, `stopped from the dashboard`...), or null. */
  reason: string | null;
}

/** How much history the message holds compared with what was seen. */
export interface HistoryInfo {
  stepsSeen: number;
  memorySamplesSeen: number;
}

/** One telemetry message: a snapshot of a training run. */
export interface TelemetryMessage {
  schema: typeof TELEMETRY_SCHEMA;
  version: typeof TELEMETRY_VERSION;
  run: RunMetadata;
  status: RunStatus;
  /** ISO 8601 time of this snapshot. */
  updatedAt: string;
  /** Minimum milliseconds between display updates the kernel uses now. */
  updateIntervalMs: number;
  /** The most recent step and memory sample, exactly as recorded (the histories may average them). */
  latest: { step: StepEvent | null; memory: MemorySampleEvent | null };
  steps: StepEvent[];
  memory: MemorySampleEvent[];
  subspaces: SubspaceSummary | null;
  /** Expert routing of a LoRA-MoE run, or null (optional in the JSON: absent reads as null). */
  routing: ExpertRoutingSummary | null;
  end: RunEnd | null;
  history: HistoryInfo;
}

/** A control request sent by the frontend on the {@link TELEMETRY_CONTROL_TARGET} comm. */
export type TelemetryControlRequest =
  | { command: 'pause' | 'resume' | 'stop' | 'status'; runId: string }
  | { command: 'set-rate'; runId: string; intervalMs: number };

/** The kernel's answer to a control request. */
export type TelemetryControlReply =
  | { ok: true; runId: string; command: string; status: RunStatus; updateIntervalMs: number }
  | { ok: false; runId: string | null; command: string | null; reason: string };

/** Result of {@link parseTelemetry}. */
export type ParsedTelemetry =
  | { ok: true; message: TelemetryMessage }
  | { ok: false; kind: 'malformed' | 'newer-version'; problem: string };

const RUN_STATUSES: readonly RunStatus[] = ['running', 'paused', 'finished', 'stopped', 'failed'];
const END_STATUSES: readonly RunEndStatus[] = ['finished', 'stopped', 'failed'];
const METHODS: readonly TrainingMethod[] = ['full', 'galore', 'lora'];
const DEVICE_KINDS: readonly DeviceMemoryKind[] = ['gpu', 'wasm', 'cpu'];
const DEVICE_SOURCES: readonly DeviceMemorySource[] = ['nvidia-smi', 'wasm-heap', 'process-rss'];
const SIDES = ['left', 'right', 'full'] as const;

function checkModel(value: unknown, path: string): ModelInfo {
  const o = object(value, path);
  return {
    name: str(o.name, `${path}.name`, 500),
    parameters: nonNegative(o.parameters, `${path}.parameters`),
    trainableParameters: nonNegative(o.trainableParameters, `${path}.trainableParameters`),
    layers: nonNegative(o.layers, `${path}.layers`),
    hiddenSize: nonNegative(o.hiddenSize, `${path}.hiddenSize`),
  };
}

function checkDevice(value: unknown, path: string): DeviceInfo {
  const o = object(value, path);
  return {
    kind: oneOf(o.kind, DEVICE_KINDS, `${path}.kind`),
    name: str(o.name, `${path}.name`, 500),
    memoryLabel: str(o.memoryLabel, `${path}.memoryLabel`, 500),
  };
}

function checkRun(value: unknown, path: string): RunMetadata {
  const o = object(value, path);
  const options = object(o.methodOptions, `${path}.methodOptions`);
  const methodOptions: RunMetadata['methodOptions'] = {};
  for (const [key, v] of Object.entries(options)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'boolean' && (typeof v !== 'number' || !Number.isFinite(v))) {
      fail(`${path}.methodOptions.${key}`, 'a string, finite number, boolean or null', v);
    }
    methodOptions[key] = v as string | number | boolean | null;
  }
  let controls: RunMetadata['controls'] = null;
  if (o.controls !== null) {
    const c = object(o.controls, `${path}.controls`);
    controls = { commTarget: str(c.commTarget, `${path}.controls.commTarget`, 200) };
  }
  return {
    runId: str(o.runId, `${path}.runId`, 200),
    startedAt: str(o.startedAt, `${path}.startedAt`, 100),
    model: checkModel(o.model, `${path}.model`),
    method: oneOf(o.method, METHODS, `${path}.method`),
    methodOptions,
    optimizer: str(o.optimizer, `${path}.optimizer`, 200),
    backend: str(o.backend, `${path}.backend`, 200),
    device: checkDevice(o.device, `${path}.device`),
    totalSteps: o.totalSteps === null ? null : nonNegative(o.totalSteps, `${path}.totalSteps`),
    controls,
  };
}

function checkStep(value: unknown, path: string): StepEvent {
  const o = object(value, path);
  return {
    step: nonNegative(o.step, `${path}.step`),
    elapsedMs: nonNegative(o.elapsedMs, `${path}.elapsedMs`),
    loss: num(o.loss, `${path}.loss`),
    lossMin: num(o.lossMin, `${path}.lossMin`),
    lossMax: num(o.lossMax, `${path}.lossMax`),
    lr: num(o.lr, `${path}.lr`),
    gradNorm: numOrNull(o.gradNorm, `${path}.gradNorm`),
    tokensPerSecond: numOrNull(o.tokensPerSecond, `${path}.tokensPerSecond`),
    count: nonNegative(o.count, `${path}.count`),
  };
}

function checkDeviceMemory(value: unknown, path: string): DeviceMemory | null {
  if (value === null) return null;
  const o = object(value, path);
  return {
    kind: oneOf(o.kind, DEVICE_KINDS, `${path}.kind`),
    label: str(o.label, `${path}.label`, 500),
    usedBytes: nonNegative(o.usedBytes, `${path}.usedBytes`),
    totalBytes: o.totalBytes === null ? null : nonNegative(o.totalBytes, `${path}.totalBytes`),
    processBytes: o.processBytes === null ? null : nonNegative(o.processBytes, `${path}.processBytes`),
    source: oneOf(o.source, DEVICE_SOURCES, `${path}.source`),
  };
}

function checkMemory(value: unknown, path: string): MemorySampleEvent {
  const o = object(value, path);
  const p = object(o.parts, `${path}.parts`);
  const s = object(o.partSources, `${path}.partSources`);
  return {
    step: nonNegative(o.step, `${path}.step`),
    elapsedMs: nonNegative(o.elapsedMs, `${path}.elapsedMs`),
    parts: {
      weights: nonNegative(p.weights, `${path}.parts.weights`),
      gradients: nonNegative(p.gradients, `${path}.parts.gradients`),
      optimizerStates: nonNegative(p.optimizerStates, `${path}.parts.optimizerStates`),
      activations: nonNegative(p.activations, `${path}.parts.activations`),
      workspace: nonNegative(p.workspace, `${path}.parts.workspace`),
    },
    partSources: { optimizerStates: oneOf(s.optimizerStates, ['live', 'ledger'] as const, `${path}.partSources.optimizerStates`) },
    tensorBytes: nonNegative(o.tensorBytes, `${path}.tensorBytes`),
    wasmHeapBytes: o.wasmHeapBytes === null ? null : nonNegative(o.wasmHeapBytes, `${path}.wasmHeapBytes`),
    device: checkDeviceMemory(o.device, `${path}.device`),
    count: nonNegative(o.count, `${path}.count`),
  };
}

function checkSubspaceEvent(value: unknown, path: string): SubspaceEvent {
  const o = object(value, path);
  const shape = array(o.shape, `${path}.shape`, 2);
  if (shape.length !== 2) fail(`${path}.shape`, 'two numbers', o.shape);
  return {
    weight: str(o.weight, `${path}.weight`, 500),
    layer: o.layer === null ? null : nonNegative(o.layer, `${path}.layer`),
    module: str(o.module, `${path}.module`, 200),
    step: nonNegative(o.step, `${path}.step`),
    rank: nonNegative(o.rank, `${path}.rank`),
    shape: [nonNegative(shape[0], `${path}.shape[0]`), nonNegative(shape[1], `${path}.shape[1]`)],
    side: oneOf(o.side, SIDES, `${path}.side`),
    singularValues: array(o.singularValues, `${path}.singularValues`, 4096).map((v, i) => num(v, `${path}.singularValues[${i}]`)),
    energyCaptured: num(o.energyCaptured, `${path}.energyCaptured`),
    overlap: numOrNull(o.overlap, `${path}.overlap`),
  };
}

function checkMatrix(value: unknown, path: string, rows: number, columns: number): (number | null)[][] {
  const m = array(value, path, rows);
  if (m.length !== rows) throw new SchemaProblem(`${path}: has ${m.length} rows, expected one per weight (${rows})`);
  return m.map((row, i) => {
    const r = array(row, `${path}[${i}]`, columns);
    if (r.length !== columns) throw new SchemaProblem(`${path}[${i}]: has ${r.length} columns, expected one per refresh (${columns})`);
    return r.map((v, j) => numOrNull(v, `${path}[${i}][${j}]`));
  });
}

function checkSubspaces(value: unknown, path: string): SubspaceSummary | null {
  if (value === null) return null;
  const o = object(value, path);
  const weights = array(o.weights, `${path}.weights`, 10_000).map((w, i) => str(w, `${path}.weights[${i}]`, 500));
  const latest = array(o.latest, `${path}.latest`, 10_000).map((e, i) => checkSubspaceEvent(e, `${path}.latest[${i}]`));
  if (latest.length !== weights.length) throw new SchemaProblem(`${path}.latest: has ${latest.length} entries, expected one per weight (${weights.length})`);
  const refreshSteps = array(o.refreshSteps, `${path}.refreshSteps`, 10_000).map((s, i) => nonNegative(s, `${path}.refreshSteps[${i}]`));
  return {
    weights,
    latest,
    refreshSteps,
    energy: checkMatrix(o.energy, `${path}.energy`, weights.length, refreshSteps.length),
    overlap: checkMatrix(o.overlap, `${path}.overlap`, weights.length, refreshSteps.length),
    refreshesSeen: nonNegative(o.refreshesSeen, `${path}.refreshesSeen`),
  };
}

function checkEnd(value: unknown, path: string): RunEnd | null {
  if (value === null) return null;
  const o = object(value, path);
  return {
    status: oneOf(o.status, END_STATUSES, `${path}.status`),
    step: nonNegative(o.step, `${path}.step`),
    elapsedMs: nonNegative(o.elapsedMs, `${path}.elapsedMs`),
    reason: o.reason === null ? null : str(o.reason, `${path}.reason`, 2000),
  };
}

/**
 * Checks that a value is a telemetry message this code can read, and returns
 * it typed (a fresh copy holding only the known fields), or a readable problem:
 * `newer-version` when it was written by a newer schema, `malformed` otherwise.
 *
 * @example
 * const parsed = parseTelemetry(JSON.parse(text));
 * if (!parsed.ok) console.log(parsed.problem); // 'steps[3].loss: expected a finite number, got the string "x"'
 */
export function parseTelemetry(value: unknown): ParsedTelemetry {
  try {
    const o = object(value, 'message');
    if (o.schema !== TELEMETRY_SCHEMA) fail('message.schema', JSON.stringify(TELEMETRY_SCHEMA), o.schema);
    if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) fail('message.version', 'a positive integer', o.version);
    if (o.version > TELEMETRY_VERSION) {
      return {
        ok: false,
        kind: 'newer-version',
        problem: `this telemetry uses schema version ${o.version}, but this reader understands version ${TELEMETRY_VERSION}; update the GaLore Lab extension (galore-lab install-extension) to see it`,
      };
    }
    const history = object(o.history, 'message.history');
    const latest = object(o.latest, 'message.latest');
    const message: TelemetryMessage = {
      schema: TELEMETRY_SCHEMA,
      version: TELEMETRY_VERSION,
      run: checkRun(o.run, 'message.run'),
      status: oneOf(o.status, RUN_STATUSES, 'message.status'),
      updatedAt: str(o.updatedAt, 'message.updatedAt', 100),
      updateIntervalMs: nonNegative(o.updateIntervalMs, 'message.updateIntervalMs'),
      latest: {
        step: latest.step === null ? null : checkStep(latest.step, 'message.latest.step'),
        memory: latest.memory === null ? null : checkMemory(latest.memory, 'message.latest.memory'),
      },
      steps: array(o.steps, 'message.steps').map((s, i) => checkStep(s, `message.steps[${i}]`)),
      memory: array(o.memory, 'message.memory').map((s, i) => checkMemory(s, `message.memory[${i}]`)),
      subspaces: checkSubspaces(o.subspaces, 'message.subspaces'),
      routing: checkExpertRouting(o.routing, 'message.routing'),
      end: checkEnd(o.end, 'message.end'),
      history: {
        stepsSeen: nonNegative(history.stepsSeen, 'message.history.stepsSeen'),
        memorySamplesSeen: nonNegative(history.memorySamplesSeen, 'message.history.memorySamplesSeen'),
      },
    };
    return { ok: true, message };
  } catch (error) {
    if (error instanceof SchemaProblem) return { ok: false, kind: 'malformed', problem: error.message };
    throw error;
  }
}

/**
 * Checks a control request received on the control comm.
 *
 * @example
 * parseControlRequest({ command: 'set-rate', runId: 'r1', intervalMs: 250 }); // { ok: true, request: ... }
 */
export function parseControlRequest(value: unknown): { ok: true; request: TelemetryControlRequest } | { ok: false; reason: string } {
  try {
    const o = object(value, 'request');
    const runId = str(o.runId, 'request.runId', 200);
    const command = oneOf(o.command, ['pause', 'resume', 'stop', 'status', 'set-rate'] as const, 'request.command');
    if (command === 'set-rate') {
      const intervalMs = num(o.intervalMs, 'request.intervalMs');
      if (intervalMs < 0 || intervalMs > 3_600_000) fail('request.intervalMs', 'milliseconds between 0 and 3600000', o.intervalMs);
      return { ok: true, request: { command, runId, intervalMs } };
    }
    return { ok: true, request: { command, runId } };
  } catch (error) {
    if (error instanceof SchemaProblem) return { ok: false, reason: error.message };
    throw error;
  }
}

/**
 * Bytes as a short readable figure (binary units).
 *
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${units[unit]}`;
}

/**
 * A one-line description of the method, e.g. `GaLore r=8, gap 200, scale 0.25`.
 *
 * @example
 * methodLabel({ method: 'lora', methodOptions: { r: 8 } }); // 'LoRA r=8'
 * methodLabel({ method: 'lora', methodOptions: { r: 4, num_experts: 4, top_k: 2 } }); // 'LoRA-MoE r=4, 4 experts, top-2'
 */
export function methodLabel(run: Pick<RunMetadata, 'method' | 'methodOptions'>): string {
  const o = run.methodOptions;
  if (run.method === 'galore') {
    const parts = [`GaLore r=${o.rank ?? '?'}`];
    if (o.update_proj_gap !== undefined) parts.push(`gap ${o.update_proj_gap}`);
    if (o.scale !== undefined) parts.push(`scale ${o.scale}`);
    if (o.proj_type !== undefined && o.proj_type !== 'std') parts.push(String(o.proj_type));
    if (o.stateBits === 8) parts.push('8-bit');
    return parts.join(', ');
  }
  if (run.method === 'lora' && o.num_experts !== undefined) {
    return `LoRA-MoE r=${o.r ?? '?'}, ${o.num_experts} experts, top-${o.top_k ?? '?'}`;
  }
  if (run.method === 'lora') return `LoRA r=${o.r ?? '?'}`;
  return 'Full fine-tuning';
}

/**
 * The figure a status bar shows for a run's latest memory sample: the device
 * figure when there is one, else the backend's tensor bytes.
 *
 * @example
 * latestMemoryFigure(message); // { bytes: 41_000_000, label: 'wasm heap (CPU memory)' }
 */
export function latestMemoryFigure(message: TelemetryMessage): { bytes: number; label: string; tensorBytes: number } | null {
  const last = message.latest.memory;
  if (!last) return null;
  if (last.device) {
    const bytes = last.device.kind === 'gpu' && last.device.processBytes !== null ? last.device.processBytes : last.device.usedBytes;
    return { bytes, label: last.device.label, tensorBytes: last.tensorBytes };
  }
  return { bytes: last.tensorBytes, label: 'tensors', tensorBytes: last.tensorBytes };
}
