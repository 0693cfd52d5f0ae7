/**
 * Displaying through a stock tslab kernel.
 *
 * tslab sends one MIME type per message, as a string, and has no comms and no
 * clear_output. We pick the one type of a bundle that every frontend renders
 * best and send that; `display_id` updates map onto tslab's `newDisplay()`.
 */
import type { MimeBundle } from './kernel-hook';

/** The part of tslab's public `Display` interface we use. */
export interface TslabDisplay {
  raw(contentType: string, data: string | Uint8Array): unknown;
}

/** The part of tslab's public module we use. */
export interface TslabModule {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

/**
 * MIME types in the order we prefer when only one can be sent. HTML first:
 * JupyterLab, Notebook and nbconvert all render it, while a library-specific
 * type needs our extension and JSON would arrive as a string.
 */
export const TSLAB_MIME_PREFERENCE: readonly string[] = [
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'text/markdown',
  'text/latex',
  'text/plain',
];

/**
 * Finds the tslab module of the stock tslab kernel running this code, or
 * `undefined` when not inside tslab. tslab puts its cell `require` on
 * `globalThis.__tslab__`, and that `require('tslab')` returns the kernel's own
 * tslab instance (the one whose display is wired to the frontend).
 *
 * @example
 * const tslab = findTslabModule();
 * tslab?.display.raw('text/html', '<b>hi</b>');
 */
export function findTslabModule(): TslabModule | undefined {
  const scope = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (!scope || typeof scope.require !== 'function') return undefined;
  try {
    const mod = scope.require('tslab') as Partial<TslabModule> | undefined;
    if (mod && typeof mod.newDisplay === 'function' && mod.display && typeof mod.display.raw === 'function') {
      return mod as TslabModule;
    }
  } catch {
    // Not a tslab kernel after all.
  }
  return undefined;
}

/**
 * Picks the one MIME type of a bundle to send through tslab.
 *
 * @example
 * pickTslabMimeType({ 'application/vnd.x+json': {}, 'text/html': '<b/>', 'text/plain': 'b' }); // 'text/html'
 */
export function pickTslabMimeType(bundle: MimeBundle): string {
  for (const mime of TSLAB_MIME_PREFERENCE) {
    if (typeof bundle[mime] === 'string') return mime;
  }
  return 'text/plain';
}

/**
 * Sends a bundle through a tslab `Display` as one message; returns the MIME
 * type sent. JSON-only data falls back to its `text/plain` entry.
 *
 * @example
 * sendThroughTslab(tslab.display, { 'text/html': '<b>1</b>', 'text/plain': '1' }); // 'text/html'
 */
export function sendThroughTslab(target: TslabDisplay, bundle: MimeBundle): string {
  const mime = pickTslabMimeType(bundle);
  const data = bundle[mime];
  target.raw(mime, typeof data === 'string' ? data : String(bundle['text/plain'] ?? ''));
  return mime;
}
