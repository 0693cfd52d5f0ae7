import { describe, expect, it } from 'vitest';
import {
  adamWStateBytes, galoreStateBytes, galoreStateLayout, momentBytes, momentParts,
} from '../../kernel-lib/src/memory/optimizer-state-bytes';
import { isGaloreTarget, loraAdapterShapes } from '../../kernel-lib/src/memory/parameter-groups';
import { tinyConfig } from '../helpers/tiny-config';

describe('moment and AdamW state bytes', () => {
  it('float32 moments are 4 bytes per element, AdamW keeps two', () => {
    expect(momentBytes(10, false)).toBe(40);
    expect(adamWStateBytes([896, 896])).toBe(2 * 4 * 896 * 896); // 6,422,528
  });

  it('8-bit moments: one byte per element plus a float32 absmax per block of 256', () => {
    // 5000 elements: 5000 codes + ceil(5000 / 256) = 20 blocks * 4 bytes
    expect(momentParts(5000, true)).toEqual({ values: 5000, scales: 80 });
    expect(momentBytes(5000, true)).toBe(5080);
    expect(adamWStateBytes([50, 100], true)).toBe(2 * 5080);
    // blocks of 2048: ceil(5000 / 2048) = 3
    expect(momentBytes(5000, true, { blockSize: 2048, minSize: 4096 })).toBe(5012);
  });

  it('tensors under min_8bit_size keep float32 moments', () => {
    expect(momentBytes(4095, true)).toBe(4 * 4095);
    expect(momentBytes(4096, true)).toBe(4096 + 16 * 4);
  });
});

describe('GaLore layout (galore-torch GaLoreProjector)', () => {
  it('std: tall gradients get a right factor [r, n] and moments [m, r]', () => {
    expect(galoreStateLayout([4864, 896], 128)).toEqual({ side: 'right', projectors: [[128, 896]], moments: [4864, 128] });
  });

  it('std: wide gradients get a left factor [m, r] and moments [r, n]', () => {
    expect(galoreStateLayout([896, 4864], 128)).toEqual({ side: 'left', projectors: [[896, 128]], moments: [128, 4864] });
  });

  it('square counts as tall (m >= n)', () => {
    expect(galoreStateLayout([896, 896], 128).side).toBe('right');
  });

  it('reverse_std, left, right and full', () => {
    expect(galoreStateLayout([4864, 896], 128, 'reverse_std').projectors).toEqual([[4864, 128]]);
    expect(galoreStateLayout([4864, 896], 128, 'left').moments).toEqual([128, 896]);
    expect(galoreStateLayout([896, 4864], 128, 'right').moments).toEqual([896, 128]);
    expect(galoreStateLayout([100, 50], 8, 'full')).toEqual({ side: 'full', projectors: [[100, 8], [8, 50]], moments: [8, 8] });
  });

  it('bytes: factor in float32 plus two moments', () => {
    // up_proj of Qwen2-0.5B at rank 128: 4 * 128 * 896 + 2 * 4 * 4864 * 128
    expect(galoreStateBytes([4864, 896], 128)).toEqual({ projectors: 458_752, moments: 4_980_736, total: 5_439_488 });
    // k_proj [128, 896] at rank 128 is wide: left factor 128x128, moments [128, 896] = full Adam's
    const k = galoreStateBytes([128, 896], 128);
    expect(k.moments).toBe(adamWStateBytes([128, 896]));
    expect(k.projectors).toBe(4 * 128 * 128);
    // 8-bit moments on [4864, 128] = 622,592 elements -> 2432 blocks of 256
    expect(galoreStateBytes([4864, 896], 128, 'std', true).moments).toBe(2 * (622_592 + 4 * 2432));
  });

  it('clips the rank to min(m, n), as our projector does', () => {
    // k_proj of the tiny config [16, 32] at rank 24: left factor [16, 16], moments [16, 32]
    expect(galoreStateLayout([16, 32], 24)).toEqual({ side: 'left', projectors: [[16, 16]], moments: [16, 32] });
  });

  it('rejects non-2-D weights and bad ranks', () => {
    expect(() => galoreStateLayout([896], 8)).toThrow(/2-D/);
    expect(() => galoreStateLayout([8, 8], 0)).toThrow(/rank/);
  });
});

describe('parameter groups', () => {
  it('GaLore targets the seven linear weights of decoder layers only', () => {
    expect(isGaloreTarget('model.layers.0.self_attn.q_proj.weight')).toBe(true);
    expect(isGaloreTarget('model.layers.11.mlp.down_proj.weight')).toBe(true);
    expect(isGaloreTarget('model.layers.0.self_attn.q_proj.bias')).toBe(false);
    expect(isGaloreTarget('model.layers.0.input_layernorm.weight')).toBe(false);
    expect(isGaloreTarget('model.embed_tokens.weight')).toBe(false);
    expect(isGaloreTarget('lm_head.weight')).toBe(false);
    expect(isGaloreTarget('model.layers.0.mlp.up_proj.weight', ['q_proj'])).toBe(false);
  });

  it('LoRA adapters: A [r, in], B [out, r], DoRA magnitude [out]', () => {
    const cfg = tinyConfig(); // hidden 32, kv width 16, intermediate 56, 2 layers
    const a = loraAdapterShapes(cfg, { r: 4, targets: ['k_proj', 'down_proj'], dora: true });
    expect(a.length).toBe(2 * 2 * 3);
    expect(a.slice(0, 3)).toEqual([
      { name: 'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight', shape: [4, 32] },
      { name: 'base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight', shape: [16, 4] },
      { name: 'base_model.model.model.layers.0.self_attn.k_proj.lora_magnitude_vector', shape: [16] },
    ]);
    expect(a[3]).toEqual({ name: 'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight', shape: [4, 56] });
    // all seven modules, r = 8: per layer 8 * (32 + 32 + 32 + 32 + 32 + 32 + 56) + 8 * (32 + 16 + 16 + 32 + 56 + 56 + 32)
    const all = loraAdapterShapes(cfg, { r: 8, targets: 'all' });
    expect(all.reduce((s, x) => s + x.shape[0] * x.shape[1], 0)).toBe(2 * (8 * 248 + 8 * 240));
  });

  it('LoRA rejects unknown modules', () => {
    expect(() => loraAdapterShapes(tinyConfig(), { r: 4, targets: ['qkv'] })).toThrow(/not a linear module/);
  });
});
