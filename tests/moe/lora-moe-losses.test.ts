import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { ExpertMemoryQueue, supervisedContrastiveLoss } from '../../kernel-lib/src/moe/contrastive';
import { loadBalancingLoss, loadShares, routingEntropy, topKMask } from '../../kernel-lib/src/moe/routing';

beforeAll(async () => { await initBackend('wasm'); });

const softmaxRows = (logits: number[][]): number[][] => logits.map((row) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
});

describe('load-balancing loss', () => {
  it('equals num_experts * sum_e f_e * P_e computed by hand (3 tokens, 3 experts, top-2)', () => {
    const logits = [[2, 0, -1], [0.5, 1.5, 0], [0, -2, 3]];
    const probs = softmaxRows(logits);
    const choice = topKMask(logits.flat(), 3, 3, 2);
    // top-2 per token: {0,1}, {1,0}, {2,0} -> slots: expert0 3, expert1 2, expert2 1 of 6
    expect(choice.counts).toEqual([3, 2, 1]);
    const shares = loadShares(choice.counts, 3, 2);
    expect(shares).toEqual([0.5, 1 / 3, 1 / 6]);
    const meanP = [0, 1, 2].map((e) => (probs[0][e] + probs[1][e] + probs[2][e]) / 3);
    const byHand = 3 * (0.5 * meanP[0] + (1 / 3) * meanP[1] + (1 / 6) * meanP[2]);
    const loss = loadBalancingLoss(tf.tensor2d(probs), shares);
    expect(loss.dataSync()[0]).toBeCloseTo(byHand, 6);
    // uniform routing gives exactly 1; all tokens on one confident expert gives num_experts
    expect(loadBalancingLoss(tf.fill([4, 3], 1 / 3) as tf.Tensor2D, [1 / 3, 1 / 3, 1 / 3]).dataSync()[0]).toBeCloseTo(1, 6);
    expect(loadBalancingLoss(tf.tensor2d([[1, 0, 0], [1, 0, 0]]), [1, 0, 0]).dataSync()[0]).toBeCloseTo(3, 6);
  });

  it('its gradient reaches the router probabilities: d/dP_te = E f_e / N', () => {
    const probs = tf.tensor2d(softmaxRows([[1, 0], [0, 1], [2, 1], [0, 0]]));
    const shares = [0.75, 0.25];
    const g = tf.grad((p: tf.Tensor) => loadBalancingLoss(p as tf.Tensor2D, shares))(probs).arraySync() as number[][];
    for (const row of g) {
      expect(row[0]).toBeCloseTo((2 * 0.75) / 4, 6);
      expect(row[1]).toBeCloseTo((2 * 0.25) / 4, 6);
    }
  });

  it('routing entropy is the mean token entropy in nats', () => {
    expect(routingEntropy([0.5, 0.5, 1, 0], 2, 2)).toBeCloseTo(Math.log(2) / 2, 12);
    expect(routingEntropy([0.25, 0.25, 0.25, 0.25], 1, 4)).toBeCloseTo(Math.log(4), 12);
  });
});

/** Supervised InfoNCE by hand, in float64. */
function supConByHand(z: number[][], labels: number[], t: number, queue: number[][] = [], queueLabels: number[] = []): number {
  const unit = (v: number[]) => { const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)); return v.map((x) => x / n); };
  const zn = z.map(unit);
  const cands = [...zn, ...queue];
  const candLabels = [...labels, ...queueLabels];
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  let sum = 0;
  let anchors = 0;
  zn.forEach((zi, i) => {
    const others = cands.map((c, j) => ({ j, s: dot(zi, c) / t })).filter(({ j }) => j !== i);
    const lse = Math.log(others.reduce((a, { s }) => a + Math.exp(s), 0));
    const pos = others.filter(({ j }) => candLabels[j] === labels[i]);
    if (pos.length === 0) return;
    anchors++;
    sum += -pos.reduce((a, { s }) => a + (s - lse), 0) / pos.length;
  });
  return sum / anchors;
}

