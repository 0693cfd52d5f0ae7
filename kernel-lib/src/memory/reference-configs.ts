/**
 * Model shapes the memory ledger is quoted for, so the tables can be
 * reproduced without downloading weights.
 */
import { Qwen2Config, parseQwen2Config } from '../model/config';

/**
 * Qwen2-0.5B-Instruct's config.json (the fields our model reads): hidden 896,
 * intermediate 4864, 24 layers, 14 heads, 2 KV heads, vocab 151936, tied
 * embeddings. 494,032,768 parameters.
 *
 * @example
 * memoryLedger(QWEN2_0_5B_INSTRUCT, 'galore', { rank: 128 });
 */
export const QWEN2_0_5B_INSTRUCT: Qwen2Config = parseQwen2Config({
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2',
  vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, hidden_act: 'silu', initializer_range: 0.02,
  max_position_embeddings: 32768, max_window_layers: 21, rms_norm_eps: 1e-6, rope_theta: 1000000,
  sliding_window: 32768, use_sliding_window: false, tie_word_embeddings: true, torch_dtype: 'bfloat16',
  bos_token_id: 151643, eos_token_id: 151645,
}, 'Qwen2-0.5B-Instruct');

/**
 * LLaMA-7B's shape (hidden 4096, intermediate 11008, 32 layers, 32 heads,
 * vocab 32000, untied lm_head) written as a Qwen2 config, to check the ledger
 * against the GaLore paper's 7B figures. It differs from LLaMA only by
 * Qwen2's q/k/v biases (3 x 4096 per layer, 0.006% of the parameters).
 *
 * @example
 * memoryLedger(LLAMA_7B_SHAPE, 'galore', { rank: 1024 });
 */
export const LLAMA_7B_SHAPE: Qwen2Config = parseQwen2Config({
  model_type: 'qwen2', vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008,
  num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32,
  max_position_embeddings: 2048, tie_word_embeddings: false,
}, 'LLaMA-7B shape');

/** Named configs the `memory` command accepts with `--preset`. */
export const REFERENCE_CONFIGS: Record<string, Qwen2Config> = {
  'qwen2-0.5b-instruct': QWEN2_0_5B_INSTRUCT,
  'llama-7b-shape': LLAMA_7B_SHAPE,
};
