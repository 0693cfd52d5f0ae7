import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { HEAD_KINDS, HeadKind, classificationHead } from '../../kernel-lib/src/classify/heads';
import { layerNorm, maskedAttention } from '../../kernel-lib/src/classify/layers';
import { poolingMatrix } from '../../kernel-lib/src/classify/token-batch';
import { randomMatrix, worstGradientError } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

const LENGTHS = [3, 5, 2];
const T = 5;
const D = 8;
const CLASSES = 3;

function headOf(kind: HeadKind, seed = 1) {
  return classificationHead(kind, { inputSize: D, numClasses: CLASSES, hidden: 4, attentionSize: 4, seed, dropout: 0 });
}

describe('classification heads', () => {
  it.each(HEAD_KINDS)('%s: logits have shape [batch, classes] for both poolings', (kind) => {
    const head = headOf(kind);
    const tokens = randomMatrix(LENGTHS.length * T, D, 3);
    for (const pooling of ['mean', 'last'] as const) {
      const logits = head.logits({ tokens, lengths: LENGTHS, seqLen: T, pooling, training: false });
      expect(logits.shape).toEqual([3, CLASSES]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    }
    expect(head.parameterCount()).toBe(head.params().reduce((n, p) => n + p.variable.size, 0));
    head.dispose();
  });

  it.each(HEAD_KINDS)('%s: padding rows do not change the logits', (kind) => {
    const head = headOf(kind);
    const tokens = randomMatrix(LENGTHS.length * T, D, 4);
    const noise = randomMatrix(LENGTHS.length * T, D, 5).mul(100);
    const isPad = Float32Array.from({ length: LENGTHS.length * T }, (_, r) => (r % T >= LENGTHS[Math.floor(r / T)] ? 1 : 0));
    const perturbed = tokens.add(noise.mul(tf.tensor2d(isPad, [isPad.length, 1]))) as tf.Tensor2D;
    for (const pooling of ['mean', 'last'] as const) {
      const a = head.logits({ tokens, lengths: LENGTHS, seqLen: T, pooling, training: false }).dataSync();
      const b = head.logits({ tokens: perturbed, lengths: LENGTHS, seqLen: T, pooling, training: false }).dataSync();
      expect(Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])))).toBeLessThan(1e-4);
    }
    // a real token does change them (the check above can fail)
    const moved = tokens.add(tf.oneHot(tf.tensor1d([0], 'int32'), LENGTHS.length * T).reshape([-1, 1]).mul(5)) as tf.Tensor2D;
    const a = head.logits({ tokens, lengths: LENGTHS, seqLen: T, pooling: 'mean', training: false }).dataSync();
    const c = head.logits({ tokens: moved, lengths: LENGTHS, seqLen: T, pooling: 'mean', training: false }).dataSync();
    expect(Math.max(...Array.from(a, (x, i) => Math.abs(x - c[i])))).toBeGreaterThan(1e-3);
    head.dispose();
  });

  it.each(HEAD_KINDS)('%s: gradients of parameters and token states agree with finite differences', (kind) => {
    const head = headOf(kind, 7);
    // move zero-initialised weights (adapter up-projection) away from zero so every path carries gradient
    for (const p of head.params()) p.variable.assign(tf.add(p.variable, randomMatrix(1, p.variable.size, 11).reshape(p.variable.shape).mul(0.3)));
    const tokens = tf.variable(randomMatrix(LENGTHS.length * T, D, 8), true);
    const weights = randomMatrix(LENGTHS.length, CLASSES, 9);
    const f = () => tf.sum(tf.mul(head.logits({ tokens: tokens as unknown as tf.Tensor2D, lengths: LENGTHS, seqLen: T, pooling: 'mean', training: false }), weights)) as tf.Scalar;
    const worst = worstGradientError(f, [tokens, ...head.params().map((p) => p.variable)], 3);
    expect(worst).toBeLessThan(0.03);
    head.dispose();
    tokens.dispose();
  });

  it('dropout is active only while training, and is seeded', () => {
    const tokens = randomMatrix(LENGTHS.length * T, D, 12);
    const input = { tokens, lengths: LENGTHS, seqLen: T, pooling: 'mean' as const };
    const grn = classificationHead('grn', { inputSize: D, numClasses: CLASSES, hidden: 4, seed: 2, dropout: 0.5 });
    const evalA = grn.logits({ ...input, training: false }).dataSync();
    const evalB = grn.logits({ ...input, training: false }).dataSync();
    const train = grn.logits({ ...input, training: true }).dataSync();
    expect(Array.from(evalA)).toEqual(Array.from(evalB));
    expect(Math.max(...Array.from(evalA, (x, i) => Math.abs(x - train[i])))).toBeGreaterThan(1e-4);
    const twin = classificationHead('grn', { inputSize: D, numClasses: CLASSES, hidden: 4, seed: 2, dropout: 0.5 });
    expect(Array.from(twin.logits({ ...input, training: true }).dataSync())).toEqual(Array.from(train));
    grn.dispose();
    twin.dispose();
  });

  it('rejects unknown kinds and bad sizes', () => {
    expect(() => classificationHead('mlp' as HeadKind, { inputSize: D, numClasses: 3 })).toThrow(/unknown kind "mlp"; expected one of: adapter, lightweight, tiny-attention, grn/);
    expect(() => classificationHead('grn', { inputSize: D, numClasses: 1 })).toThrow(/numClasses > 1/);
  });
});

