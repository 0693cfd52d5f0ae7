/** Helpers for the io tests: temp folders and hand-assembled safetensors bytes. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A fresh empty folder under the OS temp dir; removed by `removeTempDirs`. */
const made: string[] = [];
export function makeTempDir(label = 'io'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `galore-${label}-`));
  made.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The bytes of a safetensors file assembled by hand: u64 LE header length,
 * the header text exactly as given (no padding unless included), then `data`.
 * `declaredLength` overrides the length prefix to build broken files.
 */
export function assembleSafetensors(headerText: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Buffer {
  const header = typeof headerText === 'string' ? Buffer.from(headerText, 'utf8') : Buffer.from(headerText);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(header.byteLength));
  return Buffer.concat([prefix, header, Buffer.from(data)]);
}

/** Writes `bytes` to `dir/name` and returns the path. */
export function writeBytes(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Files in `dir` whose names start with a dot (our temp files). */
export function hiddenFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith('.'));
}
