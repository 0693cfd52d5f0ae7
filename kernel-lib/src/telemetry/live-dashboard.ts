/**
 * `liveDashboard`: one call in a notebook cell turns a training run into a
 * live telemetry display (loss, memory, GaLore subspaces, a LoRA-MoE's expert routing) that the GaLore Lab
 * JupyterLab extension renders as a dashboard, with a status-bar figure and a
 * "Training monitor" side panel; other frontends show a text/HTML summary.
 *
 * The display is replaced in place (`display_id`) at most once per
 * `updateIntervalMs`; histories are downsampled so messages stay small
 * however long the run. In the GaLore Lab kernel the run can also be paused,
 * resumed, stopped and its update rate changed from the frontend (comms).
 */
import { randomUUID } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { displayMimeBundle, type DisplayHandle } from '../display/display';
import { currentCellSignal } from '../display/comms';
import { JUPYTER_DISPLAY } from '../display/mime-bundle';
import type { MimeBundle } from '../display/kernel-hook';
import type { Batch } from '../data/batching';
import type { Qwen2Config } from '../model/config';
import { memoryLedger, type LedgerMethod, type MemoryLedger, type MemoryLedgerOptions } from '../memory/memory-ledger';
import type { Optimizer, TrainableParam } from '../optim/optimizer';
import type { SubspaceStats } from '../optim/subspace-stats';
import type { BatchGradients, GradientEngine } from '../train/gradient-engine';
import { localGradientEngine } from '../train/gradient-engine';
import type { StepRecord } from '../train/trainer';
import { DeviceMemoryProbe } from './device-memory';
import { registerControllableRun } from './run-controls';
import { isRoutingSource, moeLedgerTargets, moeMethodOptions } from './routing-source';
import type { MemoryParts, RunMetadata, RunStatus, TelemetryMessage, TrainingMethod } from './schema';
import { telemetryBundle } from './telemetry-bundle';
import { TelemetryRecorder, type RecorderLimits } from './telemetry-recorder';

/** What the dashboard needs to know about the model (a `Qwen2ForCausalLM` or an adapter training view). */
export interface DashboardModel {
  readonly config: Qwen2Config;
  readonly weights?: ReadonlyMap<string, tf.Variable>;
  trainableParams(): TrainableParam[];
}

/** GaLore's telemetry hooks (present on `GaLoreAdamW`). */
interface SubspaceSource {
  onSubspaceRefresh(cb: (stats: SubspaceStats) => void): () => void;
  subspaceStats(): Record<string, SubspaceStats>;
  options?: Record<string, unknown>;
}

/** Options of {@link liveDashboard}. */
export interface LiveDashboardOptions {
  /** The model given to `trainModel` (the adapter training view for LoRA). */
  model: DashboardModel;
  /** The optimizer given to `trainModel`; GaLore's subspace refreshes are recorded from it. */
  optimizer?: Optimizer;
  /** `full`, `galore` or `lora`; inferred from the optimizer and the parameter names when omitted. */
  method?: TrainingMethod;
  /** Extra method options to show (merged over the inferred ones, e.g. `{ lora_alpha: 16 }`). */
  methodOptions?: Record<string, string | number | boolean | null>;
  /** The model's name in the dashboard (default: derived from its size). */
  name?: string;
  /** Planned optimizer steps (`trainModel`'s `steps`), for progress. */
  steps?: number;
  /** Batch size and sequence length of training, for the ledger's activation estimate (defaults 1 and 512). */
  batchSize?: number;
  seqLen?: number;
  /** Minimum ms between display updates (default 1000; the frontend can change it). */
  updateIntervalMs?: number;
  /** Sizes of the kept histories. */
  limits?: RecorderLimits;
  /** Extra memory-ledger options (optimizer `adamw8bit`, `layerwise`...). */
  ledger?: MemoryLedgerOptions;
  /** Show the display (default true); false records only (`message()`). */
  display?: boolean;
  /** Accept pause/resume/stop/rate from the frontend when the kernel has comms (default true). */
  controls?: boolean;
}

/** What `trainModel` needs from the dashboard: spread it into the train options. */
export interface DashboardTrainOptions {
  onStep: (record: StepRecord) => void | 'stop';
  gradientEngine: GradientEngine;
}

/** What the dashboard's `onStep` returns: `'stop'`, nothing, or (while paused) a promise of either. */
export type StepVerdict = void | 'stop' | Promise<void | 'stop'>;

