/**
 * The shape of a small vision-language model: a ViT-style patch encoder
 * (`vision`), a projector into the decoder's embedding space (`projector`),
 * and a Qwen2 decoder (given separately, with its own config). Weight names
 * follow LLaVA's layout: `vision_tower.*`, `multi_modal_projector.*`, and the
 * decoder's own Hugging Face names (`model.layers.N.*`).
 */
import { seededRandom } from '../util/random';
import type { WeightData } from '../model/causal-lm';

/** The patch encoder: images [C, imageSize, imageSize] cut into (imageSize / patchSize)^2 patches. */
export interface VisionConfig {
  imageSize: number;
  patchSize: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  normEps: number;
}

/**
 * The projector from vision width to the decoder's hidden size: one linear
 * layer, or linear-GELU-linear (LLaVA-1.5). With `mergeSize` m > 1, each
 * m x m block of neighbouring patch features is concatenated first (Qwen2-VL's
 * patch merger), so the decoder reads m^2 times fewer image tokens.
 */
export interface ProjectorConfig {
  type: 'linear' | 'mlp';
  /** Width of the MLP's hidden layer (default: the decoder's hidden size). */
  hiddenSize?: number;
  /** Side of the blocks of patches merged into one image token (default 1: no merging). */
  mergeSize?: number;
}

/**
 * Where the image tokens go in a prompt: before all the text (LLaVA's
 * `<image>\n{question}`), or after the prompt, right before the answer.
 */
export type ImagePlacement = 'before-text' | 'after-prompt';

/** What `VisionLanguageModel` builds around a decoder. */
export interface VlmConfig {
  vision: VisionConfig;
  projector: ProjectorConfig;
  /** Default 'before-text'. */
  imagePlacement?: ImagePlacement;
  /** Std of the normal init of transformer weights (default 0.02); see `initVlmWeights` for the exceptions. */
  initializerRange?: number;
}

/**
 * A small default: 32 x 32 grayscale images, 8 x 8 patches (16 patch
 * tokens in the encoder), width 48, one encoder layer with 2 heads, an MLP
 * projector merging 2 x 2 patches (4 image tokens for the decoder).
 *
 * @example
 * const cfg = defaultVlmConfig({ numLayers: 2 }, { mergeSize: 1 }); // 16 image tokens
 */
export function defaultVlmConfig(vision: Partial<VisionConfig> = {}, projector: Partial<ProjectorConfig> = {}): VlmConfig {
  return {
    vision: { imageSize: 32, patchSize: 8, channels: 1, hiddenSize: 48, numLayers: 1, numHeads: 2, intermediateSize: 96, normEps: 1e-6, ...vision },
    projector: { type: 'mlp', mergeSize: 2, ...projector },
  };
}

/**
 * Number of patches per image (the encoder's sequence length).
 *
 * @example
 * patchCount(defaultVlmConfig().vision); // 16
 */
export function patchCount(v: VisionConfig): number {
  return (v.imageSize / v.patchSize) ** 2;
}

/**
 * Number of image tokens per image the decoder reads (patches / mergeSize^2).
 *
 * @example
 * imageTokenCount(defaultVlmConfig()); // 4
 */
export function imageTokenCount(cfg: VlmConfig): number {
  const m = cfg.projector.mergeSize ?? 1;
  return patchCount(cfg.vision) / (m * m);
}

/**
 * Throws a clear error when a vision config cannot work.
 *
 * @example
 * validateVisionConfig({ ...defaultVlmConfig().vision, patchSize: 5 }); // throws: imageSize 32 is not a multiple of patchSize 5
 */
