/**
 * Turning values into MIME bundles.
 *
 * Any object with a method under `Symbol.for('Jupyter.display')` that returns
 * a MIME bundle displays richly (the convention of Deno's kernel, which our
 * kernel shares). Everything else is shown as `text/plain`.
 */
import { inspect } from 'node:util';
import type { MimeBundle } from './kernel-hook';

/** The method key under which rich objects return their MIME bundle. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for('Jupyter.display');

/** A value that knows how to display itself. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

/** What {@link richMimeBundle} needs: the object's own MIME type plus its fallbacks. */
export interface RichBundleParts {
  /** The object's own MIME type, e.g. `application/vnd.galore-lab.dashboard+json`. */
  mimeType: string;
  /** Data for `mimeType` (an object for JSON types). */
  data: unknown;
  /** Plain-text fallback shown by consoles and by frontends without a renderer. */
  text: string;
  /** HTML fallback; when omitted the text fallback is shown in a `<pre>`. */
  html?: string;
}

/**
 * Builds the bundle a rich object should return: its own MIME type next to
 * `text/plain` and `text/html` fallbacks.
 *
 * @example
 * class LossTable {
 *   [Symbol.for('Jupyter.display')]() {
 *     return richMimeBundle({
 *       mimeType: 'application/vnd.galore-lab.table+json',
 *       data: { rows: [[1, 2.5]] },
 *       text: 'step loss\n   1  2.5',
 *       html: '<table><tr><td>1</td><td>2.5</td></tr></table>',
 *     });
 *   }
 * }
 */
export function richMimeBundle(parts: RichBundleParts): MimeBundle {
  return normalizeMimeBundle({
    [parts.mimeType]: parts.data,
    'text/html': parts.html ?? `<pre>${escapeHtml(parts.text)}</pre>`,
    'text/plain': parts.text,
  });
}

/**
 * Returns the MIME bundle for any value: its `Symbol.for('Jupyter.display')`
 * bundle when it has one, `text/plain` of `util.inspect` otherwise.
 *
 * @example
 * mimeBundleOf(42);                  // { 'text/plain': '42' }
 * mimeBundleOf({ [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<b>x</b>', 'text/plain': 'x' }) });
 * // { 'text/html': '<b>x</b>', 'text/plain': 'x' }
 */
export function mimeBundleOf(value: unknown): MimeBundle {
  const method = displayMethodOf(value);
  if (method) {
    const bundle = method.call(value);
    // A promise is not a bundle (displays are synchronous); show the object as text instead.
    if (bundle && typeof bundle === 'object' && typeof (bundle as { then?: unknown }).then !== 'function') {
      const normalized = normalizeMimeBundle(bundle as MimeBundle);
      if (typeof normalized['text/plain'] !== 'string') normalized['text/plain'] = plainTextOf(value);
      return normalized;
    }
  }
  return { 'text/plain': plainTextOf(value) };
}

/**
 * The `text/plain` form of a value, as Node's REPL prints it (no colours).
 *
 * @example
 * plainTextOf('abc'); // "'abc'"
 */
export function plainTextOf(value: unknown): string {
  const text = inspect(value, { colors: false, depth: 4, maxArrayLength: 100, breakLength: 100 });
  return text.includes('[Symbol(async_id_symbol)]') ? stripAsyncHookFields(text) : text;
}

/**
 * Node 20 tags promises with async-hook fields once `AsyncLocalStorage` is in
 * use (our kernel uses it to route output); they are noise in a displayed
 * value. Removes `[Symbol(async_id_symbol)]: 12`-style entries, whatever
 * their (possibly nested) value.
 *
 * @example
 * stripAsyncHookFields('Promise {\n  3,\n  [Symbol(async_id_symbol)]: 9\n}'); // 'Promise {\n  3\n}'
 */
export function stripAsyncHookFields(text: string): string {
  const key = /,?\s*\[Symbol\((?:async_id_symbol|trigger_async_id_symbol|kResourceStore)\)\]: /g;
  let out = '';
  let from = 0;
  for (let match = key.exec(text); match; match = key.exec(text)) {
    out += text.slice(from, match.index);
    let depth = 0;
    let i = match.index + match[0].length;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') {
        if (depth === 0) break;
        depth--;
      } else if ((c === ',' || c === '\n') && depth === 0) break;
    }
    from = i;
    key.lastIndex = i;
  }
  return out + text.slice(from);
}

/**
 * Makes a bundle safe to send: binary data becomes base64, JSON types carry
 * objects (a JSON string is parsed), and a `text/plain` entry is always present.
 *
 * @example
 * normalizeMimeBundle({ 'image/png': new Uint8Array([137, 80]) });
 * // { 'image/png': 'iVA=', 'text/plain': '<image/png>' }
 */
export function normalizeMimeBundle(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, data] of Object.entries(bundle)) {
    if (data === undefined) continue;
    if (data instanceof Uint8Array) {
      out[mime] = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    } else if (isJsonMimeType(mime) && typeof data === 'string') {
      out[mime] = parseJsonOr(data);
    } else {
      out[mime] = data;
    }
  }
  if (typeof out['text/plain'] !== 'string') {
    const types = Object.keys(out);
    out['text/plain'] = types.length > 0 ? `<${types.join(', ')}>` : '';
  }
  return out;
}

/**
 * True for MIME types whose data is JSON (`application/json`, `...+json`).
 *
 * @example
 * isJsonMimeType('application/vnd.plotly.v1+json'); // true
 */
export function isJsonMimeType(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json');
}

/**
 * Escapes text for HTML.
 *
 * @example
 * escapeHtml('<a & b>'); // '&lt;a &amp; b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function displayMethodOf(value: unknown): (() => unknown) | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const method = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
  return typeof method === 'function' ? (method as () => unknown) : undefined;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