/** A live dashboard of one training run. */
export interface LiveDashboard {
  readonly runId: string;
  /** The display id of the output (undefined with `display: false`). */
  readonly displayId: string | undefined;
  /** Spread into `trainModel`'s options: `{ ...opts, ...dash.trainOptions }`. */
  readonly trainOptions: DashboardTrainOptions;
  /**
   * `trainModel`'s `onStep` hook: records the step; returns 'stop' when a stop was asked for, and
   * while the run is paused a promise that settles on resume (or with 'stop'), for trainers that
   * await the hook. Use `{ onStep: dash.onStep }` alone with a trainer option that needs its own
   * gradient engine (e.g. `layerwise`); pausing then relies on the trainer awaiting `onStep`.
   */
  onStep(record: StepRecord): StepVerdict;
  /** Wraps a gradient engine so the run can be paused between steps (the default engine is wrapped already). */
  pausable(engine: GradientEngine): GradientEngine;
  pause(): void;
  resume(): void;
  /** Asks the run to stop after the step in progress. */
  stop(reason?: string): void;
  /** Changes the minimum ms between display updates. */
  setUpdateInterval(ms: number): void;
  /**
   * Follows a training promise: marks the run finished, or failed with the
   * error, when it settles; returns the promise's result.
   */
  watch<T>(training: Promise<T>): Promise<T>;
  /** Ends the run (finished, or failed when given an error), sends the final display and releases the controls. */
  close(error?: unknown): TelemetryMessage;
  /** The current telemetry message. */
  message(): TelemetryMessage;
  /** The MIME bundle of the current message (so `display(dash)` works too). */
  [JUPYTER_DISPLAY](): MimeBundle;
}

function isSubspaceSource(o: unknown): o is SubspaceSource {
  return !!o && typeof (o as SubspaceSource).onSubspaceRefresh === 'function' && typeof (o as SubspaceSource).subspaceStats === 'function';
}

function inferMethod(params: TrainableParam[], optimizer: Optimizer | undefined): TrainingMethod {
  if (optimizer && (optimizer.kind.startsWith('galore') || isSubspaceSource(optimizer))) return 'galore';
  if (params.some((p) => /lora_[AB]\b/.test(p.name))) return 'lora';
  return 'full';
}

function plainOptions(source: Record<string, unknown>, keys: string[]): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of keys) {
    const v = source[key];
    if (v === undefined || typeof v === 'function') continue;
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[key] = v;
    else out[key] = JSON.stringify(v);
  }
  return out;
}

function inferMethodOptions(method: TrainingMethod, params: TrainableParam[], optimizer: Optimizer | undefined): Record<string, string | number | boolean | null> {
  if (method === 'galore' && optimizer) {
    const o = ((optimizer as unknown as SubspaceSource).options ?? {}) as Record<string, unknown>;
    return plainOptions(o, ['rank', 'update_proj_gap', 'scale', 'proj_type', 'target', 'stateBits', 'svd', 'momentsOnRefresh']);
  }
  if (method === 'lora') {
    const a = params.find((p) => /lora_A\b/.test(p.name));
    return a ? { r: a.variable.shape[0] } : {};
  }
  return {};
}

function countParameters(model: DashboardModel, params: TrainableParam[]): { total: number; trainable: number } {
  const trainable = params.reduce((n, p) => n + p.variable.size, 0);
  let total = trainable;
  if (model.weights) {
    total = 0;
    for (const v of model.weights.values()) total += v.size;
  }
  return { total, trainable };
}

function defaultName(config: Qwen2Config, parameters: number): string {
  const size = parameters >= 1e9 ? `${(parameters / 1e9).toFixed(1)}B` : parameters >= 1e6 ? `${(parameters / 1e6).toFixed(1)}M` : `${Math.round(parameters / 1e3)}K`;
  return `Qwen2 ${size} (${config.num_hidden_layers} layers, hidden ${config.hidden_size})`;
}

function ledgerFor(model: DashboardModel, method: TrainingMethod, methodOptions: Record<string, unknown>, options: LiveDashboardOptions): MemoryLedger | null {
  const extra: MemoryLedgerOptions = { batchSize: options.batchSize, seqLen: options.seqLen, ...options.ledger };
  if (method === 'galore' && typeof methodOptions.rank === 'number') extra.rank ??= methodOptions.rank;
  if (method === 'galore' && methodOptions.stateBits === 8) extra.optim ??= 'adamw8bit';
  if (method === 'lora' && typeof methodOptions.r === 'number') {
    // a LoRA-MoE's experts hold as many parameters as one LoRA of rank r * num_experts (its small routers are left out)
    const experts = typeof methodOptions.num_experts === 'number' ? methodOptions.num_experts : 1;
    extra.loraR ??= methodOptions.r * experts;
    const targets = moeLedgerTargets(model);
    if (targets) extra.loraTargets ??= targets;
  }
  if (options.optimizer?.kind === 'adamw8bit') extra.optim ??= 'adamw8bit';
  try {
    return memoryLedger(model.config, method as LedgerMethod, extra);
  } catch {
    return null;
  }
}

