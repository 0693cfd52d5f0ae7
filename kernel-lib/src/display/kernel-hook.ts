/**
 * The contract between the library and the GaLore Lab kernel.
 *
 * The kernel installs an object implementing {@link GaloreKernelHook} on
 * `globalThis` under {@link KERNEL_HOOK_KEY}; the library finds it there. The
 * library never imports the kernel, so the same library code runs in our
 * kernel, in a stock tslab kernel and in plain Node.
 */

/**
 * A MIME bundle: MIME type to data. Text types carry strings, JSON types
 * (`application/json`, `*+json`) carry objects, images carry base64 strings.
 */
export type MimeBundle = Record<string, unknown>;

/** Options of one display message. */
export interface DisplayRequest {
  /** Per-MIME-type metadata, e.g. `{ 'image/png': { width: 64 } }`. */
  metadata?: Record<string, unknown>;
  /** Stable id: a later display with `update: true` replaces this output. */
  displayId?: string;
  /** Send `update_display_data` for `displayId` instead of a new output. */
  update?: boolean;
}

/** One message received on a comm, or the data a comm was opened or closed with. */
export interface CommMessage {
  data: unknown;
  metadata: Record<string, unknown>;
  buffers: Uint8Array[];
}

/** Options for a message sent on a comm. */
export interface CommSendOptions {
  metadata?: Record<string, unknown>;
  buffers?: Uint8Array[];
}

/** The kernel side of a comm: a two-way channel to a frontend widget. */
export interface KernelComm {
  readonly commId: string;
  readonly targetName: string;
  readonly closed: boolean;
  /** Sends `comm_msg` to the frontend; a no-op after close. */
  send(data: unknown, options?: CommSendOptions): void;
  /** Sends `comm_close` and forgets the comm. */
  close(data?: unknown, options?: CommSendOptions): void;
  /** Called for each `comm_msg` from the frontend, even while a cell is running. */
  onMessage(handler: (message: CommMessage) => void | Promise<void>): void;
  /** Called once when the frontend closes the comm. */
  onClose(handler: (message: CommMessage) => void | Promise<void>): void;
}

/** Called when a frontend opens a comm to a registered target. */
export type CommTargetHandler = (comm: KernelComm, open: CommMessage) => void | Promise<void>;

/** What the GaLore Lab kernel offers the library. */
export interface GaloreKernelHook {
  /** Version of this contract; bumped on incompatible changes. */
  readonly protocol: 1;
  /** The kernel's implementation name, e.g. `galore-lab`. */
  readonly implementation: string;
  /** Sends one `display_data` (or `update_display_data`) with the whole bundle. */
  display(bundle: MimeBundle, request?: DisplayRequest): void;
  /** Sends `clear_output`; `wait` delays clearing until the next output arrives. */
  clearOutput(wait: boolean): void;
  /** Registers a comm target; returns a function that unregisters it. */
  registerCommTarget(targetName: string, handler: CommTargetHandler): () => void;
  /** Opens a comm from the kernel side (`comm_open` to the frontend). */
  openComm(targetName: string, data?: unknown, options?: CommSendOptions): KernelComm;
  /** The abort signal of the cell whose code is calling, aborted when the user interrupts it. */
  cellSignal(): AbortSignal | undefined;
}

/** The global key under which the kernel installs its hook. */
export const KERNEL_HOOK_KEY: unique symbol = Symbol.for('galore-lab.kernel');

/**
 * Finds the hook of a running GaLore Lab kernel, or `undefined` elsewhere.
 *
 * @example
 * const hook = findKernelHook();
 * if (hook) hook.display({ 'text/plain': 'hi', 'text/html': '<b>hi</b>' });
 */
export function findKernelHook(): GaloreKernelHook | undefined {
  const candidate = (globalThis as Record<symbol, unknown>)[KERNEL_HOOK_KEY];
  if (candidate && typeof candidate === 'object' && (candidate as { protocol?: unknown }).protocol === 1) {
    return candidate as GaloreKernelHook;
  }
  return undefined;
}
