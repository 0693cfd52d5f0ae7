/**
 * The kernel's side of the library contract: the object installed on
 * `globalThis` (see `display/kernel-hook`), and tslab's own display API
 * routed into the same messages.
 */
import {
  KERNEL_HOOK_KEY,
  type CommSendOptions,
  type DisplayRequest,
  type GaloreKernelHook,
  type MimeBundle,
} from '../display/kernel-hook';
import { normalizeMimeBundle } from '../display/mime-bundle';
import type { CommManager } from './comm-manager';
import { IMPLEMENTATION } from './kernel-info';
import type { OutputContext } from './output-context';
import type { KernelTransport } from './kernel-transport';
import { wireTslabDisplay } from './tslab-modules';

/**
 * Builds the hook; display messages go to the calling code's request.
 *
 * @example
 * installKernelHook(createKernelHook(transport, outputs, comms));
 */
export function createKernelHook(transport: KernelTransport, outputs: OutputContext, comms: CommManager): GaloreKernelHook {
  const publishDisplay = (bundle: MimeBundle, request: DisplayRequest = {}) => {
    const content: Record<string, unknown> = {
      data: normalizeMimeBundle(bundle),
      metadata: request.metadata ?? {},
      transient: request.displayId ? { display_id: request.displayId } : {},
    };
    const update = request.update === true && request.displayId !== undefined;
    transport.publish(outputs.current()?.parent, update ? 'update_display_data' : 'display_data', content);
  };
  return {
    protocol: 1,
    implementation: IMPLEMENTATION,
    display: publishDisplay,
    clearOutput: (wait) => transport.publish(outputs.current()?.parent, 'clear_output', { wait }),
    registerCommTarget: (targetName, handler) => comms.registerTarget(targetName, handler),
    openComm: (targetName, data?: unknown, options?: CommSendOptions) => comms.open(targetName, data, options),
    cellSignal: () => outputs.current()?.signal,
  };
}

/**
 * Installs the hook on `globalThis` and routes tslab's `display` API through it.
 *
 * @example
 * installKernelHook(hook);
 * // in a cell: import { display } from 'tslab'; display.html('<b>works</b>');
 */
export function installKernelHook(hook: GaloreKernelHook): void {
  Object.defineProperty(globalThis, KERNEL_HOOK_KEY, { value: hook, configurable: true, enumerable: false });
  wireTslabDisplay((message, update) => {
    const displayId = message.transient?.display_id;
    hook.display(message.data, { metadata: message.metadata, displayId, update: update && displayId !== undefined });
  });
}
