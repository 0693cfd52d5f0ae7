import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { LoraLayer } from '../../kernel-lib/src/peft/lora-layer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { logits, maxAbs, maxAbsDiff, tinyModel, weightValues } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

describe('LoRA forward', () => {
  it('a fresh adapter (B = 0) leaves the logits unchanged, also with DoRA and dropout in training mode', () => {
    const model = tinyModel(1);
    const before = logits(model);
    const adapter = loraAdapter(model, { r: 4, lora_alpha: 8, target_modules: 'all-linear', use_dora: true, lora_dropout: 0.5, seed: 3 });
    expect(adapter.training).toBe(true);
    expect(adapter.layers).toHaveLength(14);
    for (const l of adapter.layers) expect(maxAbs(l.B.dataSync())).toBe(0);
    // dropout acts on the adapter's input only: with B = 0 nothing changes
    expect(Array.from(logits(model))).toEqual(Array.from(before));
    adapter.unload();
    expect(Array.from(logits(model))).toEqual(Array.from(before));
    model.dispose();
  });

  it('initialises A as kaiming_uniform_(a=sqrt(5)): entries within +-1/sqrt(in), spread over the interval', () => {
    const model = tinyModel(1);
    const adapter = loraAdapter(model, { r: 8, seed: 1 });
    const a = adapter.layers[0].A.dataSync();
    const bound = 1 / Math.sqrt(32);
    expect(maxAbs(a)).toBeLessThanOrEqual(bound);
    expect(maxAbs(a)).toBeGreaterThan(0.9 * bound);
    expect(adapter.layers.map((l) => l.moduleName)).toEqual([
      'model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    // the same seed gives the same A
    adapter.unload();
    const again = loraAdapter(model, { r: 8, seed: 1 });
    expect(Array.from(again.layers[0].A.dataSync())).toEqual(Array.from(a));
    again.unload();
    model.dispose();
  });

  it('LoRA on a 2x3 weight matches y = x W^T + b + (alpha/r) x A^T B^T (and alpha/sqrt(r) with rsLoRA)', () => {
    const weight = tf.variable(tf.tensor2d([[1, 2, 2], [0, 3, 4]]));
    const bias = tf.variable(tf.tensor1d([0.5, -1]));
    const A = tf.tensor2d([[1, 0, 0], [0, 1, 0]]);       // r = 2
    const B = tf.tensor2d([[1, 0], [0, 2]]);
    const x = tf.tensor2d([[1, 1, 1], [2, 0, -1]]);
    for (const [scaling, name] of [[16 / 2, 'lora'], [16 / Math.sqrt(2), 'rslora']] as const) {
      const layer = new LoraLayer({ moduleName: 'm', weight, bias }, {
        r: 2, alpha: 16, scaling, dropout: 0, useDora: false, A, B, rng: seededRandom(0), variablePrefix: `hand_${name}`,
      });
      const y = layer.forward(x, false).arraySync();
      // x W^T + b = [[5.5, 6], [0.5, -5]]; x A^T B^T = [[1, 2], [2, 0]]
      const s = scaling;
      expect(y[0][0]).toBeCloseTo(5.5 + s * 1, 5);
      expect(y[0][1]).toBeCloseTo(6 + s * 2, 5);
      expect(y[1][0]).toBeCloseTo(0.5 + s * 2, 5);
      expect(y[1][1]).toBeCloseTo(-5 + s * 0, 5);
      layer.dispose();
    }
    tf.dispose([weight, bias, A, B, x]);
  });

  it('dropout is deterministic for a seed, changes with the seed, and is off in eval mode', () => {
    const model = tinyModel(2);
    const run = (seed: number, training: boolean): Float32Array => {
      const adapter = loraAdapter(model, { r: 4, lora_dropout: 0.3, init_lora_weights: false, seed });
      adapter.train(training);
      const out = logits(model);
      adapter.unload();
      return out;
    };
    const a = run(5, true);
    expect(Array.from(run(5, true))).toEqual(Array.from(a));
    const eval5 = run(5, false);
    expect(maxAbsDiff(a, eval5)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('merged equals unmerged (LoRA, rsLoRA, DoRA) and unmerge restores the base weights', () => {
    for (const opts of [{}, { use_rslora: true }, { use_dora: true }, { use_dora: true, use_rslora: true }]) {
      const model = tinyModel(3);
      const base = weightValues(model);
      const adapter = loraAdapter(model, { r: 4, lora_alpha: 16, target_modules: 'all-linear', init_lora_weights: false, seed: 9, ...opts });
      if (opts.use_dora) {
        // move the magnitudes away from the norms so DoRA is not a plain rescaling of LoRA
        for (const l of adapter.layers) l.magnitude!.assign(tf.mul(l.magnitude!, tf.linspace(0.5, 1.5, l.magnitude!.size)));
      }
      adapter.eval();
      const unmerged = logits(model);
      expect(maxAbsDiff(unmerged, logits(tinyModel(3)))).toBeGreaterThan(1e-2); // the adapter does something
      adapter.merge();
      expect(adapter.merged).toBe(true);
      const merged = logits(model);
      expect(maxAbsDiff(merged, unmerged)).toBeLessThan(2e-5 * Math.max(1, maxAbs(unmerged)));
      adapter.unmerge();
      for (const [name, v] of model.weights) expect(maxAbsDiff(v.dataSync(), base.get(name)!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(logits(model), unmerged)).toBeLessThan(2e-5 * Math.max(1, maxAbs(unmerged)));
      adapter.unload();
      model.dispose();
    }
  });

  it('mergeAndUnload leaves a plain model computing the adapted function', () => {
    const model = tinyModel(4);
    const adapter = loraAdapter(model, { r: 2, init_lora_weights: false, seed: 2 }).eval();
    const adapted = logits(model);
    const plain = adapter.mergeAndUnload();
    expect(model.trainableParams()).toHaveLength(model.weights.size); // unfrozen again
    expect(maxAbsDiff(logits(plain), adapted)).toBeLessThan(1e-5);
    expect(() => adapter.layers[0].A.dataSync()).toThrow(); // adapter variables freed
    model.dispose();
  });

  it('refuses a second adapter on the same model', () => {
    const model = tinyModel(1);
    const adapter = loraAdapter(model);
    expect(() => loraAdapter(model)).toThrow(/already has a LoRA adapter/);
    adapter.unload();
    loraAdapter(model).unload();
    model.dispose();
  });
});

describe('DoRA', () => {
  // W = [[1,2,2],[0,3,4]], A = [[1,0,0]], B = [[1],[0]], scaling 2:
  // W + 2 B A = [[3,2,2],[0,3,4]], row norms sqrt(17) and 5.
  const make = (prefix: string) => {
    const weight = tf.variable(tf.tensor2d([[1, 2, 2], [0, 3, 4]]));
    const bias = tf.variable(tf.tensor1d([0.5, -1]));
    const layer = new LoraLayer({ moduleName: 'm', weight, bias }, {
      r: 1, alpha: 2, scaling: 2, dropout: 0, useDora: true,
      A: tf.tensor2d([[1, 0, 0]]), B: tf.tensor2d([[1], [0]]), rng: seededRandom(0), variablePrefix: prefix,
    });
    return { weight, bias, layer };
  };

  it('initialises the magnitude to the row norms of W + scaling B A', () => {
    const { weight, bias, layer } = make('dora_init');
    const m = layer.magnitude!.dataSync();
    expect(m[0]).toBeCloseTo(Math.sqrt(17), 5);
    expect(m[1]).toBeCloseTo(5, 5);
    layer.dispose(); tf.dispose([weight, bias]);
  });

  it('forward matches the hand computation m / ||W + sBA|| * (x W^T + s x A^T B^T) + b', () => {
    const { weight, bias, layer } = make('dora_fwd');
    layer.magnitude!.assign(tf.tensor1d([1, 10]));            // g = [1/sqrt(17), 2]
    const y = layer.forward(tf.tensor2d([[1, 1, 1]]), false).dataSync();
    // x W^T = [5, 7], s x A^T B^T = [2, 0]
    expect(y[0]).toBeCloseTo(7 / Math.sqrt(17) + 0.5, 5);
    expect(y[1]).toBeCloseTo(2 * 7 - 1, 5);
    layer.dispose(); tf.dispose([weight, bias]);
  });

  it('treats the norm as a constant in backpropagation (as PEFT detaches it)', () => {
    const { weight, bias, layer } = make('dora_grad');
    layer.magnitude!.assign(tf.tensor1d([1, 10]));
    const x = tf.tensor2d([[1, 1, 1]]);
    const { grads } = tf.variableGrads(() => tf.sum(layer.forward(x, false)) as tf.Scalar, [layer.magnitude!, layer.B]);
    // dL/dm_j = (x W^T + s x A^T B^T)_j / n_j = [7/sqrt(17), 7/5]
    const gm = grads[layer.magnitude!.name].dataSync();
    expect(gm[0]).toBeCloseTo(7 / Math.sqrt(17), 5);
    expect(gm[1]).toBeCloseTo(7 / 5, 5);
    // with n detached: dL/dB_j = g_j * s * (x A^T) = [2/sqrt(17), 4]; a differentiated norm would add -g_j (y_j/n_j) dn_j/dB_j
    const gb = grads[layer.B.name].dataSync();
    expect(gb[0]).toBeCloseTo(2 / Math.sqrt(17), 5);
    expect(gb[1]).toBeCloseTo(4, 5);
    tf.dispose(Object.values(grads));
    layer.dispose(); tf.dispose([weight, bias, x]);
  });

  it('merges to m / ||W + sBA|| * (W + sBA) and unmerges back', () => {
    const { weight, bias, layer } = make('dora_merge');
    layer.magnitude!.assign(tf.tensor1d([1, 10]));
    layer.merge();
    const w = weight.dataSync();
    const k = 1 / Math.sqrt(17);
    [3 * k, 2 * k, 2 * k, 0, 6, 8].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 5));
    layer.unmerge();
    [1, 2, 2, 0, 3, 4].forEach((v, i) => expect(weight.dataSync()[i]).toBeCloseTo(v, 5));
    layer.dispose(); tf.dispose([weight, bias]);
  });
});
