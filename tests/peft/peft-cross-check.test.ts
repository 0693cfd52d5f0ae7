import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { savePretrained } from '../../kernel-lib/src/model/model-folder';
import { loadAdapter, saveAdapter } from '../../kernel-lib/src/peft/adapter-io';
import { LoraAdapter, loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { IDS, logits, maxAbs, maxAbsDiff, tinyModel } from './helpers';

/**
 * Optional agreement check against Hugging Face PEFT itself, both ways:
 * adapters saved here are loaded by `PeftModel.from_pretrained` (same logits,
 * unmerged and merged), and adapters made by PEFT (LoRA all-linear, DoRA +
 * rsLoRA, PiSSA) load here with the same logits, loss gradients and
 * trainable-parameter line. Runs when GALORE_PEFT_PYTHON names a Python with
 * torch, transformers and peft:
 *
 *   GALORE_PEFT_PYTHON=/path/to/venv/bin/python npx vitest run tests/peft/peft-cross-check.test.ts
 *
 * With GALORE_PEFT_FIXTURE_OUT=DIR it also copies PEFT's DoRA adapter there
 * (how tests/peft/fixtures/peft-dora-rslora was made).
 */
const python = process.env.GALORE_PEFT_PYTHON;
const ready = python !== undefined && fs.existsSync(python);
const BASE_SEED = 11;

beforeAll(async () => { await initBackend('wasm'); });

const closeTo = (got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-4): void => {
  expect(got.length).toBe(want.length);
  expect(maxAbsDiff(got, want)).toBeLessThan(rel * Math.max(1, maxAbs(want)));
};

describe('agreement with Hugging Face PEFT', () => {
  if (!ready) it.skip('skipped: needs GALORE_PEFT_PYTHON, a Python with torch, transformers and peft (see the file header)', () => {});

  it.runIf(ready)('PEFT loads our adapters and computes our logits; we load PEFT-made adapters', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-peft-xc-'));
    const ours = new Map<string, Float32Array>();
    const base = tinyModel(BASE_SEED);
    await savePretrained(base, path.join(folder, 'base'));
    fs.writeFileSync(path.join(folder, 'ids.json'), JSON.stringify(Array.from(IDS)));
    const variants: [string, Record<string, unknown>, (a: LoraAdapter) => void][] = [
      ['lora', { r: 4, lora_alpha: 16, target_modules: ['q_proj', 'v_proj', 'down_proj'], init_lora_weights: false, lora_dropout: 0.1 }, () => {}],
      ['dora-rslora-all', { r: 2, lora_alpha: 4, target_modules: 'all-linear', use_dora: true, use_rslora: true, init_lora_weights: false },
        (a) => { for (const l of a.layers) l.magnitude!.assign(tf.mul(l.magnitude!, tf.linspace(0.8, 1.2, l.magnitude!.size))); }],
      ['pissa', { r: 2, lora_alpha: 4, init_lora_weights: 'pissa' }, (a) => { for (const l of a.layers) l.B.assign(tf.mul(l.B, 1.5)); }],
    ];
    for (const [name, options, perturb] of variants) {
      const adapter = loraAdapter(base, { seed: 3, ...options }).eval();
      perturb(adapter);
      ours.set(name, logits(base));
      await saveAdapter(adapter, path.join(folder, 'ours', name), { baseModelNameOrPath: path.join(folder, 'base') });
      adapter.unload(); // (PiSSA leaves its residual in `base`: it is the last variant)
    }
    base.dispose();
    const run = spawnSync(python!, [path.join(__dirname, 'cross-check', 'peft_reference.py'), folder], { encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) throw new Error(`peft_reference.py failed:\n${run.stdout}\n${run.stderr}`);

    for (const [name, want] of ours) {
      const peft = JSON.parse(fs.readFileSync(path.join(folder, 'ours', name, 'peft.json'), 'utf8'));
      closeTo(peft.logits, want);
      closeTo(peft.merged, want);
    }

    for (const name of ['lora-all-linear', 'dora-rslora', 'pissa']) {
      const dir = path.join(folder, 'peft', name);
      const reference = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8'));
      const model = tinyModel(BASE_SEED);
      const adapter = (await loadAdapter(model, dir)).eval();
      closeTo(logits(model), reference.logits);
      expect(adapter.trainableParametersReport()).toBe(reference.report);
      const params = adapter.trainableParams().filter((p) => p.name.includes('.layers.0.self_attn.q_proj.'));
      const { value, grads } = tf.variableGrads(() => model.loss(IDS, IDS, 1, IDS.length), params.map((p) => p.variable));
      expect(value.dataSync()[0]).toBeCloseTo(reference.loss, 4);
      for (const p of params) {
        const key = p.name.endsWith('lora_magnitude_vector') ? `${p.name}.weight` : p.name;
        closeTo(grads[p.variable.name].dataSync(), reference.grads[key], 1e-3);
      }
      adapter.merge();
      closeTo(logits(model), reference.merged);
      adapter.unload();
      model.dispose();
      const out = process.env.GALORE_PEFT_FIXTURE_OUT;
      if (out && name === 'dora-rslora') {
        fs.mkdirSync(out, { recursive: true });
        for (const f of ['adapter_config.json', 'adapter_model.safetensors']) fs.copyFileSync(path.join(dir, f), path.join(out, f));
        fs.writeFileSync(path.join(out, 'reference.json'), JSON.stringify({ base_seed: BASE_SEED, ids: Array.from(IDS), logits: reference.logits, report: reference.report }));
      }
    }
  });
});
