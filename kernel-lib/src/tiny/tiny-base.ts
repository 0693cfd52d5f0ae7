import * as path from 'node:path';

/** Where the embedded tiny Qwen2 base model ships inside the package. */
export function tinyBasePath(): string {
  return path.resolve(__dirname, '..', '..', 'assets', 'tiny-qwen2');
}

/** The shipped sports-injury Q&A splits (repo checkout layout). */
export function datasetSplitPath(split: 'train' | 'validation' | 'test'): string {
  return path.resolve(__dirname, '..', '..', '..', 'datasets', 'sports-injury-qa', 'splits', `${split}.jsonl`);
}

/** The tiny base's architecture: ~1M parameters, Qwen2 layout (GQA, biases, tied embeddings). */
export const TINY_BASE_CONFIG = {
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  hidden_size: 128,
  intermediate_size: 352,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  max_position_embeddings: 512,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  initializer_range: 0.02,
  attention_dropout: 0,
  use_sliding_window: false,
};
