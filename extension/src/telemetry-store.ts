/**
 * The runs seen per kernel: fed by the telemetry the kernel sends on IOPub
 * (and by the telemetry outputs a notebook already holds), read by the status
 * bar item and the "Training monitor" side panel.
 */
import { Token } from '@lumino/coreutils';
import { Signal, type ISignal } from '@lumino/signaling';
import { parseTelemetry, type TelemetryMessage } from './telemetry';

/** One run of one kernel, with its newest message. */
export interface RunRecord {
  kernelId: string;
  runId: string;
  message: TelemetryMessage;
  /** `Date.now()` when the newest message arrived. */
  receivedAt: number;
}

/** What changed. */
export interface StoreChange {
  kernelId: string;
  runId: string | null;
}

/** Runs older than this many per kernel are forgotten. */
const MAX_RUNS_PER_KERNEL = 50;

/**
 * Runs per kernel, newest message per run.
 */
export class TelemetryStore {
  private readonly byKernel = new Map<string, Map<string, RunRecord>>();
  private readonly problems = new Map<string, string>();
  private readonly changedSignal = new Signal<this, StoreChange>(this);

  /** Emitted after every accepted message or problem. */
  get changed(): ISignal<this, StoreChange> {
    return this.changedSignal;
  }

  /**
   * Takes telemetry data (the MIME payload) from a kernel. Returns false (and
   * remembers the problem for that kernel) when it is not valid telemetry.
   */
  ingest(kernelId: string, data: unknown): boolean {
    const parsed = parseTelemetry(data);
    if (!parsed.ok) {
      this.problems.set(kernelId, parsed.problem);
      this.changedSignal.emit({ kernelId, runId: null });
      return false;
    }
    const message = parsed.message;
    let runs = this.byKernel.get(kernelId);
    if (!runs) {
      runs = new Map();
      this.byKernel.set(kernelId, runs);
    }
    const previous = runs.get(message.run.runId);
    // An older snapshot (e.g. a saved output scanned after live updates) never replaces a newer one.
    if (previous && previous.message.updatedAt > message.updatedAt) return true;
    runs.set(message.run.runId, { kernelId, runId: message.run.runId, message, receivedAt: Date.now() });
    if (runs.size > MAX_RUNS_PER_KERNEL) {
      const oldest = [...runs.values()].sort((a, b) => a.receivedAt - b.receivedAt)[0];
      runs.delete(oldest.runId);
    }
    this.problems.delete(kernelId);
    this.changedSignal.emit({ kernelId, runId: message.run.runId });
    return true;
  }

  /** The kernel's runs, oldest start first. */
  runs(kernelId: string | null | undefined): RunRecord[] {
    if (!kernelId) return [];
    const runs = this.byKernel.get(kernelId);
    if (!runs) return [];
    return [...runs.values()].sort((a, b) => (a.message.run.startedAt < b.message.run.startedAt ? -1 : a.message.run.startedAt > b.message.run.startedAt ? 1 : 0));
  }

  /** The kernel's most recently updated run, or null. */
  latest(kernelId: string | null | undefined): RunRecord | null {
    let best: RunRecord | null = null;
    for (const run of this.runs(kernelId)) if (!best || run.receivedAt >= best.receivedAt) best = run;
    return best;
  }

  /** The last invalid telemetry seen from the kernel (cleared by the next valid one). */
  problem(kernelId: string | null | undefined): string | null {
    return (kernelId && this.problems.get(kernelId)) || null;
  }
}

/** The store, provided by the `telemetry-store` plugin. */
export const ITelemetryStore = new Token<TelemetryStore>(
  'galore-lab-jupyterlab:ITelemetryStore',
  'Training telemetry runs per kernel, fed from IOPub'
);
