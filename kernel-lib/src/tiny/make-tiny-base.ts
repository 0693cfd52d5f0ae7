/**
 * `npm run make-tiny-base`: builds the embedded default model from text we
 * wrote: trains a byte-level BPE tokenizer on the sports-injury Q&A training
 * split, initialises a ~1M-parameter Qwen2 model and pretrains it on that text
 * (questions and answers as plain text), then writes the Hugging Face folder
 * into kernel-lib/assets/tiny-qwen2. Deterministic for a seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend/select-backend';
import { readQaRecords } from '../data/jsonl';
import { assertNoIssues } from '../data/issues';
import { Qwen2ForCausalLM } from '../model/causal-lm';
import { parseQwen2Config } from '../model/config';
import { savePretrained } from '../model/model-folder';
import { adamW } from '../optim/adamw';
import { trainModel } from '../train/trainer';
import { qwen2TokenizerConfig, trainByteLevelBpe } from '../tokenizer/byte-level-bpe';
import { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { datasetSplitPath, TINY_BASE_CONFIG, tinyBasePath } from './tiny-base';

export interface MakeTinyBaseOptions {
  outDir?: string;
  vocabSize?: number;
  steps?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** Build and save the tiny base model; returns its folder. */
export async function makeTinyBase(o: MakeTinyBaseOptions = {}): Promise<string> {
  const log = o.log ?? ((l: string) => console.log(l));
  const outDir = o.outDir ?? tinyBasePath();
  const seed = o.seed ?? 1234;
  await initBackend();
  const records = assertNoIssues(readQaRecords(datasetSplitPath('train'))).map((r) => r.record);
  const texts = records.map((r) => `${r.question}\n${r.answer}`);
  log(`corpus: ${texts.length} Q&A pairs, ${texts.reduce((a, t) => a + t.length, 0)} characters`);
  const json = trainByteLevelBpe(texts, {
    vocabSize: o.vocabSize ?? 2048,
    onProgress: (d, t) => { if (d % 500 === 0) log(`  bpe merges ${d}/${t}`); },
  });
  const tokenizer = new Qwen2Tokenizer(json, qwen2TokenizerConfig(TINY_BASE_CONFIG.max_position_embeddings));
  const vocab = Math.ceil(tokenizer.vocabSize / 8) * 8;
  const config = parseQwen2Config({ ...TINY_BASE_CONFIG, vocab_size: vocab, eos_token_id: tokenizer.eosTokenId, bos_token_id: null }, 'tiny base');
  const model = Qwen2ForCausalLM.init(config, seed);
  const examples = texts.map((t) => {
    const ids = [...tokenizer.encode(t), tokenizer.padTokenId];
    return { inputIds: ids, labels: ids.slice() };
  });
  const steps = o.steps ?? 1200;
  log(`pretraining ${(model.weightBytes() / 4).toLocaleString('en-US')} parameters for ${steps} steps`);
  const opt = adamW({ weightDecay: 0.01 });
  const res = await trainModel(model, opt, examples, {
    steps, batchSize: 8, seqLen: 192, lr: 3e-3, scheduler: 'cosine', warmupSteps: 30, seed, maxGradNorm: 1,
  }, tokenizer.padTokenId);
  log(`loss ${res.log[0].loss.toFixed(3)} -> ${res.log[res.log.length - 1].loss.toFixed(3)} in ${(res.wallMs / 1000).toFixed(0)} s`);
  fs.rmSync(outDir, { recursive: true, force: true });
  await savePretrained(model, outDir, { dtype: 'F32', tokenizer });
  fs.writeFileSync(path.join(outDir, 'README.md'), [
    '# tiny-qwen2: the embedded default base model',
    '',
    `A ${(model.weightBytes() / 4).toLocaleString('en-US')}-parameter Qwen2-architecture model (hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, ${config.num_attention_heads} heads / ${config.num_key_value_heads} KV heads, vocabulary ${config.vocab_size}).`,
    'Made by `npm run make-tiny-base` from the project\'s own sports-injury Q&A training split: a byte-level BPE tokenizer trained on that text, then',
    `${steps} steps of causal-LM pretraining (AdamW, lr 3e-3 cosine, batch 8 x 192 tokens, seed ${seed}); final training loss ${res.log[res.log.length - 1].loss.toFixed(3)}.`,
    'It exists so that everything runs on a laptop CPU in minutes; it is not a useful medical model.',
    '',
  ].join('\n'));
  opt.dispose();
  model.dispose();
  log(`saved -> ${outDir}`);
  return outDir;
}

if (require.main === module) {
  const steps = process.argv.includes('--steps') ? Number(process.argv[process.argv.indexOf('--steps') + 1]) : undefined;
  makeTinyBase({ steps }).catch((e) => { console.error(e); process.exitCode = 1; });
}