/**
 * Shows a live training dashboard for a `trainModel` run: spread
 * `dash.trainOptions` into the train options and wrap the call in
 * `dash.watch(...)` (or call `dash.close()` afterwards).
 *
 * @example
 * const opt = galoreAdamW({ rank: 8, update_proj_gap: 5 });
 * const dash = liveDashboard({ model, optimizer: opt, steps: 20, batchSize: 4, seqLen: 64 });
 * await dash.watch(trainModel(model, opt, examples, { steps: 20, batchSize: 4, seqLen: 64, lr: 1e-3, ...dash.trainOptions }));
 */
export function liveDashboard(options: LiveDashboardOptions): LiveDashboard {
  const { model, optimizer } = options;
  const params = model.trainableParams();
  const method = options.method ?? inferMethod(params, optimizer);
  const methodOptions = { ...inferMethodOptions(method, params, optimizer), ...moeMethodOptions(model), ...options.methodOptions };
  const counts = countParameters(model, params);
  const backend = tf.getBackend() ?? 'unknown';
  const probe = new DeviceMemoryProbe({ backend });
  const ledger = ledgerFor(model, method, methodOptions, options);
  const runId = `run-${randomUUID().slice(0, 8)}`;
  let intervalMs = Math.max(0, options.updateIntervalMs ?? 1000);

  const run: RunMetadata = {
    runId,
    startedAt: new Date().toISOString(),
    model: {
      name: options.name ?? defaultName(model.config, counts.total),
      parameters: counts.total,
      trainableParameters: counts.trainable,
      layers: model.config.num_hidden_layers,
      hiddenSize: model.config.hidden_size,
    },
    method,
    methodOptions,
    optimizer: optimizer?.kind ?? 'unknown',
    backend,
    device: probe.deviceInfo(),
    totalSteps: options.steps ?? null,
    controls: null,
  };
  const recorder = new TelemetryRecorder(run, options.limits);
  recorder.setUpdateInterval(intervalMs);

  // GaLore subspaces: the ones already computed (a resumed run), then every refresh.
  let unsubscribe: () => void = () => undefined;
  if (isSubspaceSource(optimizer)) {
    for (const stats of Object.values(optimizer.subspaceStats())) recorder.recordSubspace(stats);
    unsubscribe = optimizer.onSubspaceRefresh((stats) => recorder.recordSubspace(stats));
  }

  // Display, throttled.
  const showDisplay = options.display !== false;
  let handle: DisplayHandle | undefined;
  let lastSent = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const send = (): void => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    lastSent = Date.now();
    if (!showDisplay) return;
    const bundle = telemetryBundle(recorder.message());
    if (handle) handle.updateMimeBundle(bundle);
    else handle = displayMimeBundle(bundle, { displayId: true });
  };
  const scheduleUpdate = (): void => {
    const wait = lastSent + intervalMs - Date.now();
    if (wait <= 0) return send();
    if (timer) return;
    timer = setTimeout(send, wait);
    timer.unref?.();
  };

  // Pausing: the wrapped gradient engine waits here before each step.
  let stopReason: string | null = null;
  let resumeGate: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  let pausedSince = 0;
  let pausedMs = 0;
  const signal = currentCellSignal();
  const openGate = (): void => {
    if (pausedSince) pausedMs += Date.now() - pausedSince;
    pausedSince = 0;
    resumeGate?.();
    resumeGate = null;
    gate = null;
  };
  signal?.addEventListener('abort', () => openGate(), { once: true });

  const pause = (): void => {
    if (recorder.ended || gate) return;
    pausedSince = Date.now();
    gate = new Promise((resolve) => (resumeGate = resolve));
    recorder.setStatus('paused');
    send();
  };
  const resume = (): void => {
    if (!gate) return;
    openGate();
    recorder.setStatus('running');
    send();
  };
  const stop = (reason = 'stopped'): void => {
    if (recorder.ended) return;
    stopReason ??= reason;
    openGate();
    recorder.setStatus('running');
    send();
  };
  const setUpdateInterval = (ms: number): void => {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`setUpdateInterval: expected milliseconds >= 0, got ${ms}`);
    intervalMs = ms;
    recorder.setUpdateInterval(ms);
    send();
  };

  let releaseControls: () => void = () => undefined;
  if (options.controls !== false) {
    const registered = registerControllableRun(runId, {
      pause,
      resume,
      stop,
      setUpdateInterval,
      status: (): RunStatus => recorder.status,
      updateInterval: () => intervalMs,
    });
    if (registered.commTarget) run.controls = { commTarget: registered.commTarget };
    releaseControls = registered.release;
  }

  let defaultEngine: GradientEngine | null = null;
  const pausable = (engine: GradientEngine): GradientEngine => ({
    async compute(batch: Batch): Promise<BatchGradients> {
      while (gate) await gate;
      return engine.compute(batch);
    },
    dispose: () => engine.dispose(),
  });
  const gradientEngine = pausable({
    compute(batch: Batch): Promise<BatchGradients> {
      // Made on first use, from the parameters trainModel will step (it calls model.trainableParams() too).
      defaultEngine ??= localGradientEngine(model as never, model.trainableParams());
      return defaultEngine.compute(batch);
    },
    dispose: () => defaultEngine?.dispose(),
  });

  void probe.start().then(() => {
    run.device = probe.deviceInfo();
  });

  const ledgerParts = (): MemoryParts => ({
    weights: ledger?.weights ?? 0,
    gradients: ledger?.gradients ?? 0,
    optimizerStates: ledger?.optimizerStates ?? 0,
    activations: ledger?.activations.total ?? 0,
    workspace: ledger?.backwardWorkspace ?? 0,
  });

  let stepPausedMs = 0;
  const onStep = (record: StepRecord): StepVerdict => {
    if (recorder.ended) return 'stop';
    const pausedInStep = pausedMs - stepPausedMs;
    stepPausedMs = pausedMs;
    recorder.recordStep({
      step: record.step,
      loss: record.loss,
      lr: record.lr,
      gradNorm: record.grad_norm,
      tokens: record.tokens,
      timeMs: record.time_ms - pausedInStep,
    });
    const parts = ledgerParts();
    let live = false;
    if (optimizer) {
      try {
        parts.optimizerStates = optimizer.stateBytes();
        live = true;
      } catch {
        // keep the ledger's figure
      }
    }
    if (isRoutingSource(model)) {
      const routing = model.routingStats();
      if (routing) recorder.recordRouting({ ...routing, step: record.step });
    }
    recorder.recordMemory({
      step: record.step,
      parts,
      partSources: { optimizerStates: live ? 'live' : 'ledger' },
      tensorBytes: record.memory,
      wasmHeapBytes: record.wasm_heap ?? null,
      device: probe.sample(record.wasm_heap ?? null),
    });
    if (signal?.aborted) stopReason ??= 'interrupted';
    if (stopReason !== null) {
      finish('stopped', stopReason);
      return 'stop';
    }
    if (run.totalSteps !== null && record.step >= run.totalSteps) {
      finish('finished', null);
      return undefined;
    }
    scheduleUpdate();
    if (gate) {
      // Paused: a trainer that awaits onStep waits here; the wrapped gradient engine waits otherwise.
      return (async () => {
        while (gate) await gate;
        if (stopReason !== null) {
          finish('stopped', stopReason);
          return 'stop';
        }
        return undefined;
      })();
    }
    return undefined;
  };

  const finish = (status: 'finished' | 'stopped' | 'failed', reason: string | null): void => {
    if (recorder.ended) return;
    openGate();
    recorder.finish(status, reason);
    unsubscribe();
    releaseControls();
    send();
  };

  const close = (error?: unknown): TelemetryMessage => {
    if (error !== undefined) finish('failed', error instanceof Error ? error.message : String(error));
    else finish(stopReason !== null ? 'stopped' : 'finished', stopReason);
    return recorder.message();
  };

  send();

  const dashboard: LiveDashboard = {
    runId,
    get displayId() {
      return handle?.displayId;
    },
    // The trainer types onStep as synchronous; a promise (only while paused) is ignored by a trainer that does not await it.
    trainOptions: { onStep: onStep as (record: StepRecord) => void | 'stop', gradientEngine },
    onStep,
    pausable,
    pause,
    resume,
    stop,
    setUpdateInterval,
    async watch<T>(training: Promise<T>): Promise<T> {
      try {
        const result = await training;
        close();
        return result;
      } catch (error) {
        close(error);
        throw error;
      }
    },
    close,
    message: () => recorder.message(),
    [JUPYTER_DISPLAY]: () => telemetryBundle(recorder.message()),
  };
  return dashboard;
}
