import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { decoderBody, frozenDecoderBody } from '../../kernel-lib/src/classify/bodies';
import { classificationReport } from '../../kernel-lib/src/classify/classification-metrics';
import { classificationHead } from '../../kernel-lib/src/classify/heads';
import { SequenceClassifier, trainSequenceClassifier } from '../../kernel-lib/src/classify/sequence-classifier';
import { classifierSweepMethod, dataFractionSweep } from '../../kernel-lib/src/classify/sweep';
import { TransformerEncoder } from '../../kernel-lib/src/classify/text-encoder';
import { ClassificationExample, encodeForClassification, makeTokenBatch } from '../../kernel-lib/src/classify/token-batch';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

const PAD = 0;
const CLASSES = 3;

/** An easy problem: class c puts its marker token 10 + c somewhere among filler tokens 20..29. */
function synthetic(n: number, seed: number): ClassificationExample[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = i % CLASSES;
    const len = 4 + rng.int(5);
    const ids = Array.from({ length: len }, () => 20 + rng.int(10));
    ids[rng.int(len)] = 10 + label;
    return { id: `s${seed}-${i}`, inputIds: Int32Array.from(ids), label };
  });
}

const train = synthetic(60, 1);
const test = synthetic(30, 2);
const accuracy = (clf: SequenceClassifier) => classificationReport(test.map((e) => e.label), clf.predict(test), CLASSES).accuracy;
const tinyDecoder = (seed = 3) => Qwen2ForCausalLM.init(tinyConfig({ vocab_size: 64 }), seed);

describe('batches', () => {
  it('encodes with truncation and an appended token, and right-pads batches', () => {
    const tok = { encode: (t: string) => Array.from(t, (ch) => ch.charCodeAt(0) - 96) };
    const [a, b] = encodeForClassification(tok, [{ id: 'a', text: 'abcdef', label: 1 }, { id: 'b', text: 'xy', label: 0 }], { maxLen: 4, appendTokenId: 99 });
    expect(Array.from(a.inputIds)).toEqual([1, 2, 3, 99]);
    expect(Array.from(b.inputIds)).toEqual([24, 25, 99]);
    const batch = makeTokenBatch([b, a], PAD);
    expect([batch.batch, batch.seqLen, batch.lengths]).toEqual([2, 4, [3, 4]]);
    expect(Array.from(batch.ids)).toEqual([24, 25, 99, PAD, 1, 2, 3, 99]);
    expect(Array.from(batch.labels)).toEqual([0, 1]);
    expect(() => encodeForClassification({ encode: () => [] }, [{ id: 'e', text: '', label: 0 }])).toThrow(/example "e" has no tokens/);
  });
});

describe('bodies', () => {
  it('the frozen decoder cache holds each example\'s own hidden states, whatever the padding', () => {
    const model = tinyDecoder();
    const body = frozenDecoderBody(model, { padId: PAD, batchSize: 4 });
    expect(body.precompute(train.slice(0, 6))).toBeGreaterThanOrEqual(0);
    expect(body.cachedCount).toBe(6);
    const batch = makeTokenBatch(train.slice(0, 6), PAD);
    const cached = body.tokenStates(batch, false).arraySync();
    const e = train[2];
    const direct = model.hiddenStates(e.inputIds, 1, e.inputIds.length).arraySync();
    for (let t = 0; t < e.inputIds.length; t++) {
      direct[t].forEach((x, j) => expect(cached[2 * batch.seqLen + t][j]).toBeCloseTo(x, 4));
    }
    expect(body.params()).toEqual([]);
    expect(body.parameterCounts().trainable).toBe(0);
    model.dispose();
  });
});