describe('pooling and attention', () => {
  it('the pooling matrix averages the real tokens or picks the last one', () => {
    const h = tf.tensor2d([[1, 10], [3, 30], [100, 100], [5, 50], [7, 70], [9, 90]]); // 2 sequences of length 3
    expect(tf.matMul(poolingMatrix([2, 3], 3, 'mean'), h).arraySync()).toEqual([[2, 20], [7, 70]]);
    expect(tf.matMul(poolingMatrix([2, 3], 3, 'last'), h).arraySync()).toEqual([[3, 30], [9, 90]]);
    expect(() => poolingMatrix([0], 3, 'mean')).toThrow(/length 0 of sequence 0 outside \[1, 3\]/);
  });

  it('masked attention equals attention over each sequence\'s real tokens alone', () => {
    const q = randomMatrix(LENGTHS.length * T, 4, 21);
    const k = randomMatrix(LENGTHS.length * T, 4, 22);
    const v = randomMatrix(LENGTHS.length * T, 3, 23);
    const out = maskedAttention(q, k, v, LENGTHS, T).arraySync();
    LENGTHS.forEach((len, b) => {
      const rows = (x: tf.Tensor2D, n: number) => x.slice([b * T, 0], [n, x.shape[1]]);
      const ref = tf.matMul(tf.softmax(tf.matMul(rows(q, T), rows(k, len), false, true).div(2)), rows(v, len)).arraySync() as number[][];
      for (let t = 0; t < T; t++) for (let j = 0; j < 3; j++) expect(out[b * T + t][j]).toBeCloseTo(ref[t][j], 5);
    });
  });

  it('masked attention splits long batches into several blocks with the same result', () => {
    const lengths = [60, 100, 30, 80];
    const len = 100; // 4 x 100 rows: two blocks of two sequences
    const q = randomMatrix(400, 4, 41);
    const k = randomMatrix(400, 4, 42);
    const v = randomMatrix(400, 2, 43);
    const out = maskedAttention(q, k, v, lengths, len).arraySync();
    lengths.forEach((n, b) => {
      const rows = (x: tf.Tensor2D, m: number) => x.slice([b * len, 0], [m, x.shape[1]]);
      const ref = tf.matMul(tf.softmax(tf.matMul(rows(q, len), rows(k, n), false, true).div(2)), rows(v, n)).arraySync() as number[][];
      for (const t of [0, n - 1, len - 1]) for (let j = 0; j < 2; j++) expect(out[b * len + t][j]).toBeCloseTo(ref[t][j], 5);
    });
    expect(() => maskedAttention(q, k, v, [60, 100, 30], len)).toThrow(/q has 400 rows for 3 sequences of length 100/);
  });

  it('masked attention gradients agree with finite differences', () => {
    const vars = [randomMatrix(LENGTHS.length * T, 4, 31), randomMatrix(LENGTHS.length * T, 4, 32), randomMatrix(LENGTHS.length * T, 3, 33)].map((x) => tf.variable(x, true));
    const w = randomMatrix(LENGTHS.length * T, 3, 34);
    const [q, k, v] = vars as unknown as tf.Tensor2D[];
    const f = () => tf.sum(tf.mul(maskedAttention(q, k, v, LENGTHS, T), w)) as tf.Scalar;
    expect(worstGradientError(f, vars, 6)).toBeLessThan(0.03);
    vars.forEach((x) => x.dispose());
  });

  it('layer norm matches its definition', () => {
    const x = tf.tensor2d([[1, 2, 3, 6]]);
    const y = layerNorm(x, tf.tensor1d([1, 1, 2, 1]), tf.tensor1d([0, 0, 0, 1]), 0).dataSync();
    const mean = 3;
    const sd = Math.sqrt((4 + 1 + 0 + 9) / 4);
    [(1 - mean) / sd, (2 - mean) / sd, (2 * (3 - mean)) / sd, (6 - mean) / sd + 1].forEach((e, i) => expect(y[i]).toBeCloseTo(e, 5));
  });
});
