/**
 * The weights of a Hugging Face model folder: one `model.safetensors`, or
 * shards `model-00001-of-0000N.safetensors` listed by
 * `model.safetensors.index.json` (`{"metadata": {"total_size"}, "weight_map": {name: shard}}`),
 * the layout `transformers` reads and writes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic-write';
import { SafetensorsError } from './safetensors-error';
import { WritableDtype } from './safetensors-dtypes';
import {
  NamedTensorData,
  TensorToWrite,
  openSafetensors,
  planSafetensorsLayout,
  readSafetensors,
  readSafetensorsHeader,
  storedByteLength,
  writeSafetensors,
} from './safetensors';

/** File name of an unsharded checkpoint. */
export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
/** File name of the shard index. */
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** transformers' default `max_shard_size` ("5GB" = 5 * 10^9 bytes). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

const SHARD_NAME = /^model-\d{5}-of-\d{5}\.safetensors$/;

/** A parsed `model.safetensors.index.json`. */
export interface ModelWeightIndex {
  file: string;
  /** `metadata.total_size` when present. */
  totalSize?: number;
  /** Tensor name -> shard file name (relative to the folder). */
  weightMap: Map<string, string>;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads and validates `model.safetensors.index.json`: valid JSON, a
 * `weight_map` of string shard names inside the folder, and every shard file
 * present.
 *
 * @example
 * const index = await readModelWeightIndex('/models/Qwen2-7B-Instruct');
 * index.weightMap.get('model.norm.weight'); // 'model-00004-of-00004.safetensors'
 */
export async function readModelWeightIndex(dir: string): Promise<ModelWeightIndex> {
  const file = path.join(dir, WEIGHTS_INDEX_FILE);
  const text = await fs.promises.readFile(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError('bad-index', file, `not valid JSON (${(err as Error).message}); expected {"metadata": {...}, "weight_map": {name: shard file}}`);
  }
  const weightMapValue = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (weightMapValue === null || typeof weightMapValue !== 'object' || Array.isArray(weightMapValue)) {
    throw new SafetensorsError('bad-index', file, `"weight_map" is missing or not an object; expected {"weight_map": {tensor name: shard file}}`);
  }
  const weightMap = new Map<string, string>();
  const tensorsPerShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMapValue)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      throw new SafetensorsError('bad-index', file, `"weight_map" entry is ${JSON.stringify(shard)}; expected a shard file name`, name);
    }
    if (path.isAbsolute(shard) || shard.split(/[\\/]/).includes('..')) {
      throw new SafetensorsError('bad-index', file, `shard "${shard}" points outside the model folder; expected a file name inside ${dir}`, name);
    }
    weightMap.set(name, shard);
    const list = tensorsPerShard.get(shard) ?? [];
    list.push(name);
    tensorsPerShard.set(shard, list);
  }
  for (const [shard, names] of tensorsPerShard) {
    if (!isFile(path.join(dir, shard))) {
      throw new SafetensorsError(
        'missing-shard',
        file,
        `shard file "${shard}" (holding ${names.length} tensor(s)) does not exist in ${dir}; the download is incomplete or the index is stale`,
        names[0],
      );
    }
  }
  const totalSizeValue = (parsed as { metadata?: { total_size?: unknown } }).metadata?.total_size;
  const totalSize = typeof totalSizeValue === 'number' ? totalSizeValue : undefined;
  return { file, totalSize, weightMap };
}

/** Where a folder keeps its weights. */
type WeightsLayout = { kind: 'single'; file: string } | { kind: 'sharded'; index: ModelWeightIndex };

async function locateWeights(dir: string): Promise<WeightsLayout> {
  if (isFile(dir) && dir.endsWith('.safetensors')) return { kind: 'single', file: dir };
  const single = path.join(dir, SINGLE_WEIGHTS_FILE);
  if (isFile(single)) return { kind: 'single', file: single };
  if (isFile(path.join(dir, WEIGHTS_INDEX_FILE))) return { kind: 'sharded', index: await readModelWeightIndex(dir) };
  let found = '';
  try {
    const names = (await fs.promises.readdir(dir)).filter((n) => /\.(safetensors|bin|pt|pth|json)$/.test(n));
    found = names.length > 0 ? ` (found: ${names.slice(0, 10).join(', ')})` : ' (no weight files in it)';
  } catch {
    found = ' (the folder does not exist or cannot be read)';
  }
  throw new SafetensorsError(
    'missing-weights',
    dir,
    `no ${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE}${found}; expected a Hugging Face model folder with safetensors weights (PyTorch .bin checkpoints are not supported: convert them to safetensors first)`,
  );
}

/**
 * Names of all weights in a model folder (or a single .safetensors file), sorted.
 *
 * @example
 * (await listModelWeightNames('/models/Qwen2-0.5B-Instruct')).length; // 290
 */
export async function listModelWeightNames(dir: string): Promise<string[]> {
  const layout = await locateWeights(dir);
  const names = layout.kind === 'single' ? [...(await readSafetensorsHeader(layout.file)).entries.keys()] : [...layout.index.weightMap.keys()];
  return names.sort();
}

/** Options of `loadModelWeights`. */
export interface LoadModelWeightsOptions {
  /** Load only these tensors (each must exist). Default: all. */
  names?: readonly string[];
}

/**
 * Loads a model folder's weights (single file or sharded) into float32
 * arrays, shard by shard and tensor by tensor.
 *
 * @example
 * const weights = await loadModelWeights('/models/Qwen2-0.5B-Instruct');
 * weights.get('model.embed_tokens.weight')!.shape; // [151936, 896]
 */
