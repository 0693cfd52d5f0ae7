/**
 * The `kernel_info_reply` content: who we are and what language we run.
 */
import { PROTOCOL_VERSION } from './wire-message';

/** The kernel's implementation name (kernel_info and the display hook). */
export const IMPLEMENTATION = 'galore-lab';

/**
 * Builds the kernel_info reply.
 *
 * @example
 * kernelInfoContent({ kernelVersion: '0.1.0', typescriptVersion: '5.0.4' }).language_info.name; // 'typescript'
 */
export function kernelInfoContent(versions: { kernelVersion: string; typescriptVersion: string }) {
  return {
    status: 'ok' as const,
    protocol_version: PROTOCOL_VERSION,
    implementation: IMPLEMENTATION,
    implementation_version: versions.kernelVersion,
    language_info: {
      name: 'typescript',
      version: versions.typescriptVersion,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      pygments_lexer: 'typescript',
      // JupyterLab reads `name`/`mode`; `typescript: true` turns on TypeScript in CodeMirror's JavaScript mode.
      codemirror_mode: { name: 'javascript', mode: 'typescript', typescript: true },
      nbconvert_exporter: 'script',
    },
    banner:
      `GaLore Lab TypeScript kernel ${versions.kernelVersion} ` +
      `(TypeScript ${versions.typescriptVersion} via tslab's compiler, Node ${process.version})`,
    help_links: [
      { text: 'Node.js API', url: 'https://nodejs.org/docs/latest-v20.x/api/' },
      { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
    ],
    debugger: false,
  };
}
