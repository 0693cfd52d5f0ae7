import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendLineDurable,
  appendLineDurableSync,
  makeSiblingTempDir,
  recoverReplacedDir,
  replaceDirAtomic,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFileAtomicWith,
} from '../../kernel-lib/src/util/atomic-write';
import { hiddenFiles, makeTempDir, removeTempDirs } from './fixtures';

afterAll(removeTempDirs);

describe('writeFileAtomic', () => {
  it('creates and replaces a file, leaving no temp file', async () => {
    const dir = makeTempDir('aw');
    const file = path.join(dir, 'config.json');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, new Uint8Array([0x6f, 0x6b]));
    expect(fs.readFileSync(file, 'utf8')).toBe('ok');
    expect(fs.readdirSync(dir)).toEqual(['config.json']);
  });

  it('a write that fails midway leaves the old file intact and removes the temp file', async () => {
    const dir = makeTempDir('aw-fail');
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, 'old content');
    let tempSeen = '';
    await expect(
      writeFileAtomicWith(file, async (handle) => {
        await handle.write('half of the new cont');
        tempSeen = hiddenFiles(dir)[0] ?? '';
        throw new Error('simulated crash while writing');
      }),
    ).rejects.toThrow('simulated crash while writing');
    expect(tempSeen).toMatch(/^\.state\.json\.tmp-/); // the partial data went to a sibling temp file
    expect(fs.readFileSync(file, 'utf8')).toBe('old content');
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  it('a failing rename (target is a non-empty folder) removes the temp file', async () => {
    const dir = makeTempDir('aw-rename');
    const target = path.join(dir, 'busy');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(['busy']);
  });

  it('sync variant: same behaviour', () => {
    const dir = makeTempDir('aw-sync');
    const file = path.join(dir, 'a.txt');
    writeFileAtomicSync(file, 'one');
    writeFileAtomicSync(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    const busy = path.join(dir, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'inside'), 'x');
    expect(() => writeFileAtomicSync(busy, 'data')).toThrow();
    expect(fs.readdirSync(dir).sort()).toEqual(['a.txt', 'busy']);
  });
});

describe('replaceDirAtomic', () => {
  function writeTree(dir: string, files: Record<string, string>) {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  }
  const readTree = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]));

  it('moves a new folder in, then replaces it, leaving no backup or temp folder', async () => {
    const root = makeTempDir('rd');
    const final = path.join(root, 'checkpoint');
    const first = await makeSiblingTempDir(final);
    expect(path.dirname(first)).toBe(root);
    writeTree(first, { 'step.txt': '100', 'model.safetensors': 'v1' });
    await replaceDirAtomic(first, final);
    expect(readTree(final)).toEqual({ 'model.safetensors': 'v1', 'step.txt': '100' });

    const second = await makeSiblingTempDir(final);
    writeTree(second, { 'step.txt': '200' });
    await replaceDirAtomic(second, final);
    expect(readTree(final)).toEqual({ 'step.txt': '200' }); // old files do not leak into the new folder
    expect(fs.readdirSync(root)).toEqual(['checkpoint']);
  });

  it('a missing temp folder is an error and the old folder stays', async () => {
    const root = makeTempDir('rd-missing');
    const final = path.join(root, 'ckpt');
    fs.mkdirSync(final);
    writeTree(final, { 'step.txt': '1' });
    await expect(replaceDirAtomic(path.join(root, 'nope'), final)).rejects.toThrow(/nope is not a folder/);
    expect(readTree(final)).toEqual({ 'step.txt': '1' });
  });

  it('after a crash between the two renames, the old folder is restored', async () => {
    // State left by a crash after "final -> final.replaced" and before "tmp -> final".
    const root = makeTempDir('rd-crash');
    const final = path.join(root, 'ckpt');
    fs.mkdirSync(final + '.replaced');
    writeTree(final + '.replaced', { 'step.txt': 'old' });
    expect(await recoverReplacedDir(final)).toBe('restored-old');
    expect(readTree(final)).toEqual({ 'step.txt': 'old' });
    expect(await recoverReplacedDir(final)).toBe('nothing');
  });

  it('after a crash just after the swap, the leftover backup is removed', async () => {
    const root = makeTempDir('rd-leftover');
    const final = path.join(root, 'ckpt');
    fs.mkdirSync(final);
    writeTree(final, { 'step.txt': 'new' });
    fs.mkdirSync(final + '.replaced');
    writeTree(final + '.replaced', { 'step.txt': 'old' });
    expect(await recoverReplacedDir(final)).toBe('removed-backup');
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
    expect(readTree(final)).toEqual({ 'step.txt': 'new' });
  });

  it('a swap that starts in the crashed state recovers first, then swaps', async () => {
    const root = makeTempDir('rd-resume');
    const final = path.join(root, 'ckpt');
    fs.mkdirSync(final + '.replaced');
    writeTree(final + '.replaced', { 'step.txt': 'old' });
    const tmp = await makeSiblingTempDir(final);
    writeTree(tmp, { 'step.txt': 'new' });
    await replaceDirAtomic(tmp, final);
    expect(readTree(final)).toEqual({ 'step.txt': 'new' });
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
  });
});

describe('appendLineDurable', () => {
  it('appends whole lines, creating the file', async () => {
    const dir = makeTempDir('log');
    const file = path.join(dir, 'log.jsonl');
    await appendLineDurable(file, JSON.stringify({ step: 1 }));
    await appendLineDurable(file, JSON.stringify({ step: 2 }));
    appendLineDurableSync(file, JSON.stringify({ step: 3 }));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"step":1}\n{"step":2}\n{"step":3}\n');
  });

  it('refuses a line with a newline inside', async () => {
    const file = path.join(makeTempDir('log-bad'), 'log.txt');
    await expect(appendLineDurable(file, 'a\nb')).rejects.toThrow(/contains a newline/);
    expect(() => appendLineDurableSync(file, 'a\nb')).toThrow(/log\.txt/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
