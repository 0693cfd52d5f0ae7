/**
 * Run controls over a comm: the JupyterLab extension opens a comm to
 * {@link TELEMETRY_CONTROL_TARGET} and sends `pause`, `resume`, `stop`,
 * `set-rate` or `status` for a run id; the kernel answers each request on the
 * same comm. One comm target serves every run of the kernel: runs register
 * themselves here while they are live.
 */
import { registerCommTarget } from '../display/comms';
import { KERNEL_HOOK_KEY, type KernelComm } from '../display/kernel-hook';
import {
  TELEMETRY_CONTROL_TARGET,
  parseControlRequest,
  type RunStatus,
  type TelemetryControlReply,
  type TelemetryControlRequest,
} from './schema';

/** What a live run lets the frontend do. */
export interface ControllableRun {
  pause(): void;
  resume(): void;
  stop(reason: string): void;
  setUpdateInterval(ms: number): void;
  status(): RunStatus;
  updateInterval(): number;
}

interface ControlRegistry {
  runs: Map<string, ControllableRun>;
  /** Whether the comm target is registered with the kernel now running us. */
  registeredWith: unknown;
}

const REGISTRY_KEY = Symbol.for('galore-lab.telemetry.controls');

/** Shared across copies of the library loaded into one kernel. */
function registry(): ControlRegistry {
  const g = globalThis as Record<symbol, ControlRegistry | undefined>;
  g[REGISTRY_KEY] ??= { runs: new Map(), registeredWith: null };
  return g[REGISTRY_KEY];
}

/**
 * Applies one control request to the registered runs and returns the reply.
 *
 * @example
 * handleControlRequest({ command: 'pause', runId: dash.runId }); // { ok: true, status: 'paused', ... }
 */
export function handleControlRequest(data: unknown): TelemetryControlReply {
  const parsed = parseControlRequest(data);
  if (!parsed.ok) {
    const o = (data && typeof data === 'object' ? data : {}) as { runId?: unknown; command?: unknown };
    return {
      ok: false,
      runId: typeof o.runId === 'string' ? o.runId : null,
      command: typeof o.command === 'string' ? o.command : null,
      reason: parsed.reason,
    };
  }
  const request: TelemetryControlRequest = parsed.request;
  const run = registry().runs.get(request.runId);
  if (!run) {
    return { ok: false, runId: request.runId, command: request.command, reason: `run ${request.runId} is not running in this kernel (it ended, or the kernel restarted)` };
  }
  switch (request.command) {
    case 'pause':
      run.pause();
      break;
    case 'resume':
      run.resume();
      break;
    case 'stop':
      run.stop('stopped from the training monitor');
      break;
    case 'set-rate':
      run.setUpdateInterval(request.intervalMs);
      break;
    case 'status':
      break;
  }
  return { ok: true, runId: request.runId, command: request.command, status: run.status(), updateIntervalMs: run.updateInterval() };
}

function serve(comm: KernelComm, data: unknown): void {
  // A comm may be opened with a request in its data, or with just the run id.
  if (data && typeof data === 'object' && 'command' in data) comm.send(handleControlRequest(data));
  comm.onMessage(({ data: message }) => comm.send(handleControlRequest(message)));
}

/**
 * Makes a run controllable from the frontend. Returns the comm target name,
 * or null when the kernel has no comms (then the dashboard shows no controls),
 * and a function that unregisters the run.
 *
 * @example
 * const { commTarget, release } = registerControllableRun('run-1', run);
 */
export function registerControllableRun(runId: string, run: ControllableRun): { commTarget: string | null; release: () => void } {
  const reg = registry();
  const kernelHook = (globalThis as Record<symbol, unknown>)[KERNEL_HOOK_KEY];
  if (reg.registeredWith !== kernelHook || !kernelHook) {
    const registered = registerCommTarget(TELEMETRY_CONTROL_TARGET, (comm, open) => serve(comm, open.data));
    if (!registered.ok) return { commTarget: null, release: () => undefined };
    reg.registeredWith = kernelHook;
  }
  reg.runs.set(runId, run);
  return { commTarget: TELEMETRY_CONTROL_TARGET, release: () => void reg.runs.delete(runId) };
}