export function validateVisionConfig(v: VisionConfig): void {
  const problems: string[] = [];
  for (const k of ['imageSize', 'patchSize', 'channels', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize'] as const) {
    if (!(Number.isInteger(v[k]) && v[k] > 0)) problems.push(`${k} must be a positive integer, got ${v[k]}`);
  }
  if (v.imageSize % v.patchSize !== 0) problems.push(`imageSize ${v.imageSize} is not a multiple of patchSize ${v.patchSize}`);
  if (v.hiddenSize % v.numHeads !== 0) problems.push(`hiddenSize ${v.hiddenSize} is not a multiple of numHeads ${v.numHeads}`);
  if (v.channels !== 1 && v.channels !== 3) problems.push(`channels must be 1 or 3, got ${v.channels}`);
  if (!(v.normEps > 0)) problems.push(`normEps must be > 0, got ${v.normEps}`);
  if (problems.length) throw new Error(`vision config: ${problems.join('; ')}`);
}

/**
 * Throws a clear error when a projector config does not fit the vision config.
 *
 * @example
 * validateProjectorConfig(defaultVlmConfig({ patchSize: 16 }, { mergeSize: 4 })); // throws: mergeSize 4 does not divide the 2 x 2 patch grid
 */
export function validateProjectorConfig(cfg: VlmConfig): void {
  const m = cfg.projector.mergeSize ?? 1;
  const grid = cfg.vision.imageSize / cfg.vision.patchSize;
  if (!(Number.isInteger(m) && m >= 1)) throw new Error(`projector config: mergeSize must be a positive integer, got ${m}`);
  if (grid % m !== 0) throw new Error(`projector config: mergeSize ${m} does not divide the ${grid} x ${grid} patch grid`);
  if (cfg.projector.type !== 'linear' && cfg.projector.type !== 'mlp') {
    throw new Error(`projector config: type must be "linear" or "mlp", got "${String((cfg.projector as { type: unknown }).type)}"`);
  }
}

/**
 * The linear modules of one vision encoder layer.
 *
 * @example
 * VISION_LINEAR_MODULES.map((m) => `vision_tower.layers.0.${m}`);
 */
export const VISION_LINEAR_MODULES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.out_proj', 'mlp.fc1', 'mlp.fc2'] as const;

/**
 * Names and shapes of the vision tower's and projector's weights, in a fixed order.
 *
 * @example
 * vlmWeightShapes(defaultVlmConfig(), 128).get('multi_modal_projector.linear_2.weight'); // [128, 128]
 */
export function vlmWeightShapes(cfg: VlmConfig, decoderHidden: number): Map<string, number[]> {
  const v = cfg.vision;
  validateVisionConfig(v);
  validateProjectorConfig(cfg);
  const merged = v.hiddenSize * (cfg.projector.mergeSize ?? 1) ** 2;
  const h = v.hiddenSize;
  const s = new Map<string, number[]>();
  const patchDim = v.channels * v.patchSize * v.patchSize;
  s.set('vision_tower.patch_embedding.weight', [h, patchDim]);
  s.set('vision_tower.patch_embedding.bias', [h]);
  s.set('vision_tower.position_embedding', [patchCount(v), h]);
  for (let i = 0; i < v.numLayers; i++) {
    const p = `vision_tower.layers.${i}`;
    s.set(`${p}.norm1.weight`, [h]);
    for (const m of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      s.set(`${p}.self_attn.${m}.weight`, [h, h]);
      s.set(`${p}.self_attn.${m}.bias`, [h]);
    }
    s.set(`${p}.norm2.weight`, [h]);
    s.set(`${p}.mlp.fc1.weight`, [v.intermediateSize, h]);
    s.set(`${p}.mlp.fc1.bias`, [v.intermediateSize]);
    s.set(`${p}.mlp.fc2.weight`, [h, v.intermediateSize]);
    s.set(`${p}.mlp.fc2.bias`, [h]);
  }
  s.set('vision_tower.post_norm.weight', [h]);
  if (cfg.projector.type === 'linear') {
    s.set('multi_modal_projector.linear_1.weight', [decoderHidden, merged]);
    s.set('multi_modal_projector.linear_1.bias', [decoderHidden]);
  } else {
    const ph = cfg.projector.hiddenSize ?? decoderHidden;
    s.set('multi_modal_projector.linear_1.weight', [ph, merged]);
    s.set('multi_modal_projector.linear_1.bias', [ph]);
    s.set('multi_modal_projector.linear_2.weight', [decoderHidden, ph]);
    s.set('multi_modal_projector.linear_2.bias', [decoderHidden]);
  }
  return s;
}

/**
 * Seeded initial weights of the vision tower and projector: unit norms, zero
 * biases, normal(0, 1/sqrt(fan-in)) for the patch embedding and the
 * projector's first layer, normal(0, 0.2) for the position embedding (small
 * enough that patch content dominates the features, large enough that the
 * encoder knows where each patch sits: with 0.02, as ViT initialises it,
 * the side of a lesion was learned several times slower), and
 * normal(0, initializerRange) for everything else.
 *
 * @example
 * const weights = initVlmWeights(defaultVlmConfig(), 128, 7);
 */
export function initVlmWeights(cfg: VlmConfig, decoderHidden: number, seed: number): Map<string, WeightData> {
  const rng = seededRandom(seed);
  const std = cfg.initializerRange ?? 0.02;
  const out = new Map<string, WeightData>();
  for (const [name, shape] of vlmWeightShapes(cfg, decoderHidden)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith('norm1.weight') || name.endsWith('norm2.weight') || name.endsWith('post_norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) {
      const fanIn = shape[shape.length - 1];
      const sd = name === 'vision_tower.patch_embedding.weight' || name === 'multi_modal_projector.linear_1.weight'
        ? 1 / Math.sqrt(fanIn)
        : name === 'vision_tower.position_embedding' ? 0.2 : std;
      for (let i = 0; i < size; i++) data[i] = rng.normal() * sd;
    }
    out.set(name, { shape, data });
  }
  return out;
}
