/**
 * Gradients of one LoRA-MoE layer (experts, router, input) against central
 * finite differences of the same computation written in float64 JS. The
 * router is built so that the top-k choice has wide margins: a perturbation
 * of 1e-3 never changes which experts a token uses (the top-k choice itself
 * has no gradient, as in every top-k MoE).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { LoraMoeLayer } from '../../kernel-lib/src/moe/moe-layer';
import { seededRandom } from '../../kernel-lib/src/util/random';

beforeAll(async () => { await initBackend('wasm'); });

const N = 5, IN = 4, OUT = 3, E = 3, R = 2, K = 2, SCALING = 1.5;

function randomArray(n: number, rng: ReturnType<typeof seededRandom>, std = 1): number[] {
  return Array.from({ length: n }, () => rng.normal() * std);
}

interface Values { x: number[]; W: number[]; b: number[]; A: number[]; B: number[]; Wr: number[]; C: number[] }

/** sum(C * y) for the layer's output y, in float64. */
function objective(v: Values): number {
  let total = 0;
  for (let t = 0; t < N; t++) {
    const x = v.x.slice(t * IN, (t + 1) * IN);
    const logits = Array.from({ length: E }, (_, e) => x.reduce((s, xi, i) => s + xi * v.Wr[e * IN + i], 0));
    const order = [0, 1, 2].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, K);
    const m = Math.max(...logits);
    const p = logits.map((l) => Math.exp(l - m));
    const kept = order.reduce((s, e) => s + p[e], 0);
    for (let o = 0; o < OUT; o++) {
      let y = v.b[o] + x.reduce((s, xi, i) => s + xi * v.W[o * IN + i], 0);
      for (const e of order) {
        const g = p[e] / kept;
        for (let j = 0; j < R; j++) {
          const h = x.reduce((s, xi, i) => s + xi * v.A[(e * R + j) * IN + i], 0);
          y += SCALING * g * h * v.B[o * (E * R) + e * R + j];
        }
      }
      total += v.C[t * OUT + o] * y;
    }
  }
  return total;
}

describe('LoRA-MoE layer gradients', () => {
  it('match central finite differences for A, B, the router and the input', () => {
    const rng = seededRandom(11);
    const v: Values = {
      x: randomArray(N * IN, rng), W: randomArray(OUT * IN, rng, 0.5), b: randomArray(OUT, rng, 0.1),
      A: randomArray(E * R * IN, rng, 0.5), B: randomArray(OUT * E * R, rng, 0.5), Wr: [], C: randomArray(N * OUT, rng),
    };
    // router rows far apart so every token's top-2 has a wide margin
    v.Wr = [3, 0, 0, 0, 0, 3, 0, 0, -2, -2, 1, 0].map((w, i) => w + 0.1 * Math.sin(i));
    const weight = tf.variable(tf.tensor2d(v.W, [OUT, IN]), false);
    const bias = tf.variable(tf.tensor1d(v.b), false);
    const layer = new LoraMoeLayer({ moduleName: 'm', weight, bias }, {
      numExperts: E, topK: K, r: R, scaling: SCALING,
      A: tf.tensor2d(v.A, [E * R, IN]), B: tf.tensor2d(v.B, [OUT, E * R]), router: tf.tensor2d(v.Wr, [E, IN]), variablePrefix: 'grad_test',
    });
    const x = tf.tensor2d(v.x, [N, IN]);
    const C = tf.tensor2d(v.C, [N, OUT]);
    const f = () => tf.sum(tf.mul(layer.forward(x), C)) as tf.Scalar;
    expect(f().dataSync()[0]).toBeCloseTo(objective(v), 4);
    const { grads } = tf.variableGrads(f, [layer.A, layer.B, layer.router]);
    const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.forward(xx as tf.Tensor2D), C)))(x).dataSync();
    const analytic: Record<keyof Values, ArrayLike<number>> = {
      A: grads[layer.A.name].dataSync(), B: grads[layer.B.name].dataSync(), Wr: grads[layer.router.name].dataSync(), x: dx,
      W: [], b: [], C: [],
    };
    const eps = 1e-3;
    for (const key of ['A', 'B', 'Wr', 'x'] as const) {
      let nonZero = 0;
      v[key].forEach((_, i) => {
        const plus = { ...v, [key]: v[key].map((w, j) => (j === i ? w + eps : w)) };
        const minus = { ...v, [key]: v[key].map((w, j) => (j === i ? w - eps : w)) };
        const fd = (objective(plus) - objective(minus)) / (2 * eps);
        expect(Math.abs(analytic[key][i] - fd), `${key}[${i}]`).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
        if (Math.abs(fd) > 1e-4) nonZero++;
      });
      expect(nonZero, key).toBeGreaterThan(0);
    }
    layer.dispose(); weight.dispose(); bias.dispose();
  });
});