describe('training', () => {
  it('a head on a frozen random decoder lowers the loss and beats chance', async () => {
    const model = tinyDecoder();
    const body = frozenDecoderBody(model, { padId: PAD });
    const clf = new SequenceClassifier(body, classificationHead('grn', { inputSize: 32, numClasses: CLASSES, seed: 1, dropout: 0 }), { padId: PAD });
    const result = await trainSequenceClassifier(clf, train, { steps: 120, batchSize: 12, lr: 1e-2, seed: 1 });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(result.losses.slice(-10))).toBeLessThan(0.6 * mean(result.losses.slice(0, 10)));
    expect(accuracy(clf)).toBeGreaterThan(0.6); // chance is 1/3
    expect(result.seconds).toBeGreaterThan(0);
    // same seed, same run
    const twin = new SequenceClassifier(body, classificationHead('grn', { inputSize: 32, numClasses: CLASSES, seed: 1, dropout: 0 }), { padId: PAD });
    expect((await trainSequenceClassifier(twin, train, { steps: 5, batchSize: 12, lr: 1e-2, seed: 1 })).losses)
      .toEqual((await trainSequenceClassifier(new SequenceClassifier(body, classificationHead('grn', { inputSize: 32, numClasses: CLASSES, seed: 1, dropout: 0 }), { padId: PAD }), train, { steps: 5, batchSize: 12, lr: 1e-2, seed: 1 })).losses);
    model.dispose();
  });

  it('the from-scratch encoder learns the problem', async () => {
    const encoder = new TransformerEncoder({ vocabSize: 64, hiddenSize: 16, layers: 1, heads: 2, maxLen: 16, seed: 2 });
    const clf = new SequenceClassifier(encoder, classificationHead('lightweight', { inputSize: 16, numClasses: CLASSES, hidden: 8, seed: 2 }), { padId: PAD });
    expect(clf.parameterCounts().trainable).toBe(encoder.parameterCounts().trainable + clf.head.parameterCount());
    const result = await trainSequenceClassifier(clf, train, { steps: 80, batchSize: 12, lr: 1e-2, seed: 2 });
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]);
    expect(accuracy(clf)).toBeGreaterThan(0.6);
    encoder.dispose();
  });

  it('with a LoRA adapter, training moves the adapter and the head but not the base weights', async () => {
    const model = tinyDecoder(4);
    const before = (model.weights.get('model.layers.0.self_attn.q_proj.weight')!.dataSync() as Float32Array).slice();
    const adapter = loraAdapter(model, { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], seed: 1 });
    const body = decoderBody(model, adapter);
    const clf = new SequenceClassifier(body, classificationHead('adapter', { inputSize: 32, numClasses: CLASSES, hidden: 8, seed: 3 }), { padId: PAD });
    const loraB = adapter.trainableParams().find((p) => p.name.endsWith('q_proj.lora_B.weight'))!;
    expect(Array.from(loraB.variable.dataSync()).every((x) => x === 0)).toBe(true);
    const result = await trainSequenceClassifier(clf, train, { steps: 25, batchSize: 12, lr: 1e-2, seed: 3 });
    expect(result.losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(result.losses.slice(0, 5).reduce((a, b) => a + b) / 5);
    expect(Array.from(loraB.variable.dataSync()).some((x) => x !== 0)).toBe(true);
    expect(Array.from(model.weights.get('model.layers.0.self_attn.q_proj.weight')!.dataSync())).toEqual(Array.from(before));
    expect(clf.trainableParams().length).toBe(adapter.trainableParams().length + clf.head.params().length);
    adapter.unload();
    model.dispose();
  });

  it('refuses a classifier whose body and head share parameter names', async () => {
    const a = new TransformerEncoder({ vocabSize: 64, hiddenSize: 8, heads: 1, maxLen: 16 });
    const head = classificationHead('lightweight', { inputSize: 8, numClasses: CLASSES });
    const clash = new SequenceClassifier({ ...a, kind: 'encoder', hiddenSize: 8, tokenStates: (b) => a.tokenStates(b), params: () => head.params(), parameterCounts: () => a.parameterCounts() }, head, { padId: PAD });
    await expect(trainSequenceClassifier(clash, train, { steps: 1, batchSize: 4, lr: 1e-3 })).rejects.toThrow(/two trainable parameters are named "lightweight\./);
    a.dispose();
  });
});

describe('data-fraction sweep', () => {
  it('returns one row per method and fraction, with stratified nested subsets and deterministic scores', async () => {
    const model = tinyDecoder();
    const body = frozenDecoderBody(model, { padId: PAD });
    const make = () => new SequenceClassifier(body, classificationHead('lightweight', { inputSize: 32, numClasses: CLASSES, hidden: 8, seed: 5 }), { padId: PAD });
    const sweep = () => dataFractionSweep({
      train, test, classes: ['a', 'b', 'c'], fractions: [0.1, 0.5, 1], seed: 9,
      methods: [classifierSweepMethod('Lightweight', make, { steps: 15, batchSize: 8, lr: 1e-2, seed: 1 })],
    });
    const tensorsBefore = tf.memory().numTensors;
    const rows = await sweep();
    expect(tf.memory().numTensors).toBe(tensorsBefore); // heads are freed after each run
    expect(rows.map((r) => [r.head, r.fraction, r.trainSize])).toEqual([['Lightweight', 0.1, 6], ['Lightweight', 0.5, 30], ['Lightweight', 1, 60]]);
    for (const r of rows) {
      for (const k of ['accuracy', 'precision', 'recall', 'f1'] as const) expect(r[k]).toBeGreaterThanOrEqual(0);
      expect(r.trainSeconds).toBeGreaterThan(0);
      expect(r.trainableParams).toBe(32 * 8 + 8 + 8 * 8 + 8 + 8 + 8 + 3 * 8 + 3);
    }
    expect((await sweep()).map((r) => r.f1)).toEqual(rows.map((r) => r.f1));
    model.dispose();
  });
});
