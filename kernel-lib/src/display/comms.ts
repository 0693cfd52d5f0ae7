/**
 * Comms for the library: talk to frontend widgets when the GaLore Lab kernel
 * runs us, and say clearly why not elsewhere (stock tslab has no comms).
 */
import { findKernelHook, type CommSendOptions, type CommTargetHandler, type KernelComm } from './kernel-hook';
import { findTslabModule } from './tslab-fallback';

/** Why comms are not available here. */
export interface CommsUnavailable {
  ok: false;
  reason: string;
}

/** A registered comm target. */
export interface CommTargetRegistration {
  ok: true;
  targetName: string;
  /** Stops accepting new comms for this target (open comms stay open). */
  unregister(): void;
}

/** A comm opened from the kernel side. */
export interface OpenedComm {
  ok: true;
  comm: KernelComm;
}

/**
 * Registers a comm target so a frontend widget can open comms to running code.
 * Handlers run even while a cell is awaiting, so a widget can steer a training loop.
 *
 * @example
 * let logEvery = 10;
 * const target = registerCommTarget('galore-lab.training', (comm) => {
 *   comm.onMessage(({ data }) => { logEvery = (data as { logEvery: number }).logEvery; });
 * });
 * if (!target.ok) console.log(target.reason);
 */
export function registerCommTarget(
  targetName: string,
  handler: CommTargetHandler,
): CommTargetRegistration | CommsUnavailable {
  const hook = findKernelHook();
  if (!hook) return commsUnavailable();
  const unregister = hook.registerCommTarget(targetName, handler);
  return { ok: true, targetName, unregister };
}

/**
 * Opens a comm from the kernel to a frontend target (registered by a JupyterLab extension).
 *
 * @example
 * const opened = openComm('galore-lab.dashboard', { run: 'lora-r8' });
 * if (opened.ok) opened.comm.send({ step: 1, loss: 2.31 });
 */
export function openComm(
  targetName: string,
  data: unknown = {},
  options: CommSendOptions = {},
): OpenedComm | CommsUnavailable {
  const hook = findKernelHook();
  if (!hook) return commsUnavailable();
  return { ok: true, comm: hook.openComm(targetName, data, options) };
}

/**
 * The abort signal of the running cell (aborted when the user interrupts the
 * kernel), or `undefined` outside the GaLore Lab kernel.
 *
 * @example
 * const signal = currentCellSignal();
 * for (let step = 0; step < 1000 && !signal?.aborted; step++) await trainStep();
 */
export function currentCellSignal(): AbortSignal | undefined {
  return findKernelHook()?.cellSignal();
}

function commsUnavailable(): CommsUnavailable {
  if (findTslabModule()) {
    return {
      ok: false,
      reason:
        'this is a stock tslab kernel, which has no comms; install the GaLore Lab kernel ' +
        '(`galore-lab install-kernel`) and pick "TypeScript (GaLore Lab)" as the notebook kernel',
    };
  }
  return { ok: false, reason: 'not running in the GaLore Lab kernel, so there is no frontend to talk to' };
}
