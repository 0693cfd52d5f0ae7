/**
 * Where the galore-lab package this kernel belongs to lives on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The npm name of our package. */
export const PACKAGE_NAME = 'galore-lab';

/**
 * The root folder of the galore-lab package containing this file (works from
 * `src/` under vitest and from `dist/` when compiled).
 *
 * @example
 * packageRoot(); // '/work/main/kernel-lib'
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // Keep climbing past unreadable manifests.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${__dirname}`);
    dir = parent;
  }
}

/**
 * The version in our package.json.
 *
 * @example
 * packageVersion(); // '0.1.0'
 */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The compiled kernel entry point (`dist/kernel/main.js`), which kernelspecs start.
 *
 * @example
 * kernelEntryPoint(); // '/work/main/kernel-lib/dist/kernel/main.js'
 */
export function kernelEntryPoint(): string {
  return join(packageRoot(), 'dist', 'kernel', 'main.js');
}
