import { describe, expect, it } from 'vitest';
import { BucketHistory, roundSignificant, weightedMean } from '../../kernel-lib/src/telemetry/downsample';
import { parseTelemetry } from '../../kernel-lib/src/telemetry/schema';
import { TelemetryRecorder, weightLocation } from '../../kernel-lib/src/telemetry/telemetry-recorder';
import { fakeClock, runMetadata, sampleRecorder } from './fixtures';

interface P {
  step: number;
  v: number;
  count: number;
}
const mergeP = (a: P, b: P): P => ({ step: b.step, v: weightedMean(a.v, a.count, b.v, b.count)!, count: a.count + b.count });

describe('BucketHistory', () => {
  it('keeps a bounded number of equal-width buckets that cover every point', () => {
    for (const n of [1, 7, 64, 1000, 12_345]) {
      const h = new BucketHistory<P>(16, mergeP);
      for (let i = 1; i <= n; i++) h.push({ step: i, v: i, count: 1 });
      const points = h.points();
      expect(points.length).toBeLessThanOrEqual(16);
      expect(points.reduce((s, p) => s + p.count, 0)).toBe(n);
      expect(h.seen).toBe(n);
      expect(points[points.length - 1].step).toBe(n);
      // full buckets all have the current width; only the last may be partial
      for (const p of points.slice(0, -1)) expect(p.count).toBe(h.bucketWidth);
      // a bucket's value is the mean of the steps it covers
      let first = 1;
      for (const p of points) {
        expect(p.v).toBeCloseTo((first + p.step) / 2, 9);
        first = p.step + 1;
      }
    }
  });

  it('refuses a capacity below 2', () => {
    expect(() => new BucketHistory<P>(1, mergeP)).toThrow(/capacity/);
  });

  it('rounds and averages', () => {
    expect(roundSignificant(3.14159265, 4)).toBe(3.142);
    expect(roundSignificant(Number.NaN)).toBeNull();
    expect(weightedMean(1, 1, 3, 3)).toBe(2.5);
    expect(weightedMean(null, 1, 3, 3)).toBe(3);
  });
});

describe('TelemetryRecorder', () => {
  it('locates weights by layer and module', () => {
    expect(weightLocation('model.layers.3.mlp.down_proj.weight')).toEqual({ layer: 3, module: 'down_proj' });
    expect(weightLocation('model.layers.12.self_attn.q_proj.weight')).toEqual({ layer: 12, module: 'q_proj' });
    expect(weightLocation('model.embed_tokens.weight')).toEqual({ layer: null, module: 'embed_tokens' });
  });

  it('records steps, tokens/s, memory and the latest exact values', () => {
    const rec = new TelemetryRecorder(runMetadata(), {}, fakeClock());
    rec.recordStep({ step: 1, loss: 3.5, lr: 1e-3, gradNorm: 2, tokens: 1000, timeMs: 500 });
    rec.recordStep({ step: 2, loss: Number.NaN, lr: 1e-3, gradNorm: 2, tokens: 1000, timeMs: 500 });
    const m = rec.message();
    expect(m.steps).toHaveLength(1);
    expect(m.latest.step).toMatchObject({ step: 1, loss: 3.5, tokensPerSecond: 2000, count: 1 });
    expect(m.history.stepsSeen).toBe(1);
    expect(parseTelemetry(JSON.parse(JSON.stringify(m))).ok).toBe(true);
  });

  it('keeps a 100k-step GaLore run small', () => {
    const rec = sampleRecorder({ steps: 100_000, galore: true, layers: 24, gap: 200 });
    const message = rec.message();
    const json = JSON.stringify(message);
    expect(message.history.stepsSeen).toBe(100_000);
    expect(message.steps.length).toBeLessThanOrEqual(256);
    expect(message.memory.length).toBeLessThanOrEqual(128);
    expect(message.steps.reduce((s, p) => s + p.count, 0)).toBe(100_000);
    expect(message.latest.step?.step).toBe(100_000);
    expect(message.steps[0].lossMax).toBeGreaterThan(message.steps[0].lossMin);
    const sub = message.subspaces!;
    expect(sub.weights).toHaveLength(24 * 7);
    expect(sub.refreshesSeen).toBe(500);
    expect(sub.refreshSteps.length).toBeLessThanOrEqual(32);
    expect(sub.refreshSteps[sub.refreshSteps.length - 1]).toBe(99_800);
    expect(sub.latest[0].singularValues).toHaveLength(16);
    // weights sorted by layer, then q, k, v, o, gate, up, down
    expect(sub.latest.slice(0, 7).map((e) => e.module)).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    // Qwen2-0.5B's 168 GaLore weights x 32 refresh columns x 2 matrices + 16 singular values each: under 180 KB
    expect(json.length).toBeLessThan(180_000);
    const withoutSubspaces = JSON.stringify({ ...message, subspaces: null });
    expect(withoutSubspaces.length).toBeLessThan(80_000);
    // a 2-layer model's whole message stays under 80 KB however long the run
    expect(JSON.stringify(sampleRecorder({ steps: 100_000, galore: true, layers: 2, gap: 200 }).message()).length).toBeLessThan(80_000);
    expect(parseTelemetry(JSON.parse(json)).ok).toBe(true);
  });

  it('averages merged subspace columns and keeps the first overlap null', () => {
    const rec = sampleRecorder({ steps: 20, galore: true, layers: 1, gap: 5, limits: { subspaceColumns: 2 } });
    const sub = rec.message().subspaces!;
    expect(sub.refreshesSeen).toBe(4);
    expect(sub.refreshSteps.length).toBeLessThanOrEqual(3);
    expect(sub.overlap.every((row) => row.length === sub.refreshSteps.length)).toBe(true);
    const single = sampleRecorder({ steps: 1, galore: true, layers: 1 }).message().subspaces!;
    expect(single.overlap[0]).toEqual([null]);
    expect(single.latest[0].overlap).toBeNull();
  });

  it('ends a run once, with the reason', () => {
    const rec = sampleRecorder({ steps: 3 });
    rec.setStatus('paused');
    expect(rec.message().status).toBe('paused');
    rec.finish('stopped', 'stopped from the training monitor');
    rec.finish('failed', 'later');
    rec.setStatus('running');
    const m = rec.message();
    expect(m.status).toBe('stopped');
    expect(m.end).toMatchObject({ status: 'stopped', step: 3, reason: 'stopped from the training monitor' });
  });
});
