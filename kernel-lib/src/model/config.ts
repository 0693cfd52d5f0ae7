import * as fs from 'node:fs';

/** The fields of a Hugging Face Qwen2 `config.json` that the model uses (snake_case as on disk). */
export interface Qwen2Config {
  model_type: string;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  hidden_act: string;
  initializer_range: number;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  torch_dtype?: string;
  /** Every other key of the original file, kept so saving writes it back unchanged. */
  [extra: string]: unknown;
}

const DEFAULTS: Partial<Qwen2Config> = {
  model_type: 'qwen2',
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  max_position_embeddings: 32768,
  tie_word_embeddings: false,
  hidden_act: 'silu',
  initializer_range: 0.02,
};

const REQUIRED_INTS = [
  'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads',
] as const;

/**
 * Validate a parsed config object and fill Qwen2's defaults (as transformers'
 * `Qwen2Config` does). `source` names the file in error messages.
 *
 * @example
 * const cfg = parseQwen2Config({ vocab_size: 2048, hidden_size: 256, intermediate_size: 688,
 *   num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2 });
 */
export function parseQwen2Config(raw: unknown, source = 'config'): Qwen2Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: expected a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  const cfg = { ...DEFAULTS, ...obj } as Record<string, unknown>;
  if (cfg.model_type !== 'qwen2') {
    throw new Error(`${source}: model_type is "${String(cfg.model_type)}", only "qwen2" is supported`);
  }
  for (const key of REQUIRED_INTS) {
    const v = cfg[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Error(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  if (cfg.num_key_value_heads === undefined || cfg.num_key_value_heads === null) {
    cfg.num_key_value_heads = cfg.num_attention_heads;
  }
  const kv = cfg.num_key_value_heads;
  if (typeof kv !== 'number' || !Number.isInteger(kv) || kv <= 0) {
    throw new Error(`${source}: "num_key_value_heads" must be a positive integer, got ${JSON.stringify(kv)}`);
  }
  const h = cfg.num_attention_heads as number;
  const d = cfg.hidden_size as number;
  if (d % h !== 0) throw new Error(`${source}: hidden_size ${d} is not divisible by num_attention_heads ${h}`);
  if (h % kv !== 0) throw new Error(`${source}: num_attention_heads ${h} is not divisible by num_key_value_heads ${kv}`);
  if ((d / h) % 2 !== 0) throw new Error(`${source}: head dimension ${d / h} must be even for rotary embeddings`);
  for (const key of ['rms_norm_eps', 'rope_theta'] as const) {
    const v = cfg[key];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`${source}: "${key}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  if (cfg.hidden_act !== 'silu') throw new Error(`${source}: hidden_act "${String(cfg.hidden_act)}" is not supported (only silu)`);
  if (cfg.rope_scaling !== undefined && cfg.rope_scaling !== null) {
    throw new Error(`${source}: rope_scaling is not supported (got ${JSON.stringify(cfg.rope_scaling)})`);
  }
  if (cfg.use_sliding_window === true) {
    throw new Error(`${source}: use_sliding_window=true is not supported`);
  }
  if (typeof cfg.tie_word_embeddings !== 'boolean') {
    throw new Error(`${source}: "tie_word_embeddings" must be true or false`);
  }
  return cfg as Qwen2Config;
}

/**
 * Read and validate `DIR/config.json` (or a path to a config file).
 *
 * @example
 * const cfg = readQwen2Config('models/Qwen2-0.5B-Instruct');
 */
export function readQwen2Config(dirOrFile: string): Qwen2Config {
  const file = fs.existsSync(dirOrFile) && fs.statSync(dirOrFile).isDirectory()
    ? `${dirOrFile}/config.json` : dirOrFile;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read model config (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseQwen2Config(raw, file);
}

/** Head dimension = hidden_size / num_attention_heads. */
export function headDim(cfg: Qwen2Config): number {
  return cfg.hidden_size / cfg.num_attention_heads;
}

/**
 * The name and shape of every weight a Qwen2 model has, in Hugging Face naming.
 *
 * @example
 * weightShapes(cfg).get('model.layers.0.self_attn.q_proj.weight'); // [hidden, hidden]
 */
export function weightShapes(cfg: Qwen2Config): Map<string, number[]> {
  const d = cfg.hidden_size;
  const hd = headDim(cfg);
  const kvd = cfg.num_key_value_heads * hd;
  const f = cfg.intermediate_size;
  const out = new Map<string, number[]>();
  out.set('model.embed_tokens.weight', [cfg.vocab_size, d]);
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    out.set(`${p}.input_layernorm.weight`, [d]);
    out.set(`${p}.self_attn.q_proj.weight`, [d, d]);
    out.set(`${p}.self_attn.q_proj.bias`, [d]);
    out.set(`${p}.self_attn.k_proj.weight`, [kvd, d]);
    out.set(`${p}.self_attn.k_proj.bias`, [kvd]);
    out.set(`${p}.self_attn.v_proj.weight`, [kvd, d]);
    out.set(`${p}.self_attn.v_proj.bias`, [kvd]);
    out.set(`${p}.self_attn.o_proj.weight`, [d, d]);
    out.set(`${p}.post_attention_layernorm.weight`, [d]);
    out.set(`${p}.mlp.gate_proj.weight`, [f, d]);
    out.set(`${p}.mlp.up_proj.weight`, [f, d]);
    out.set(`${p}.mlp.down_proj.weight`, [d, f]);
  }
  out.set('model.norm.weight', [d]);
  if (!cfg.tie_word_embeddings) out.set('lm_head.weight', [cfg.vocab_size, d]);
  return out;
}

/** Total parameter count (tied embeddings counted once, as `model.num_parameters()`). */
export function parameterCount(cfg: Qwen2Config): number {
  let n = 0;
  for (const s of weightShapes(cfg).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
