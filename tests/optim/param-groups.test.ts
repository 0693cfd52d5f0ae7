import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { matchesGaloreTarget, parseGaloreTarget, splitGaloreParams } from '../../kernel-lib/src/optim/param-groups';

const qwenNames = [
  'model.embed_tokens.weight',
  'model.layers.0.input_layernorm.weight',
  'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.q_proj.bias',
  'model.layers.0.self_attn.k_proj.weight', 'model.layers.0.self_attn.v_proj.weight',
  'model.layers.0.self_attn.o_proj.weight',
  'model.layers.0.post_attention_layernorm.weight',
  'model.layers.0.mlp.gate_proj.weight', 'model.layers.0.mlp.up_proj.weight', 'model.layers.0.mlp.down_proj.weight',
  'model.layers.23.mlp.down_proj.weight',
  'model.norm.weight', 'lm_head.weight',
];

describe('GaLore target patterns', () => {
  it('"all" selects exactly the 7 linear weights of each decoder layer (LLaMA-Factory galore_target all)', () => {
    expect(qwenNames.filter((n) => matchesGaloreTarget(n, ['all']))).toEqual([
      'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight',
      'model.layers.0.self_attn.v_proj.weight', 'model.layers.0.self_attn.o_proj.weight',
      'model.layers.0.mlp.gate_proj.weight', 'model.layers.0.mlp.up_proj.weight', 'model.layers.0.mlp.down_proj.weight',
      'model.layers.23.mlp.down_proj.weight',
    ]);
  });

  it('module names match whole path parts of weights only; RegExps match full names', () => {
    expect(qwenNames.filter((n) => matchesGaloreTarget(n, parseGaloreTarget('q_proj,v_proj')))).toEqual([
      'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.v_proj.weight',
    ]);
    expect(qwenNames.filter((n) => matchesGaloreTarget(n, ['mlp'])).length).toBe(4);
    expect(matchesGaloreTarget('model.layers.0.mlp.up_proj.weight', ['up'])).toBe(false);
    expect(qwenNames.filter((n) => matchesGaloreTarget(n, [/^model\.layers\.23\./]))).toEqual(['model.layers.23.mlp.down_proj.weight']);
  });

  it('parseGaloreTarget trims and rejects an empty spec', () => {
    expect(parseGaloreTarget(' q_proj , v_proj ')).toEqual(['q_proj', 'v_proj']);
    expect(() => parseGaloreTarget(' , ')).toThrow(/galore_target is empty/);
  });

  it('splitGaloreParams keeps only 2-D matching weights for GaLore', () => {
    const mk = (name: string, shape: number[]) => ({ name, variable: tf.variable(tf.zeros(shape)) });
    const params = [mk('model.layers.0.mlp.up_proj.weight', [8, 4]), mk('model.layers.0.self_attn.q_proj.bias', [8]),
      mk('model.norm.weight', [4]), mk('lm_head.weight', [10, 4])];
    const { galore, others } = splitGaloreParams(params, ['all']);
    expect(galore.map((p) => p.name)).toEqual(['model.layers.0.mlp.up_proj.weight']);
    expect(others.length).toBe(3);
  });
});