export async function loadModelWeights(dir: string, opts: LoadModelWeightsOptions = {}): Promise<Map<string, NamedTensorData>> {
  const layout = await locateWeights(dir);
  if (layout.kind === 'single') return (await readSafetensors(layout.file, { names: opts.names })).tensors;
  const { index } = layout;
  const names = opts.names ? [...opts.names] : [...index.weightMap.keys()];
  const absent = names.filter((n) => !index.weightMap.has(n));
  if (absent.length > 0) {
    throw new SafetensorsError(
      'missing-tensor',
      index.file,
      `requested tensor(s) ${absent.map((n) => `"${n}"`).join(', ')} not in "weight_map" (${index.weightMap.size} tensors listed)`,
      absent[0],
    );
  }
  const byShard = new Map<string, string[]>();
  for (const name of names) {
    const shard = index.weightMap.get(name)!;
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const loaded = new Map<string, NamedTensorData>();
  for (const [shard, shardNames] of byShard) {
    const shardFile = path.join(dir, shard);
    const reader = await openSafetensors(shardFile);
    try {
      for (const name of shardNames) {
        if (!reader.header.entries.has(name)) {
          throw new SafetensorsError(
            'missing-tensor',
            shardFile,
            `${WEIGHTS_INDEX_FILE} places this tensor in "${shard}", but that shard has no such tensor; the index and shards come from different saves`,
            name,
          );
        }
        loaded.set(name, await reader.read(name));
      }
    } finally {
      await reader.close();
    }
  }
  // Return in the caller's (or the index's) order.
  return new Map(names.map((n) => [n, loaded.get(n)!]));
}

/** Options of `saveModelWeights`. */
export interface SaveModelWeightsOptions {
  /** Stored dtype of tensors without `storeAs`; default 'F32'. */
  dtype?: WritableDtype;
  /** Largest shard in bytes before splitting (a bigger single tensor gets its own shard); default 5e9. */
  maxShardBytes?: number;
  /** `__metadata__` of every file; default `{format: 'pt'}`, which transformers requires. */
  metadata?: Record<string, string>;
}

/** What `saveModelWeights` wrote. */
export interface SavedModelWeights {
  /** Files written, relative to the folder (shards, then the index if any). */
  files: string[];
  /** Bytes of tensor data (the index's `total_size`). */
  totalBytes: number;
}

function shardFileName(i: number, count: number): string {
  return `model-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
}

/**
 * Saves weights as transformers does: `model.safetensors` when they fit in
 * one shard, else `model-0000i-of-0000N.safetensors` shards (tensors in name
 * order, a new shard whenever the next tensor would pass `maxShardBytes`) plus
 * `model.safetensors.index.json`. Each file is written atomically; weight
 * files of an earlier save that the new one does not use are then removed.
 * The single file wins over an index when loading, so an interrupted save
 * that switches layout still loads one complete version; overwriting shards
 * of the same names in place is not all-or-nothing: to make a whole save
 * atomic, write into `makeSiblingTempDir` and swap with `replaceDirAtomic`.
 *
 * @example
 * await saveModelWeights('/tmp/tiny-model',
 *   [{ name: 'model.norm.weight', shape: [4], data: new Float32Array([1, 1, 1, 1]) }],
 *   { dtype: 'BF16' });
 */
export async function saveModelWeights(
  dir: string,
  tensors: Iterable<TensorToWrite> | ReadonlyMap<string, TensorToWrite>,
  opts: SaveModelWeightsOptions = {},
): Promise<SavedModelWeights> {
  const dtype = opts.dtype ?? 'F32';
  const maxShardBytes = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShardBytes > 0)) {
    throw new SafetensorsError('bad-argument', dir, `maxShardBytes is ${maxShardBytes}; expected a positive number of bytes`);
  }
  const metadata = opts.metadata ?? { format: 'pt' };
  const plan = planSafetensorsLayout(dir, tensors, dtype);
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  let totalBytes = 0;
  for (const { tensor, entry } of plan) {
    const stored: TensorToWrite = { name: tensor.name, shape: tensor.shape, data: tensor.data, storeAs: entry.dtype as WritableDtype };
    const bytes = storedByteLength(tensor.data.length, entry.dtype as WritableDtype);
    totalBytes += bytes;
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(stored);
    currentBytes += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);

  await fs.promises.mkdir(dir, { recursive: true });
  const files: string[] = [];
  if (shards.length === 1) {
    await writeSafetensors(path.join(dir, SINGLE_WEIGHTS_FILE), shards[0], { metadata });
    files.push(SINGLE_WEIGHTS_FILE);
  } else {
    const weightMap: Record<string, string> = {};
    for (let i = 0; i < shards.length; i++) {
      const name = shardFileName(i, shards.length);
      await writeSafetensors(path.join(dir, name), shards[i], { metadata });
      for (const t of shards[i]) weightMap[t.name] = name;
      files.push(name);
    }
    const sortedMap: Record<string, string> = {};
    for (const k of Object.keys(weightMap).sort()) sortedMap[k] = weightMap[k];
    const index = { metadata: { total_size: totalBytes }, weight_map: sortedMap };
    await writeFileAtomic(path.join(dir, WEIGHTS_INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
    files.push(WEIGHTS_INDEX_FILE);
  }
  await removeStaleWeightFiles(dir, new Set(files));
  return { files, totalBytes };
}

async function removeStaleWeightFiles(dir: string, keep: Set<string>): Promise<void> {
  for (const name of await fs.promises.readdir(dir)) {
    const isWeightFile = name === SINGLE_WEIGHTS_FILE || name === WEIGHTS_INDEX_FILE || SHARD_NAME.test(name);
    if (isWeightFile && !keep.has(name)) await fs.promises.rm(path.join(dir, name), { force: true });
  }
}
