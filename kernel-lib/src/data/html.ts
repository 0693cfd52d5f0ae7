/**
 * HTML escaping for everything the data module shows in a notebook: every
 * piece of data inserted into HTML goes through `escapeHtml`.
 */

/**
 * Escapes `& < > " '` so text displays literally inside HTML elements and
 * attribute values.
 *
 * @example
 * escapeHtml('<b>"knee" & ankle</b>'); // '&lt;b&gt;&quot;knee&quot; &amp; ankle&lt;/b&gt;'
 */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The key notebook front ends (Deno's kernel, GaLore Lab's tslab display hook) look for on rich objects. */
export const JUPYTER_DISPLAY = Symbol.for('Jupyter.display');

/** A MIME bundle: HTML for notebooks, plain text everywhere else. */
export interface MimeBundle {
  'text/html': string;
  'text/plain': string;
  [mime: string]: unknown;
}
