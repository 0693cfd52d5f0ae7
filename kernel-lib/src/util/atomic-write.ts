/**
 * Crash-safe file writes: whole files replaced atomically, checkpoint folders
 * swapped in with renames, and log lines appended durably.
 *
 * The building block everywhere is the POSIX guarantee that `rename(2)` within
 * one file system replaces its target atomically: another process (or the same
 * program after a crash) sees either the old target or the new one, never a mix.
 * Data is `fsync`ed before the rename, and the parent directory after it, so the
 * new name survives a power loss too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** What `writeFileAtomic` accepts: text (written as UTF-8) or raw bytes. */
export type AtomicWriteData = string | Uint8Array;

/** Suffix of the backup name `replaceDirAtomic` uses while swapping folders. */
export const REPLACED_DIR_SUFFIX = '.replaced';

function tempSiblingPath(target: string, kind: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function toBytes(data: AtomicWriteData): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Errors an fsync of a directory may legitimately give on platforms that do not support it. */
function isUnsupportedDirSync(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EBADF';
}

/**
 * Flushes a directory's entries (new names, renames) to disk. Ignored on
 * platforms that cannot fsync a directory (Windows).
 *
 * @example
 * await syncDirectory('.');
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Synchronous `syncDirectory`.
 *
 * @example
 * syncDirectorySync('.');
 */
export function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function removeQuietly(file: string): Promise<void> {
  await fs.promises.rm(file, { force: true }).catch(() => undefined);
}

/**
 * Writes a file through a callback that receives an open handle to a temp file
 * beside `target`; when the callback resolves, the temp file is fsynced and
 * renamed over `target`. If the callback (or any step) throws, the temp file is
 * removed, `target` is untouched and the error is rethrown. Use it for large
 * files written piece by piece (safetensors shards).
 *
 * @example
 * await writeFileAtomicWith('/tmp/numbers.txt', async (handle) => {
 *   for (let i = 0; i < 3; i++) await handle.write(`${i}\n`);
 * });
 */
export async function writeFileAtomicWith(
  target: string,
  fill: (handle: fs.promises.FileHandle) => Promise<void>,
): Promise<void> {
  const temp = tempSiblingPath(target, 'tmp');
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temp, 'wx');
    await fill(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await removeQuietly(temp);
    throw err;
  }
  await syncDirectory(path.dirname(target));
}

/**
 * Replaces `target` with `data` atomically: writes a temp file in the same
 * directory, fsyncs it, renames it over `target`, fsyncs the directory. After a
 * crash at any point `target` holds either its old content or the new one; on a
 * failure the temp file is removed.
 *
 * @example
 * await writeFileAtomic('/tmp/config.json', JSON.stringify({ lr: 1e-5 }, null, 2));
 */
export async function writeFileAtomic(target: string, data: AtomicWriteData): Promise<void> {
  const bytes = toBytes(data);
  await writeFileAtomicWith(target, async (handle) => {
    let written = 0;
    while (written < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written);
      written += bytesWritten;
    }
  });
}

/**
 * Synchronous `writeFileAtomic`, for callers that cannot await (exit handlers,
 * synchronous CLIs). Same guarantee.
 *
 * @example
 * writeFileAtomicSync('/tmp/state.json', '{"step": 10}');
 */
export function writeFileAtomicSync(target: string, data: AtomicWriteData): void {
  const bytes = toBytes(data);
  const temp = tempSiblingPath(target, 'tmp');
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx');
    let written = 0;
    while (written < bytes.byteLength) {
      written += fs.writeSync(fd, bytes, written, bytes.byteLength - written);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing: keep the first error */
      }
    }
    fs.rmSync(temp, { force: true });
    throw err;
  }
  syncDirectorySync(path.dirname(target));
}

/**
 * Creates an empty temp folder beside `finalDir` (same parent, so the same
 * file system) for `replaceDirAtomic` to swap in later.
 *
 * @example
 * const tmp = await makeSiblingTempDir('/tmp/checkpoints/step-100');
 * // ... write files into tmp ...
 * await replaceDirAtomic(tmp, '/tmp/checkpoints/step-100');
 */
export async function makeSiblingTempDir(finalDir: string): Promise<string> {
  const parent = path.dirname(path.resolve(finalDir));
  await fs.promises.mkdir(parent, { recursive: true });
  const dir = tempSiblingPath(path.resolve(finalDir), 'new');
  await fs.promises.mkdir(dir);
  return dir;
}