describe('contrastive routing loss', () => {
  const z = [[1, 0.2, 0], [0.9, 0.1, 0.3], [0, 1, 0.1], [0.1, 0.8, -0.4], [0.5, -0.5, 1]];
  const labels = [0, 0, 1, 1, 2];

  it('equals supervised InfoNCE computed by hand (in-batch only; an anchor without positives is skipped)', () => {
    const loss = supervisedContrastiveLoss(tf.tensor2d(z), Int32Array.from(labels), 0.5)!;
    expect(loss.dataSync()[0]).toBeCloseTo(supConByHand(z, labels, 0.5), 5);
  });

  it('with a queue: same-expert entries are positives, the others extra negatives', () => {
    const queue = [[0, 0, 1], [0.6, 0.8, 0], [1, 0, 0]];
    const queueLabels = [2, 1, 0];
    const contents = { rows: Float32Array.from(queue.flat()), labels: Int32Array.from(queueLabels), size: 3, dim: 3 };
    const loss = supervisedContrastiveLoss(tf.tensor2d(z), Int32Array.from(labels), 0.2, contents)!;
    const byHand = supConByHand(z, labels, 0.2, queue, queueLabels);
    expect(loss.dataSync()[0]).toBeCloseTo(byHand, 4);
    expect(Math.abs(byHand - supConByHand(z, labels, 0.2))).toBeGreaterThan(0.05); // the queue changes the value
  });

  it('is lower when same-expert representations agree and others differ', () => {
    const together = [[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99]];
    const mixed = [[1, 0], [0, 1], [0.99, 0.1], [0.1, 0.99]];
    const l = Int32Array.from([0, 0, 1, 1]);
    expect(supervisedContrastiveLoss(tf.tensor2d(together), l, 0.1)!.dataSync()[0])
      .toBeLessThan(supervisedContrastiveLoss(tf.tensor2d(mixed), l, 0.1)!.dataSync()[0]);
  });

  it('returns null when no anchor has a positive', () => {
    expect(supervisedContrastiveLoss(tf.tensor2d([[1, 0], [0, 1]]), Int32Array.from([0, 1]), 0.1)).toBeNull();
  });

  it('its gradient matches central finite differences (float32 tolerance)', () => {
    const zt = tf.tensor2d(z);
    const f = (x: tf.Tensor) => supervisedContrastiveLoss(x as tf.Tensor2D, Int32Array.from(labels), 0.5)!;
    const g = tf.grad(f)(zt).dataSync();
    const base = Float32Array.from(z.flat());
    const eps = 1e-2;
    for (let i = 0; i < base.length; i++) {
      const plus = base.slice(); plus[i] += eps;
      const minus = base.slice(); minus[i] -= eps;
      const fd = (supConByHand(chunk(plus), labels, 0.5) - supConByHand(chunk(minus), labels, 0.5)) / (2 * eps);
      expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
    }
  });
});

function chunk(a: Float32Array): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += 3) out.push(Array.from(a.subarray(i, i + 3)));
  return out;
}

describe('expert memory queue', () => {
  it('stays bounded however much is pushed, keeping the newest rows', () => {
    const q = new ExpertMemoryQueue(4, 2);
    for (let step = 0; step < 100; step++) q.push(Float32Array.from([step, -step, step + 0.5, -step - 0.5]), Int32Array.from([step % 3, (step + 1) % 3]));
    expect(q.size).toBe(4);
    expect(q.pushed).toBe(200);
    const { rows, labels } = q.contents();
    expect(rows.length).toBe(8);
    expect(new Set(Array.from(rows).filter((_, i) => i % 2 === 0))).toEqual(new Set([98, 98.5, 99, 99.5]));
    expect(labels.length).toBe(4);
    q.clear();
    expect(q.size).toBe(0);
  });

  it('a zero-capacity queue holds nothing', () => {
    const q = new ExpertMemoryQueue(0, 3);
    q.push(new Float32Array(6), new Int32Array(2));
    expect(q.size).toBe(0);
    expect(q.contents().rows.length).toBe(0);
    expect(() => q.push(new Float32Array(5), new Int32Array(2))).toThrow(/5 values for 2 rows of 3/);
  });
});
