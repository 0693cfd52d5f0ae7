import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend/select-backend';
import { loadModelWeights, saveModelWeights } from '../io/model-weights';
import type { WritableDtype } from '../io/safetensors-dtypes';
import { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { writeFileAtomic } from '../util/atomic-write';
import { Qwen2ForCausalLM } from './causal-lm';
import { Qwen2Config, readQwen2Config, weightShapes } from './config';

/** A model and (when the folder has one) its tokenizer. */
export interface PretrainedModel {
  model: Qwen2ForCausalLM;
  tokenizer: Qwen2Tokenizer | null;
  dir: string;
}

/**
 * Load a Hugging Face Qwen2 model folder (`config.json`, `model.safetensors`
 * or sharded `model.safetensors.index.json`, and `tokenizer.json` when present),
 * e.g. a locally downloaded Qwen2-0.5B-Instruct. Initialises the backend first.
 *
 * @example
 * const { model, tokenizer } = await loadPretrained('models/Qwen2-0.5B-Instruct');
 */
export async function loadPretrained(dir: string): Promise<PretrainedModel> {
  await initBackend();
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a model folder`);
  const config = readQwen2Config(dir);
  const names = [...weightShapes(config).keys()];
  const weights = await loadModelWeights(dir, { names });
  const model = new Qwen2ForCausalLM(config, weights, dir);
  weights.clear();
  const tokenizer = fs.existsSync(path.join(dir, 'tokenizer.json')) ? Qwen2Tokenizer.fromDir(dir) : null;
  if (tokenizer && tokenizer.vocabSize > config.vocab_size) {
    model.dispose();
    throw new Error(`${dir}: tokenizer has ${tokenizer.vocabSize} ids but config.json vocab_size is ${config.vocab_size}`);
  }
  return { model, tokenizer, dir };
}

export interface SavePretrainedOptions {
  /** Stored dtype of the weights: F32 (default) or BF16. */
  dtype?: WritableDtype;
  tokenizer?: Qwen2Tokenizer | null;
  maxShardBytes?: number;
}

/**
 * Write a model as a Hugging Face folder (config.json, safetensors with HF
 * tensor names, generation_config.json, tokenizer files) that transformers'
 * `AutoModelForCausalLM.from_pretrained` loads.
 *
 * @example
 * await savePretrained(model, 'out/my-model', { dtype: 'BF16', tokenizer });
 */
export async function savePretrained(model: Qwen2ForCausalLM, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const config: Qwen2Config = { ...model.config, torch_dtype: options.dtype === 'BF16' ? 'bfloat16' : 'float32' };
  if (!config.architectures) config.architectures = ['Qwen2ForCausalLM'];
  const tensors = [...model.weightData()].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
  await saveModelWeights(dir, tensors, { dtype: options.dtype ?? 'F32', maxShardBytes: options.maxShardBytes });
  await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const tok = options.tokenizer;
  const generation: Record<string, unknown> = { do_sample: false };
  if (tok) {
    generation.eos_token_id = [tok.eosTokenId, tok.padTokenId];
    generation.pad_token_id = tok.padTokenId;
    tok.save(dir);
  }
  await writeFileAtomic(path.join(dir, 'generation_config.json'), JSON.stringify(generation, null, 2) + '\n');
}
