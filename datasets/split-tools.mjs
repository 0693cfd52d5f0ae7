// Shared by the data sets' make-splits.mjs scripts: where the repository and
// the calling script are, a require that runs the library's TypeScript
// sources directly (transpiled in memory, so no build is needed), and the
// report of `--check`.
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import * as fs from 'fs';
import * as path from 'path';

const require = createRequire(import.meta.url);

/** The repository root. */
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The folder of the script whose `import.meta.url` is given.
 *
 *   const here = scriptDir(import.meta.url);
 */
export function scriptDir(metaUrl) {
  return path.dirname(fileURLToPath(metaUrl));
}

/** Transpile-on-require for .ts files (once per process). */
function registerTypeScript() {
  const Module = require('module');
  if (Module._extensions['.ts']) return;
  const ts = require('typescript');
  Module._extensions['.ts'] = function compileTs(module, filename) {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(outputText, filename);
  };
}

/**
 * Loads a module of the library's sources, kernel-lib/src/<parts...>.
 *
 *   const { readQaRecords } = requireLibrary('data', 'jsonl.ts');
 */
export function requireLibrary(...parts) {
  registerTypeScript();
  return require(path.join(repo, 'kernel-lib', 'src', ...parts));
}

/**
 * Ends a `--check` run: exit 1 naming the stale outputs and the command that
 * rebuilds them, or exit 0 when there are none.
 *
 *   finishCheck(['train', 'README.md'], 'node datasets/x/make-splits.mjs');
 */
export function finishCheck(stale, rebuildCommand) {
  if (stale.length > 0) {
    console.error(`Stale: ${stale.join(', ')}. Run: ${rebuildCommand}`);
    process.exit(1);
  }
  console.log('Splits and dataset card are up to date.');
  process.exit(0);
}
