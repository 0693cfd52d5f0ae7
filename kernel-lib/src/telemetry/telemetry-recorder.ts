/**
 * Builds telemetry messages from a run's events: steps, memory samples,
 * GaLore subspace refreshes, mixture-of-experts routing, status changes and the end. Pure bookkeeping
 * (no tensors, no display), so it is cheap to call every step and easy to test.
 */
import { BucketHistory, roundSignificant, weightedMean } from './downsample';
import type { SubspaceStats } from '../optim/subspace-stats';
import { RoutingHistory, type RoutingInput } from './routing-history';
import {
  TELEMETRY_SCHEMA,
  TELEMETRY_VERSION,
  type DeviceMemory,
  type MemoryPartSources,
  type MemoryParts,
  type MemorySampleEvent,
  type RunEnd,
  type RunEndStatus,
  type RunMetadata,
  type RunStatus,
  type StepEvent,
  type SubspaceEvent,
  type SubspaceSummary,
  type TelemetryMessage,
} from './schema';

/** Sizes of the histories a message keeps. */
export interface RecorderLimits {
  /** Step points kept before neighbours are merged (default 256: 128-255 points). */
  stepCapacity?: number;
  /** Memory samples kept before neighbours are merged (default 128: 64-127 samples). */
  memoryCapacity?: number;
  /** Subspace refresh columns kept before neighbours are merged (default 32). */
  subspaceColumns?: number;
  /** Singular values kept per weight (default 16). */
  spectrumTopK?: number;
}

/** A finished optimizer step, as the trainer reports it. */
export interface StepInput {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number | null;
  /** Labelled tokens in the step. */
  tokens: number;
  /** Training time of the step in ms (pauses excluded). */
  timeMs: number;
}

/** One memory measurement. */
export interface MemoryInput {
  step: number;
  parts: MemoryParts;
  partSources: MemoryPartSources;
  tensorBytes: number;
  wasmHeapBytes: number | null;
  device: DeviceMemory | null;
}

/** What the recorder reads of a subspace refresh: the optimizer's `SubspaceStats` (timing and method aside). */
export type SubspaceInput = Pick<SubspaceStats, 'name' | 'step' | 'shape' | 'side' | 'rank' | 'singularValues' | 'energyCaptured' | 'overlap'>;

const MODULE_ORDER = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/**
 * Layer and short module name of a Hugging Face weight name.
 *
 * @example
 * weightLocation('model.layers.3.mlp.down_proj.weight'); // { layer: 3, module: 'down_proj' }
 */
export function weightLocation(name: string): { layer: number | null; module: string } {
  const m = /(?:^|\.)layers\.(\d+)\.(?:[a-z_]+\.)*?([A-Za-z0-9_]+)\.weight$/.exec(name);
  if (m) return { layer: Number(m[1]), module: m[2] };
  const parts = name.split('.');
  return { layer: null, module: parts.length > 1 && parts[parts.length - 1] === 'weight' ? parts[parts.length - 2] : name };
}

function compareWeights(a: SubspaceEvent, b: SubspaceEvent): number {
  const la = a.layer ?? Number.MAX_SAFE_INTEGER;
  const lb = b.layer ?? Number.MAX_SAFE_INTEGER;
  if (la !== lb) return la - lb;
  const ma = MODULE_ORDER.indexOf(a.module);
  const mb = MODULE_ORDER.indexOf(b.module);
  if (ma !== mb) return (ma < 0 ? 99 : ma) - (mb < 0 ? 99 : mb);
  return a.weight < b.weight ? -1 : a.weight > b.weight ? 1 : 0;
}

interface Cell {
  sum: number;
  n: number;
}

interface RefreshColumn {
  step: number;
  energy: Map<string, Cell>;
  overlap: Map<string, Cell>;
}

function addCell(cells: Map<string, Cell>, key: string, value: number | null): void {
  if (value === null || !Number.isFinite(value)) return;
  const cell = cells.get(key);
  if (cell) {
    cell.sum += value;
    cell.n += 1;
  } else cells.set(key, { sum: value, n: 1 });
}

function mergeCells(a: Map<string, Cell>, b: Map<string, Cell>): Map<string, Cell> {
  const out = new Map<string, Cell>();
  for (const [k, c] of a) out.set(k, { ...c });
  for (const [k, c] of b) {
    const prev = out.get(k);
    out.set(k, prev ? { sum: prev.sum + c.sum, n: prev.n + c.n } : { ...c });
  }
  return out;
}

