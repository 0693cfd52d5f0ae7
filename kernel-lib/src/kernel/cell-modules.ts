/**
 * How cells find modules, for the type checker and at run time alike.
 *
 * Cells resolve packages from the notebook's folder, like tslab. On top:
 * - `galore-lab` (and `galore-lab/...`) falls back to the package this kernel
 *   belongs to when the notebook's folder cannot see one (a user who
 *   installed the kernel from a global or another project's install);
 * - `tslab` is tslab's public module, wired to this kernel's display;
 * - local `.ts` files a cell imports are compiled by the converter and loaded
 *   from memory.
 */
import Module, { createRequire } from 'node:module';
import { dirname, extname, join, posix, sep } from 'node:path';
import { realpathSync } from 'node:fs';
import type { TsSystem } from './tslab-modules';

/**
 * The folder to alias `galore-lab` to in cells, or `undefined` when the
 * notebook's folder already resolves its own `galore-lab` (which then wins).
 *
 * @example
 * galoreLabAliasFor('/home/me/notes', '/usr/lib/node_modules/galore-lab');
 */
export function galoreLabAliasFor(notebookDir: string, ownPackageRoot: string): string | undefined {
  try {
    createRequire(join(notebookDir, '__cell__.js')).resolve('galore-lab/package.json');
    return undefined;
  } catch {
    return ownPackageRoot;
  }
}

/**
 * Makes TypeScript see `<notebookDir>/node_modules/<name>` as `target`, so
 * type-checking `import ... from '<name>'` works where Node would not find the
 * package. Patches the shared `ts.sys` of tslab's TypeScript; returns a
 * function that undoes it.
 *
 * @example
 * const undo = aliasPackageForTypeScript(ts.sys, process.cwd(), 'galore-lab', packageRoot());
 */
export function aliasPackageForTypeScript(
  sys: TsSystem,
  notebookDir: string,
  name: string,
  target: string,
): () => void {
  const virtualRoot = toSlashes(join(notebookDir, 'node_modules', name));
  const realRoot = toSlashes(target);
  const mapPath = (path: string): string => {
    const normalized = toSlashes(path);
    if (normalized === virtualRoot) return realRoot;
    if (normalized.startsWith(`${virtualRoot}/`)) return realRoot + normalized.slice(virtualRoot.length);
    return path;
  };
  const original = {
    fileExists: sys.fileExists,
    directoryExists: sys.directoryExists,
    readFile: sys.readFile,
    realpath: sys.realpath,
  };
  const nodeModules = toSlashes(join(notebookDir, 'node_modules'));
  sys.fileExists = (path) => original.fileExists.call(sys, mapPath(path));
  sys.directoryExists = (path) =>
    toSlashes(path) === nodeModules || original.directoryExists.call(sys, mapPath(path));
  sys.readFile = (path, encoding) => original.readFile.call(sys, mapPath(path), encoding);
  sys.realpath = (path) => {
    const mapped = mapPath(path);
    if (original.realpath) return original.realpath.call(sys, mapped);
    try {
      return toSlashes(realpathSync(mapped));
    } catch {
      return mapped;
    }
  };
  return () => Object.assign(sys, original);
}

/** What a cell's `require` knows beyond Node's resolution. */
export interface CellRequireOptions {
  /** The notebook's folder: bare package names resolve from here. */
  rootDir: string;
  /** Package name to folder, e.g. `galore-lab` to this kernel's package. */
  aliases: ReadonlyMap<string, string>;
  /** Module ids answered by the kernel itself, e.g. `tslab`. */
  builtins: ReadonlyMap<string, () => unknown>;
  /** Compiled local files (absolute `.js` path to CommonJS code), filled by the converter. */
  sideOutputs: ReadonlyMap<string, string>;
}

/**
 * Creates the `require` cells run with.
 *
 * @example
 * const req = createCellRequire({ rootDir: process.cwd(), aliases: new Map(), builtins: new Map(), sideOutputs: new Map() });
 * req('node:path').join('a', 'b');
 */
export function createCellRequire(options: CellRequireOptions): NodeJS.Require {
  const sideModules = new Map<string, Module>();
  const loadedFrom = new Map<string, string>();
  return requireFrom(options.rootDir);

  function requireFrom(dir: string): NodeJS.Require {
    const base = createRequire(join(dir, '__cell__.js'));
    const cellRequire = ((id: string): unknown => {
      const builtin = options.builtins.get(id);
      if (builtin) return builtin();
      const aliased = aliasedPath(id);
      if (aliased) return base(aliased);
      const side = sideModule(dir, id);
      if (side) return side.exports;
      return base(id);
    }) as NodeJS.Require;
    cellRequire.resolve = ((id: string, opts?: { paths?: string[] }) => base.resolve(aliasedPath(id) ?? id, opts)) as NodeJS.RequireResolve;
    cellRequire.resolve.paths = base.resolve.paths;
    cellRequire.cache = base.cache;
    cellRequire.extensions = base.extensions;
    cellRequire.main = base.main;
    return cellRequire;
  }

  function aliasedPath(id: string): string | undefined {
    for (const [name, folder] of options.aliases) {
      if (id === name) return folder;
      if (id.startsWith(`${name}/`)) return join(folder, ...id.slice(name.length + 1).split('/'));
    }
    return undefined;
  }

  function sideModule(dir: string, id: string): Module | undefined {
    if (!id.startsWith('./') && !id.startsWith('../')) return undefined;
    let filename = join(dir, id);
    if (extname(filename) === '') filename += '.js';
    const code = options.sideOutputs.get(toSlashes(filename));
    if (code === undefined) return undefined;
    const cached = sideModules.get(filename);
    if (cached && loadedFrom.get(filename) === code) return cached;
    const mod = new Module(filename, module);
    mod.filename = filename;
    mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(dirname(filename));
    mod.require = requireFrom(dirname(filename));
    sideModules.set(filename, mod);
    loadedFrom.set(filename, code);
    (mod as unknown as { _compile(c: string, f: string): void })._compile(code, filename);
    mod.loaded = true;
    return mod;
  }
}

function toSlashes(path: string): string {
  return path.split(sep).join(posix.sep);
}
