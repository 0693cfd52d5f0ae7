import * as tf from '@tensorflow/tfjs';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { VisionLanguageModel } from '../../kernel-lib/src/vlm/vlm-model';
import { defaultVlmConfig, VlmConfig } from '../../kernel-lib/src/vlm/vlm-config';
import type { VqaExample } from '../../kernel-lib/src/vlm/vqa-examples';
import { tinyConfig } from '../helpers/tiny-config';

/**
 * A tiny VLM: 8 x 8 grayscale images, 4 x 4 patches (4 patches), vision width 8
 * with 2 heads, MLP projector, on a random 2-layer Qwen2 of width 32 (vocab 97).
 */
export function tinyVlm(seed = 1, overrides: Partial<VlmConfig> = {}, merge = 1): VisionLanguageModel {
  const lm = Qwen2ForCausalLM.init(tinyConfig(), seed);
  const cfg = defaultVlmConfig({ imageSize: 8, patchSize: 4, hiddenSize: 8, numHeads: 2, intermediateSize: 16 }, { mergeSize: merge, hiddenSize: 24 });
  return new VisionLanguageModel({ ...cfg, initializerRange: 0.2, ...overrides }, lm, { seed: seed + 100 });
}

/** Random pixel values in [-1, 1] for `batch` images of the model's size. */
export function randomPixels(vlm: VisionLanguageModel, batch: number, seed = 3): Float32Array {
  const v = vlm.config.vision;
  const rng = seededRandom(seed);
  return Float32Array.from({ length: batch * v.channels * v.imageSize * v.imageSize }, () => 2 * rng.next() - 1);
}

/** Random token ids in [1, 97). */
export function randomIds(n: number, seed = 5): Int32Array {
  const rng = seededRandom(seed);
  return Int32Array.from({ length: n }, () => 1 + rng.int(96));
}

/** Values of a tensor computed in a tidy scope. */
export function values(f: () => tf.Tensor): Float32Array {
  return tf.tidy(() => Float32Array.from(f().dataSync() as Float32Array));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Hand-made VQA examples for the tiny VLM: the "answer" token is 10 + (the
 * sign of the image's left-half mean minus its right-half mean), so it can
 * be learned from the pixels; prompts are fixed token ids.
 */
export function toyExamples(vlm: VisionLanguageModel, count: number, seed = 11): VqaExample[] {
  const rng = seededRandom(seed);
  const s = vlm.config.vision.imageSize;
  return Array.from({ length: count }, (_, i) => {
    const left = rng.next() < 0.5;
    const pixels = new Float32Array(s * s).map((_, p) => ((p % s < s / 2) === left ? 0.8 : -0.8) + 0.1 * (rng.next() - 0.5));
    const promptIds = Int32Array.from(i % 2 === 0 ? [5, 6, 7] : [5, 8, 9, 7]);
    return {
      record: { qid: String(i), imageName: `${i}.png`, imagePath: `${i}.png`, question: 'side?', answer: left ? 'left' : 'right', answerType: 'CLOSED', category: 'Position', source: { file: 'toy', line: i + 1 } },
      pixels, promptIds, answerIds: Int32Array.from([left ? 10 : 11, 2]),
    };
  });
}
