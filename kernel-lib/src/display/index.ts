/**
 * The library's way to reach the notebook frontend: rich displays and comms.
 * Works in the GaLore Lab kernel, degrades in stock tslab, prints text elsewhere.
 */
export {
  display,
  displayMimeBundle,
  clearOutput,
  displayEnvironment,
  type DisplayEnvironment,
  type DisplayOptions,
  type UpdatableDisplayOptions,
  type DisplayHandle,
  type ClearOutputResult,
} from './display';
export {
  JUPYTER_DISPLAY,
  richMimeBundle,
  mimeBundleOf,
  plainTextOf,
  stripAsyncHookFields,
  normalizeMimeBundle,
  isJsonMimeType,
  escapeHtml,
  type Displayable,
  type RichBundleParts,
} from './mime-bundle';
export {
  registerCommTarget,
  openComm,
  currentCellSignal,
  type CommsUnavailable,
  type CommTargetRegistration,
  type OpenedComm,
} from './comms';
export {
  KERNEL_HOOK_KEY,
  findKernelHook,
  type MimeBundle,
  type DisplayRequest,
  type CommMessage,
  type CommSendOptions,
  type KernelComm,
  type CommTargetHandler,
  type GaloreKernelHook,
} from './kernel-hook';
