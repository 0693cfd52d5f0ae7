import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { GaLoreProjector, ProjType, projectionSide } from '../../kernel-lib/src/optim/galore-projector';
import { knownSvd, randomMatrix, toTensor } from './galore-reference';

beforeAll(async () => { await initBackend('wasm'); });

const config = (proj_type: ProjType, rank = 2) => ({ rank, update_proj_gap: 10, scale: 0.5, proj_type, svd: 'exact' as const });

describe('GaLoreProjector', () => {
  it.each([
    ['std', [6, 4], 'right', [6, 2]], ['std', [4, 6], 'left', [2, 6]],
    ['reverse_std', [6, 4], 'left', [2, 4]], ['reverse_std', [4, 6], 'right', [4, 2]],
    ['left', [4, 6], 'left', [2, 6]], ['right', [4, 6], 'right', [4, 2]], ['full', [6, 4], 'full', [2, 2]],
  ] as [ProjType, number[], string, number[]][])('%s on %j projects the %s side to %j', (type, shape, side, low) => {
    expect(projectionSide(type, shape)).toBe(side);
    const p = new GaLoreProjector(shape, config(type));
    expect(p.lowRankShape()).toEqual(low);
    const g = toTensor(randomMatrix(shape[0], shape[1], 1));
    p.refresh(g, 0, 0).change?.dispose();
    expect(p.project(g).shape).toEqual(low);
    expect(p.projectBack(p.project(g)).shape).toEqual(shape);
  });

  it('projectBack(project(G)) is scale x the best rank-r approximation of G on the projected side', () => {
    const { g } = knownSvd(6, 4, [4, 3, 0.5, 0.1], 2);
    const p = new GaLoreProjector([6, 4], config('full'));
    const gt = toTensor(g);
    p.refresh(gt, 0, 0);
    // rank-2 truncation: U2 U2^T G V2 V2^T = G minus the two small singular directions
    const { g: tail } = knownSvd(6, 4, [0, 0, 0.5, 0.1], 2);
    const expected = Array.from(g.data, (x, i) => 0.5 * (x - tail.data[i]));
    const got = p.projectBack(p.project(gt)).dataSync();
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
  });

  it('is due at the first call and every update_proj_gap steps after', () => {
    const p = new GaLoreProjector([6, 4], config('std'));
    expect(p.isDue(5)).toBe(true); // no basis yet
    p.refresh(toTensor(randomMatrix(6, 4, 3)), 5, 0);
    expect([6, 9, 10, 20, 21].map((s) => p.isDue(s))).toEqual([false, false, true, true, false]);
  });

  it('explains misuse', () => {
    const p = new GaLoreProjector([6, 4], config('std'));
    expect(() => p.project(tf.zeros([6, 4]))).toThrow(/before its first refresh/);
    expect(() => p.refresh(tf.zeros([4, 6]), 0, 0)).toThrow(/\[6, 4\] got a gradient of shape \[4, 6\]/);
    expect(() => new GaLoreProjector([3, 4, 5], config('std'))).toThrow(/2-D weights only/);
    expect(() => new GaLoreProjector([6, 4], config('diag' as ProjType))).toThrow(/proj_type must be one of/);
  });

  it('the basis change carries low-rank tensors between subspaces (identity for the same subspace)', () => {
    const { g } = knownSvd(6, 4, [4, 3, 0.5, 0.1], 5);
    const p = new GaLoreProjector([6, 4], config('left'));
    p.refresh(toTensor(g), 0, 0);
    const x = tf.tensor2d([[1, -2, 3, 0.5], [0.25, 1, -1, 2]]);
    const before = p.projectBack(x).dataSync();
    const { change, measured } = p.refresh(toTensor(g), 10, 0);
    expect(measured.overlap).toBeCloseTo(1, 5);
    const carried = change!.carry(x);
    // same full-size update from the carried tensor in the new basis
    const after = p.projectBack(carried).dataSync();
    before.forEach((b, i) => expect(after[i]).toBeCloseTo(b, 5));
    // squares carried with the squared rotation stay non-negative
    expect(Math.min(...Array.from(change!.carrySquares(tf.square(x)).dataSync()))).toBeGreaterThanOrEqual(0);
  });
});

it('stepping does not leak tensors', async () => {
  const { GaLoreAdamW } = await import('../../kernel-lib/src/optim/galore-adamw');
  for (const stateBits of [32, 8] as const) {
    const opt = new GaLoreAdamW({ rank: 2, update_proj_gap: 2, stateBits, min8bitSize: 0, momentsOnRefresh: 'reproject', onWarning: () => {} });
    const p = { name: 'model.layers.0.mlp.up_proj.weight', variable: tf.variable(tf.zeros([6, 4])) };
    const b = { name: 'model.norm.weight', variable: tf.variable(tf.zeros([4])) };
    const g = toTensor(randomMatrix(6, 4, 1)); const gb = tf.ones([4]);
    opt.step([p, b], { [p.name]: g, [b.name]: gb }, 0.01);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step([p, b], { [p.name]: g, [b.name]: gb }, 0.01);
    expect(tf.memory().numTensors).toBe(n0);
    opt.dispose();
  }
});