function mergeSteps(a: StepEvent, b: StepEvent): StepEvent {
  return {
    step: b.step,
    elapsedMs: b.elapsedMs,
    loss: weightedMean(a.loss, a.count, b.loss, b.count) as number,
    lossMin: Math.min(a.lossMin, b.lossMin),
    lossMax: Math.max(a.lossMax, b.lossMax),
    lr: weightedMean(a.lr, a.count, b.lr, b.count) as number,
    gradNorm: weightedMean(a.gradNorm, a.count, b.gradNorm, b.count),
    tokensPerSecond: weightedMean(a.tokensPerSecond, a.count, b.tokensPerSecond, b.count),
    count: a.count + b.count,
  };
}

const maxOrNull = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** Merged memory samples keep the largest value of every figure (the peak of the interval). */
function mergeMemory(a: MemorySampleEvent, b: MemorySampleEvent): MemorySampleEvent {
  const parts = {} as MemoryParts;
  for (const key of Object.keys(b.parts) as (keyof MemoryParts)[]) parts[key] = Math.max(a.parts[key], b.parts[key]);
  let device = b.device;
  if (a.device && b.device && a.device.kind === b.device.kind) {
    device = {
      ...b.device,
      usedBytes: Math.max(a.device.usedBytes, b.device.usedBytes),
      processBytes: maxOrNull(a.device.processBytes, b.device.processBytes),
    };
  }
  return {
    step: b.step,
    elapsedMs: b.elapsedMs,
    parts,
    partSources: b.partSources,
    tensorBytes: Math.max(a.tensorBytes, b.tensorBytes),
    wasmHeapBytes: maxOrNull(a.wasmHeapBytes, b.wasmHeapBytes),
    device,
    count: a.count + b.count,
  };
}

function roundStep(e: StepEvent): StepEvent {
  return {
    ...e,
    loss: roundSignificant(e.loss, 6) ?? 0,
    lossMin: roundSignificant(e.lossMin, 6) ?? 0,
    lossMax: roundSignificant(e.lossMax, 6) ?? 0,
    lr: roundSignificant(e.lr, 4) ?? 0,
    gradNorm: e.gradNorm === null ? null : roundSignificant(e.gradNorm, 4),
    tokensPerSecond: e.tokensPerSecond === null ? null : roundSignificant(e.tokensPerSecond, 4),
    elapsedMs: Math.round(e.elapsedMs),
  };
}

function roundMemory(m: MemorySampleEvent): MemorySampleEvent {
  return { ...m, elapsedMs: Math.round(m.elapsedMs) };
}

/**
 * Accumulates one run's telemetry and produces bounded snapshots.
 *
 * @example
 * const rec = new TelemetryRecorder(runMetadata);
 * rec.recordStep({ step: 1, loss: 3.2, lr: 1e-3, gradNorm: 1.1, tokens: 512, timeMs: 300 });
 * const message = rec.message(); // a TelemetryMessage, at most 256 step points however long the run
 */
export class TelemetryRecorder {
  readonly run: RunMetadata;
  private readonly steps: BucketHistory<StepEvent>;
  private readonly memory: BucketHistory<MemorySampleEvent>;
  private readonly columnsCapacity: number;
  private readonly topK: number;
  private readonly started: number;
  private latestStep: StepEvent | null = null;
  private latestMemory: MemorySampleEvent | null = null;
  private readonly latestSubspace = new Map<string, SubspaceEvent>();
  private columns: RefreshColumn[] = [];
  private refreshesSeen = 0;
  private statusNow: RunStatus = 'running';
  private endInfo: RunEnd | null = null;
  private intervalMs = 1000;
  private readonly routing: RoutingHistory;

  constructor(run: RunMetadata, limits: RecorderLimits = {}, private readonly now: () => number = Date.now) {
    this.run = run;
    this.steps = new BucketHistory(limits.stepCapacity ?? 256, mergeSteps);
    this.memory = new BucketHistory(limits.memoryCapacity ?? 128, mergeMemory);
    this.columnsCapacity = Math.max(2, limits.subspaceColumns ?? 32);
    this.topK = Math.max(1, limits.spectrumTopK ?? 16);
    this.routing = new RoutingHistory(limits.stepCapacity ?? 256);
    this.started = now();
  }

  /** Milliseconds since the recorder was made. */
  elapsed(): number {
    return this.now() - this.started;
  }

  /** Records a finished optimizer step; returns the stored event. */
  recordStep(input: StepInput): StepEvent {
    const loss = Number.isFinite(input.loss) ? input.loss : Number.NaN;
    const trainMs = Math.max(0, input.timeMs);
    const event: StepEvent = roundStep({
      step: input.step,
      elapsedMs: this.elapsed(),
      loss,
      lossMin: loss,
      lossMax: loss,
      lr: input.lr,
      gradNorm: input.gradNorm !== null && Number.isFinite(input.gradNorm) ? input.gradNorm : null,
      tokensPerSecond: trainMs > 0 ? (input.tokens * 1000) / trainMs : null,
      count: 1,
    });
    if (!Number.isFinite(input.loss)) return event; // a diverged step is not plotted; the run end says why
    this.latestStep = event;
    this.steps.push(event);
    return event;
  }

