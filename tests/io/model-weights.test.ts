import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  listModelWeightNames,
  loadModelWeights,
  readModelWeightIndex,
  saveModelWeights,
} from '../../kernel-lib/src/io/model-weights';
import { readSafetensorsHeader, TensorToWrite, writeSafetensors } from '../../kernel-lib/src/io/safetensors';
import { SafetensorsError } from '../../kernel-lib/src/io/safetensors-error';
import { makeTempDir, removeTempDirs } from './fixtures';

afterAll(removeTempDirs);

/** A Qwen2-shaped model with real tensor names and tiny sizes (d=8, ffn=16, vocab=32, 2 layers). */
function tinyQwen2(): TensorToWrite[] {
  const d = 8;
  const ffn = 16;
  const vocab = 32;
  const kv = 4;
  const shapes: [string, number[]][] = [
    ['model.embed_tokens.weight', [vocab, d]],
    ['model.norm.weight', [d]],
  ];
  for (let l = 0; l < 2; l++) {
    const p = `model.layers.${l}`;
    shapes.push(
      [`${p}.input_layernorm.weight`, [d]],
      [`${p}.post_attention_layernorm.weight`, [d]],
      [`${p}.self_attn.q_proj.weight`, [d, d]],
      [`${p}.self_attn.q_proj.bias`, [d]],
      [`${p}.self_attn.k_proj.weight`, [kv, d]],
      [`${p}.self_attn.k_proj.bias`, [kv]],
      [`${p}.self_attn.v_proj.weight`, [kv, d]],
      [`${p}.self_attn.v_proj.bias`, [kv]],
      [`${p}.self_attn.o_proj.weight`, [d, d]],
      [`${p}.mlp.gate_proj.weight`, [ffn, d]],
      [`${p}.mlp.up_proj.weight`, [ffn, d]],
      [`${p}.mlp.down_proj.weight`, [d, ffn]],
    );
  }
  // Values are multiples of 1/8 in [-4, 4): exact in BF16, so round trips compare exactly.
  let seed = 1;
  return shapes.map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return ((seed % 64) - 32) / 8;
    });
    return { name, shape, data };
  });
}

function expectSameTensors(loaded: Map<string, { shape: number[]; data: Float32Array }>, original: TensorToWrite[]) {
  expect([...loaded.keys()].sort()).toEqual(original.map((t) => t.name).sort());
  for (const t of original) {
    const got = loaded.get(t.name)!;
    expect(got.shape).toEqual([...t.shape]);
    expect(Array.from(got.data)).toEqual(Array.from(t.data));
  }
}

describe('single-file model folders', () => {
  it('saves model.safetensors with format=pt metadata and loads it back (BF16)', async () => {
    const dir = makeTempDir('mw-single');
    const tensors = tinyQwen2();
    const saved = await saveModelWeights(dir, tensors, { dtype: 'BF16' });
    expect(saved.files).toEqual(['model.safetensors']);
    // 2 layers x (8+8+64+8+32+4+32+4+64+128+128+128) + 256 + 8 = 2 x 608 + 264 elements, 2 bytes each.
    expect(saved.totalBytes).toBe((2 * 608 + 264) * 2);
    const header = await readSafetensorsHeader(path.join(dir, 'model.safetensors'));
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.entries.get('model.layers.1.self_attn.k_proj.bias')).toMatchObject({ dtype: 'BF16', shape: [4] });
    expectSameTensors(await loadModelWeights(dir), tensors);
    expect(await listModelWeightNames(dir)).toEqual(tensors.map((t) => t.name).sort());
    expect(fs.existsSync(path.join(dir, 'model.safetensors.index.json'))).toBe(false);
  });

  it('loads a subset, and a .safetensors path directly', async () => {
    const dir = makeTempDir('mw-subset');
    await saveModelWeights(dir, tinyQwen2());
    const some = await loadModelWeights(dir, { names: ['model.norm.weight', 'model.layers.0.self_attn.q_proj.bias'] });
    expect([...some.keys()]).toEqual(['model.norm.weight', 'model.layers.0.self_attn.q_proj.bias']);
    const direct = await loadModelWeights(path.join(dir, 'model.safetensors'), { names: ['model.norm.weight'] });
    expect(direct.get('model.norm.weight')!.shape).toEqual([8]);
  });
});