async function syncTree(dir: string): Promise<void> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await syncTree(full);
    } else if (entry.isFile()) {
      const handle = await fs.promises.open(full, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }
  await syncDirectory(dir);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Finishes a `replaceDirAtomic` that was interrupted between its two renames:
 * if `finalDir` is missing but its backup `finalDir + '.replaced'` exists, the
 * backup (the complete old folder) is renamed back. If both exist, the backup
 * is a leftover of a finished swap and is deleted. Returns what it did.
 * Loaders call it before reading a checkpoint folder.
 *
 * @example
 * await recoverReplacedDir('/tmp/checkpoints/step-100'); // 'nothing' usually
 */
export async function recoverReplacedDir(finalDir: string): Promise<'nothing' | 'restored-old' | 'removed-backup'> {
  const backup = finalDir + REPLACED_DIR_SUFFIX;
  if (!(await exists(backup))) return 'nothing';
  if (await exists(finalDir)) {
    await fs.promises.rm(backup, { recursive: true, force: true });
    return 'removed-backup';
  }
  await fs.promises.rename(backup, finalDir);
  await syncDirectory(path.dirname(path.resolve(finalDir)));
  return 'restored-old';
}

/**
 * Swaps a fully written folder `tmpDir` in as `finalDir` (for checkpoints).
 *
 * Steps: (1) fsync every file in `tmpDir` and the folder itself; (2) if
 * `finalDir` exists, rename it to `finalDir + '.replaced'`; (3) rename `tmpDir`
 * to `finalDir`; (4) fsync the parent, delete the backup.
 *
 * Guarantee after a crash at any point: `finalDir` is either the complete old
 * folder or the complete new one, never a partly written one; the single
 * exception is a crash between steps 2 and 3, where `finalDir` is absent and
 * the complete old folder sits at `finalDir + '.replaced'`. `recoverReplacedDir`
 * (which this function also runs first) puts it back. `tmpDir` must be on the
 * same file system as `finalDir` (use `makeSiblingTempDir`); a rename across
 * file systems fails with EXDEV and leaves the old folder in place.
 *
 * @example
 * const tmp = await makeSiblingTempDir('/tmp/ckpt');
 * await writeFileAtomic(`${tmp}/step.txt`, '100');
 * await replaceDirAtomic(tmp, '/tmp/ckpt');
 */
export async function replaceDirAtomic(tmpDir: string, finalDir: string): Promise<void> {
  const stat = await fs.promises.stat(tmpDir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new Error(`replaceDirAtomic: ${tmpDir} is not a folder; expected the fully written temp folder to swap in as ${finalDir}`);
  }
  await recoverReplacedDir(finalDir);
  await syncTree(tmpDir);
  const backup = finalDir + REPLACED_DIR_SUFFIX;
  const hadOld = await exists(finalDir);
  if (hadOld) await fs.promises.rename(finalDir, backup);
  try {
    await fs.promises.rename(tmpDir, finalDir);
  } catch (err) {
    if (hadOld) await fs.promises.rename(backup, finalDir);
    throw err;
  }
  await syncDirectory(path.dirname(path.resolve(finalDir)));
  if (hadOld) await fs.promises.rm(backup, { recursive: true, force: true });
}

function checkLogLine(file: string, line: string): Buffer {
  if (line.includes('\n')) {
    throw new Error(`appendLineDurable(${file}): the line contains a newline; expected one line (escape it, e.g. with JSON.stringify)`);
  }
  return Buffer.from(line + '\n', 'utf8');
}

/**
 * Appends `line` plus a newline to `file` (created if missing) and fsyncs it,
 * so the entry survives a crash right after the call returns. The file is
 * opened in append mode, so every line lands at the end even when another
 * process appends too.
 *
 * @example
 * await appendLineDurable('/tmp/train-log.jsonl', JSON.stringify({ step: 1, loss: 2.5 }));
 */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const bytes = checkLogLine(file, line);
  const created = !(await exists(file));
  const handle = await fs.promises.open(file, 'a');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await syncDirectory(path.dirname(path.resolve(file)));
}

/**
 * Synchronous `appendLineDurable`.
 *
 * @example
 * appendLineDurableSync('/tmp/train-log.jsonl', JSON.stringify({ step: 2, loss: 2.4 }));
 */
export function appendLineDurableSync(file: string, line: string): void {
  const bytes = checkLogLine(file, line);
  const created = !fs.existsSync(file);
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeFileSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (created) syncDirectorySync(path.dirname(path.resolve(file)));
}
