/**
 * `display`: show rich objects in whatever is running the code.
 *
 * - In the GaLore Lab kernel: the whole MIME bundle in one message, with
 *   metadata, `display_id` updates and `clear_output`.
 * - In a stock tslab kernel: one MIME type per message (see `tslab-fallback`),
 *   `display_id` updates through tslab's `newDisplay()`, no `clear_output`.
 * - Anywhere else (a script, a test): the `text/plain` entry on stdout.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { findKernelHook, type MimeBundle } from './kernel-hook';
import { mimeBundleOf, normalizeMimeBundle } from './mime-bundle';
import { findTslabModule, sendThroughTslab, type TslabDisplay } from './tslab-fallback';

/** Where displays go. */
export type DisplayEnvironment = 'galore-lab-kernel' | 'tslab' | 'plain-text';

/** Options of {@link display} and {@link displayMimeBundle}. */
export interface DisplayOptions {
  /** Per-MIME-type metadata (sent only by the GaLore Lab kernel). */
  metadata?: Record<string, unknown>;
  /** `true` for a fresh id, or your own id, so that the output can be updated later. */
  displayId?: string | boolean;
}

/** A displayed output that can be replaced in place. */
export interface DisplayHandle {
  /** The output's display id. */
  readonly displayId: string;
  /** Where the output went. */
  readonly environment: DisplayEnvironment;
  /** Replaces the output with another value. */
  update(value: unknown, options?: Pick<DisplayOptions, 'metadata'>): void;
  /** Replaces the output with another MIME bundle. */
  updateMimeBundle(bundle: MimeBundle, options?: Pick<DisplayOptions, 'metadata'>): void;
}

/** Result of {@link clearOutput}: done, or why not. */
export type ClearOutputResult = { ok: true } | { ok: false; reason: string };

/**
 * Which display path this process uses now.
 *
 * @example
 * displayEnvironment(); // 'galore-lab-kernel' in our kernel, 'plain-text' in a script
 */
export function displayEnvironment(): DisplayEnvironment {
  if (findKernelHook()) return 'galore-lab-kernel';
  if (findTslabModule()) return 'tslab';
  return 'plain-text';
}

/** Options that ask for an updatable output. */
export type UpdatableDisplayOptions = DisplayOptions & { displayId: string | true };

/**
 * Displays any value: its `Symbol.for('Jupyter.display')` bundle when it has
 * one, its `util.inspect` text otherwise. Like IPython's `display`, it returns
 * a handle only when asked for a display id (so a bare `display(x)` as a
 * cell's last line adds no second output).
 *
 * @example
 * display(stepTable);
 * const progress = display(stepTable, { displayId: true });
 * progress.update(nextStepTable); // replaces the same output
 */
export function display(value: unknown, options: UpdatableDisplayOptions): DisplayHandle;
export function display(value: unknown, options?: DisplayOptions): DisplayHandle | undefined;
export function display(value: unknown, options: DisplayOptions = {}): DisplayHandle | undefined {
  return displayMimeBundle(mimeBundleOf(value), options);
}

/**
 * Displays a MIME bundle as given (normalized: binary to base64, JSON as
 * objects); returns a handle when a display id was asked for.
 *
 * @example
 * displayMimeBundle({ 'text/html': '<b>done</b>', 'text/plain': 'done' });
 */
export function displayMimeBundle(bundle: MimeBundle, options: UpdatableDisplayOptions): DisplayHandle;
export function displayMimeBundle(bundle: MimeBundle, options?: DisplayOptions): DisplayHandle | undefined;
export function displayMimeBundle(bundle: MimeBundle, options: DisplayOptions = {}): DisplayHandle | undefined {
  const displayId = options.displayId === true ? randomUUID() : options.displayId || undefined;
  const environment = displayEnvironment();
  const sender = createSender(environment, displayId);
  sender(normalizeMimeBundle(bundle), options.metadata, false);
  if (displayId === undefined) return undefined;
  const handle: DisplayHandle = {
    displayId,
    environment,
    update: (value, updateOptions = {}) => sender(mimeBundleOf(value), updateOptions.metadata, true),
    updateMimeBundle: (next, updateOptions = {}) => sender(normalizeMimeBundle(next), updateOptions.metadata, true),
  };
  Object.defineProperty(handle, inspect.custom, { value: () => `DisplayHandle(${displayId}, ${environment})` });
  return handle;
}

/**
 * Clears the current cell's output (`wait: true` clears when the next output arrives,
 * which avoids flicker in progress displays). Stock tslab cannot clear output.
 *
 * @example
 * clearOutput({ wait: true });
 * display(progressTable);
 */
export function clearOutput(options: { wait?: boolean } = {}): ClearOutputResult {
  const hook = findKernelHook();
  if (hook) {
    hook.clearOutput(options.wait ?? false);
    return { ok: true };
  }
  if (findTslabModule()) {
    return { ok: false, reason: 'stock tslab has no clear_output; use display(..., { displayId: true }) and update() instead' };
  }
  return { ok: false, reason: 'not running in a Jupyter kernel: there is no output to clear' };
}

type BundleSender = (bundle: MimeBundle, metadata: Record<string, unknown> | undefined, update: boolean) => void;

function createSender(environment: DisplayEnvironment, displayId: string | undefined): BundleSender {
  if (environment === 'galore-lab-kernel') {
    return (bundle, metadata, update) => {
      const hook = findKernelHook();
      if (!hook) return printPlainText(bundle);
      hook.display(bundle, { metadata, displayId, update });
    };
  }
  if (environment === 'tslab') {
    let target: TslabDisplay | undefined;
    return (bundle) => {
      const tslab = findTslabModule();
      if (!tslab) return printPlainText(bundle);
      target ??= displayId ? tslab.newDisplay() : tslab.display;
      try {
        sendThroughTslab(target, bundle);
      } catch {
        // tslab throws "Not ready" before its first cell has run.
        printPlainText(bundle);
      }
    };
  }
  return (bundle) => printPlainText(bundle);
}

function printPlainText(bundle: MimeBundle): void {
  process.stdout.write(`${String(bundle['text/plain'] ?? '')}\n`);
}