describe('sharded model folders', () => {
  it('splits at maxShardBytes, names shards as transformers does, and round-trips', async () => {
    const dir = makeTempDir('mw-sharded');
    const tensors = tinyQwen2();
    // F32: embed 1024 bytes (over the limit: its own shard); a layer is 2432 bytes.
    const saved = await saveModelWeights(dir, tensors, { dtype: 'F32', maxShardBytes: 1000 });
    const shardCount = saved.files.length - 1;
    expect(shardCount).toBeGreaterThan(2);
    expect(saved.files[0]).toBe(`model-00001-of-${String(shardCount).padStart(5, '0')}.safetensors`);
    expect(saved.files[saved.files.length - 1]).toBe('model.safetensors.index.json');
    expect(saved.totalBytes).toBe((2 * 608 + 264) * 4);

    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata).toEqual({ total_size: (2 * 608 + 264) * 4 });
    const mapped = Object.keys(index.weight_map);
    expect(mapped).toEqual([...mapped].sort());
    expect(mapped.length).toBe(tensors.length);
    expect(index.weight_map['model.embed_tokens.weight']).toMatch(/^model-\d{5}-of-\d{5}\.safetensors$/);

    for (const shard of saved.files.slice(0, -1)) {
      const h = await readSafetensorsHeader(path.join(dir, shard));
      const bytes = [...h.entries.values()].reduce((s, e) => s + e.dataOffsets[1] - e.dataOffsets[0], 0);
      // Only a shard holding a single over-limit tensor may exceed the limit.
      if (h.entries.size > 1) expect(bytes).toBeLessThanOrEqual(1000);
      for (const name of h.entries.keys()) expect(index.weight_map[name]).toBe(shard);
    }
    expectSameTensors(await loadModelWeights(dir), tensors);
    expect(await listModelWeightNames(dir)).toEqual([...mapped]);
    const idx = await readModelWeightIndex(dir);
    expect(idx.totalSize).toBe(saved.totalBytes);
  });

  it('re-saving with another layout removes the stale weight files, nothing else', async () => {
    const dir = makeTempDir('mw-resave');
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    await saveModelWeights(dir, tinyQwen2(), { maxShardBytes: 1000 });
    await saveModelWeights(dir, tinyQwen2(), { maxShardBytes: 3000 });
    const afterSecond = fs.readdirSync(dir).filter((n) => n.endsWith('.safetensors'));
    const count = afterSecond.length;
    expect(afterSecond.every((n) => n.endsWith(`-of-${String(count).padStart(5, '0')}.safetensors`))).toBe(true);
    await saveModelWeights(dir, tinyQwen2());
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
  });
});

async function caught(p: Promise<unknown>): Promise<SafetensorsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SafetensorsError);
  return e as SafetensorsError;
}

describe('broken model folders', () => {
  async function shardedFolder(): Promise<string> {
    const dir = makeTempDir('mw-broken');
    await saveModelWeights(dir, tinyQwen2(), { maxShardBytes: 1000 });
    return dir;
  }
  const indexOf = (dir: string) => path.join(dir, 'model.safetensors.index.json');

  it('index that is not JSON', async () => {
    const dir = await shardedFolder();
    fs.writeFileSync(indexOf(dir), '{"weight_map": {');
    const e = await caught(loadModelWeights(dir));
    expect(e.kind).toBe('bad-index');
    expect(e.file).toBe(indexOf(dir));
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('index without weight_map', async () => {
    const dir = await shardedFolder();
    fs.writeFileSync(indexOf(dir), '{"metadata": {}}');
    expect((await caught(listModelWeightNames(dir))).message).toMatch(/"weight_map" is missing/);
  });

  it('index naming a missing shard', async () => {
    const dir = await shardedFolder();
    const index = JSON.parse(fs.readFileSync(indexOf(dir), 'utf8'));
    const shard = index.weight_map['model.norm.weight'];
    fs.rmSync(path.join(dir, shard));
    const e = await caught(loadModelWeights(dir));
    expect(e.kind).toBe('missing-shard');
    expect(e.message).toContain(shard);
    expect(e.message).toContain(indexOf(dir));
    expect(index.weight_map[e.tensor!]).toBe(shard);
  });

  it('index pointing outside the folder', async () => {
    const dir = await shardedFolder();
    fs.writeFileSync(indexOf(dir), JSON.stringify({ weight_map: { w: '../elsewhere.safetensors' } }));
    const e = await caught(loadModelWeights(dir));
    expect(e.kind).toBe('bad-index');
    expect(e.tensor).toBe('w');
  });

  it('index placing a tensor in a shard that lacks it', async () => {
    const dir = await shardedFolder();
    const index = JSON.parse(fs.readFileSync(indexOf(dir), 'utf8'));
    const normShard = index.weight_map['model.norm.weight'];
    const other = Object.values(index.weight_map).find((s) => s !== normShard) as string;
    index.weight_map['model.norm.weight'] = other;
    fs.writeFileSync(indexOf(dir), JSON.stringify(index));
    const e = await caught(loadModelWeights(dir));
    expect(e.kind).toBe('missing-tensor');
    expect(e.tensor).toBe('model.norm.weight');
    expect(e.file).toBe(path.join(dir, other));
  });

  it('requested tensor not in the index', async () => {
    const dir = await shardedFolder();
    const e = await caught(loadModelWeights(dir, { names: ['lm_head.weight'] }));
    expect(e.kind).toBe('missing-tensor');
    expect(e.tensor).toBe('lm_head.weight');
  });

  it('folder without safetensors weights says what it found', async () => {
    const dir = makeTempDir('mw-empty');
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
    const e = await caught(loadModelWeights(dir));
    expect(e.kind).toBe('missing-weights');
    expect(e.message).toMatch(/pytorch_model\.bin/);
    expect(e.message).toMatch(/model\.safetensors/);
  });

  it('a corrupt shard reports the shard file and tensor', async () => {
    const dir = makeTempDir('mw-corrupt');
    await writeSafetensors(path.join(dir, 'model.safetensors'), [{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    const file = path.join(dir, 'model.safetensors');
    fs.truncateSync(file, fs.statSync(file).size - 4);
    const e = await caught(loadModelWeights(dir));
    expect(e.kind).toBe('bad-offsets');
    expect(e.file).toBe(file);
    expect(e.tensor).toBe('w');
  });
});