  /** Records a memory sample. */
  recordMemory(input: MemoryInput): MemorySampleEvent {
    const sample = roundMemory({ ...input, elapsedMs: this.elapsed(), count: 1 });
    this.latestMemory = sample;
    this.memory.push(sample);
    return sample;
  }

  /** Records one weight's subspace refresh (GaLore's `SubspaceStats`). */
  recordSubspace(stats: SubspaceInput): SubspaceEvent {
    const { layer, module } = weightLocation(stats.name);
    const event: SubspaceEvent = {
      weight: stats.name,
      layer,
      module,
      step: stats.step,
      rank: stats.rank,
      shape: [stats.shape[0], stats.shape[1]],
      side: stats.side,
      singularValues: stats.singularValues.slice(0, this.topK).map((v) => roundSignificant(v, 4) ?? 0),
      energyCaptured: roundSignificant(stats.energyCaptured, 4) ?? 0,
      overlap: stats.overlap === null ? null : roundSignificant(stats.overlap, 4),
    };
    this.latestSubspace.set(event.weight, event);
    let column = this.columns[this.columns.length - 1];
    if (!column || column.step !== event.step) {
      column = { step: event.step, energy: new Map(), overlap: new Map() };
      this.columns.push(column);
      this.refreshesSeen += 1;
      if (this.columns.length > this.columnsCapacity) this.halveColumns();
      column = this.columns[this.columns.length - 1];
    }
    addCell(column.energy, event.weight, event.energyCaptured);
    addCell(column.overlap, event.weight, event.overlap);
    return event;
  }

  /** Records one step's expert routing (a LoRA-MoE's `routingStats()` with the step). */
  recordRouting(input: RoutingInput): void {
    this.routing.record(input);
  }

  /** Sets the run's status (`running` or `paused`; use {@link finish} to end it). */
  setStatus(status: 'running' | 'paused'): void {
    if (!this.endInfo) this.statusNow = status;
  }

  get status(): RunStatus {
    return this.statusNow;
  }

  /** The display update interval the message reports. */
  setUpdateInterval(ms: number): void {
    this.intervalMs = ms;
  }

  /** Ends the run (only the first call counts). */
  finish(status: RunEndStatus, reason: string | null = null): RunEnd {
    if (this.endInfo) return this.endInfo;
    this.statusNow = status;
    this.endInfo = { status, step: this.latestStep?.step ?? 0, elapsedMs: Math.round(this.elapsed()), reason };
    return this.endInfo;
  }

  get ended(): RunEnd | null {
    return this.endInfo;
  }

  /** The latest step recorded, or null. */
  get lastStep(): StepEvent | null {
    return this.latestStep;
  }

  /** A snapshot of the run as a telemetry message. */
  message(): TelemetryMessage {
    return {
      schema: TELEMETRY_SCHEMA,
      version: TELEMETRY_VERSION,
      run: this.run,
      status: this.statusNow,
      updatedAt: new Date(this.now()).toISOString(),
      updateIntervalMs: this.intervalMs,
      latest: { step: this.latestStep, memory: this.latestMemory },
      steps: this.steps.points().map((p) => (p.count > 1 ? roundStep(p) : p)),
      memory: this.memory.points(),
      subspaces: this.subspaceSummary(),
      routing: this.routing.summary(),
      end: this.endInfo,
      history: { stepsSeen: this.steps.seen, memorySamplesSeen: this.memory.seen },
    };
  }

  private subspaceSummary(): SubspaceSummary | null {
    if (this.latestSubspace.size === 0) return null;
    const latest = [...this.latestSubspace.values()].sort(compareWeights);
    const weights = latest.map((e) => e.weight);
    const matrix = (pick: (c: RefreshColumn) => Map<string, Cell>) =>
      weights.map((w) =>
        this.columns.map((c) => {
          const cell = pick(c).get(w);
          return cell ? roundSignificant(cell.sum / cell.n, 4) : null;
        }),
      );
    return {
      weights,
      latest,
      refreshSteps: this.columns.map((c) => c.step),
      energy: matrix((c) => c.energy),
      overlap: matrix((c) => c.overlap),
      refreshesSeen: this.refreshesSeen,
    };
  }

  private halveColumns(): void {
    // Keep the newest column as it is (it is still being filled); merge the older ones pairwise.
    const newest = this.columns.pop()!;
    const merged: RefreshColumn[] = [];
    for (let i = 0; i < this.columns.length; i += 2) {
      const a = this.columns[i];
      const b = this.columns[i + 1];
      merged.push(b ? { step: b.step, energy: mergeCells(a.energy, b.energy), overlap: mergeCells(a.overlap, b.overlap) } : a);
    }
    merged.push(newest);
    this.columns = merged;
  }
}
