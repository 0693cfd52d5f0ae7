import { describe, expect, it } from 'vitest';
import { requireTensors } from '../../kernel-lib/src/io/require-tensors';
import { SafetensorsError } from '../../kernel-lib/src/io/safetensors-error';

const loaded = new Map<string, { shape: number[] }>([
  ['model.embed_tokens.weight', { shape: [151936, 896] }],
  ['model.norm.weight', { shape: [896] }],
  ['model.layers.0.self_attn.q_proj.weight', { shape: [896, 896] }],
  ['model.layers.0.self_attn.q_proj.bias', { shape: [128] }],
  ['rotary_emb.inv_freq', { shape: [32] }],
]);

describe('requireTensors', () => {
  it('passes and returns unexpected names when everything matches', () => {
    const { unexpected } = requireTensors(
      loaded,
      [
        { name: 'model.embed_tokens.weight', shape: [151936, 896] },
        { name: 'model.norm.weight', shape: [896] },
        { name: 'model.layers.0.self_attn.q_proj.weight', shape: [896, 896] },
        { name: 'model.layers.0.self_attn.q_proj.bias', shape: [128] },
      ],
      'qwen/model.safetensors',
    );
    expect(unexpected).toEqual(['rotary_emb.inv_freq']);
  });

  it('reports all missing names and all shape mismatches in one error', () => {
    let err: unknown;
    try {
      requireTensors(
        loaded,
        [
          { name: 'model.embed_tokens.weight', shape: [151936, 896] },
          { name: 'model.norm.weight', shape: [1024] }, // mismatch
          { name: 'model.layers.0.self_attn.q_proj.bias', shape: [896] }, // mismatch
          { name: 'lm_head.weight', shape: [151936, 896] }, // missing
          { name: 'model.layers.1.mlp.gate_proj.weight', shape: [4864, 896] }, // missing
        ],
        'qwen/model.safetensors',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    const e = err as SafetensorsError;
    expect(e.kind).toBe('missing-tensor');
    expect(e.file).toBe('qwen/model.safetensors');
    expect(e.tensor).toBe('lm_head.weight');
    expect(e.problems).toHaveLength(4);
    expect(e.message).toContain('2 missing tensor(s) and 2 shape mismatch(es) out of 5');
    expect(e.message).toContain('missing "lm_head.weight"');
    expect(e.message).toContain('missing "model.layers.1.mlp.gate_proj.weight"');
    expect(e.message).toContain('"model.norm.weight" has shape [896], expected [1024]');
    expect(e.message).toContain('"model.layers.0.self_attn.q_proj.bias" has shape [128], expected [896]');
  });

  it('uses kind shape-mismatch when nothing is missing, and caps the message', () => {
    const many = new Map(Array.from({ length: 30 }, (_, i) => [`w${i}`, { shape: [i] }] as const));
    const expected = Array.from({ length: 30 }, (_, i) => ({ name: `w${i}`, shape: [i + 1] }));
    try {
      requireTensors(many, expected, 'f');
      expect.unreachable('requireTensors should throw');
    } catch (err) {
      const e = err as SafetensorsError;
      expect(e.kind).toBe('shape-mismatch');
      expect(e.tensor).toBe('w0');
      expect(e.problems).toHaveLength(30);
      expect(e.message).toContain('... and 10 more');
    }
  });
});
