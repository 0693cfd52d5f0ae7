import { describe, expect, it } from 'vitest';
import { layerEntropy, layerLoadRanked, layerOfModule, mergeRoutingStats, type ExpertRoutingStats } from '../../kernel-lib/src/moe/routing-stats';

const stats = (tokens: number, loads: number[][], entropies: number[], lm: number | null = null): ExpertRoutingStats => ({
  numExperts: 3, topK: 1, tokens, lmLoss: lm, loadBalanceLoss: lm === null ? null : 1.1, contrastiveLoss: null,
  modules: ['model.layers.0.mlp.up_proj', 'model.layers.0.mlp.down_proj', 'model.layers.1.mlp.up_proj'].map((name, i) => ({ name, load: loads[i], entropy: entropies[i] })),
});

describe('routing statistics helpers', () => {
  it('find the layer of a module name', () => {
    expect(layerOfModule('model.layers.12.self_attn.q_proj')).toBe(12);
    expect(layerOfModule('lm_head')).toBeNull();
  });

  it('average each layer\'s modules, loads ranked from the busiest expert down', () => {
    const s = stats(10, [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [1 / 3, 1 / 3, 1 / 3]], [1.0, 0.8, 1.09]);
    const ranked = layerLoadRanked(s);
    expect(ranked.map((r) => r.layer)).toEqual([0, 1]);
    expect(ranked[0].load[0]).toBeCloseTo((0.5 + 0.6) / 2, 12);
    expect(ranked[0].load[1]).toBeCloseTo((0.3 + 0.3) / 2, 12);
    expect(ranked[0].load[2]).toBeCloseTo((0.2 + 0.1) / 2, 12);
    expect(layerEntropy(s)).toEqual([{ layer: 0, entropy: 0.9 }, { layer: 1, entropy: 1.09 }]);
  });

  it('merge passes weighted by their tokens', () => {
    const a = stats(10, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0.2, 0.4, 0.6], 3);
    const b = stats(30, [[0, 1, 0], [0, 1, 0], [1, 0, 0]], [0.6, 0.8, 1.0], 5);
    const m = mergeRoutingStats([a, b]);
    expect(m.tokens).toBe(40);
    expect(m.modules[0].load).toEqual([0.25, 0.75, 0]);
    expect(m.modules[2].entropy).toBeCloseTo((0.6 * 10 + 1.0 * 30) / 40, 12);
    expect(m.lmLoss).toBe(4);
    expect(m.contrastiveLoss).toBeNull();
    expect(() => mergeRoutingStats([])).toThrow(/nothing to merge/);
  });
});
