import { parseQwen2Config, Qwen2Config } from '../../kernel-lib/src/model/config';

/** A very small Qwen2 config for fast tests (GQA 4 heads / 2 KV heads, head dim 8). */
export function tinyConfig(overrides: Record<string, unknown> = {}): Qwen2Config {
  return parseQwen2Config({
    model_type: 'qwen2', vocab_size: 97, hidden_size: 32, intermediate_size: 56,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
    rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 128,
    tie_word_embeddings: false, initializer_range: 0.2, ...overrides,
  }, 'tiny-config');
}
