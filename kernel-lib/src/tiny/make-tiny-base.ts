/**
 * `npm run make-tiny-base`: builds the embedded default model from text we
 * wrote. It trains a byte-level BPE tokenizer on the general health and sports
 * corpus (`datasets/general-health-sports/`) plus the sports-injury Q&A
 * training split, initialises a ~1M-parameter Qwen2 model, and pretrains it
 * as a causal LM on the corpus documents plus the training split's answers
 * (packed into full-length blocks), then writes the Hugging Face folder into
 * kernel-lib/assets/tiny-qwen2. Validation and test text is never used, and
 * the corpus is checked for long overlaps with it first. Deterministic for a
 * seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend/select-backend';
import { evaluateNll } from '../cli/eval-command';
import { readSftJsonl } from '../data/sft-examples';
import { readQaRecords } from '../data/jsonl';
import { assertNoIssues } from '../data/issues';
import { Qwen2ForCausalLM } from '../model/causal-lm';
import { parseQwen2Config } from '../model/config';
import { savePretrained } from '../model/model-folder';
import { adamW } from '../optim/adamw';
import { trainModel } from '../train/trainer';
import { qwen2TokenizerConfig, trainByteLevelBpe } from '../tokenizer/byte-level-bpe';
import { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { readGeneralCorpus } from './general-corpus';
import { packIntoBlocks } from './pretraining-blocks';
import { findLongOverlaps } from './text-overlap';
import { datasetSplitPath, TINY_BASE_CONFIG, tinyBasePath } from './tiny-base';

/** Options of {@link makeTinyBase}. */
export interface MakeTinyBaseOptions {
  outDir?: string;
  /** Corpus folder (default: the shipped `datasets/general-health-sports`). */
  corpusDir?: string;
  vocabSize?: number;
  steps?: number;
  seed?: number;
  log?: (line: string) => void;
}

const BATCH = 8;
const SEQ_LEN = 192;
const LR = 3e-3;

/**
 * Builds and saves the tiny base model; returns its folder.
 *
 * @example
 * // a quick, smaller variant in a scratch folder (the shipped one: `npm run make-tiny-base`)
 * await makeTinyBase({ outDir: '/tmp/tiny-base', steps: 20, vocabSize: 600 });
 */
export async function makeTinyBase(o: MakeTinyBaseOptions = {}): Promise<string> {
  const log = o.log ?? ((l: string) => console.log(l));
  const outDir = o.outDir ?? tinyBasePath();
  const seed = o.seed ?? 1234;
  await initBackend();
  const docs = assertNoIssues(readGeneralCorpus(o.corpusDir));
  const train = assertNoIssues(readQaRecords(datasetSplitPath('train'))).map((r) => r.record);
  const heldOut = (['validation', 'test'] as const).flatMap((s) => assertNoIssues(readQaRecords(datasetSplitPath(s))).map((r) => r.record));
  const docTexts = docs.map((d) => `${d.title}\n${d.text}`);
  const leaks = findLongOverlaps(docTexts, heldOut.map((r) => `${r.question}\n${r.answer}`));
  if (leaks.length > 0) {
    const shown = leaks.slice(0, 5).map((l) => `  ${docs[l.text].file}:${docs[l.text].line} shares "${l.ngram}" with ${heldOut[l.reference].id}`);
    throw new Error(`the general corpus overlaps validation/test records in ${leaks.length} place(s); reword these documents:\n${shown.join('\n')}`);
  }
  const answers = train.map((r) => r.answer);
  const chars = (xs: string[]) => xs.reduce((a, t) => a + t.length, 0);
  log(`corpus: ${docs.length} general documents (${chars(docTexts)} characters) + ${answers.length} training answers (${chars(answers)} characters); ` +
    `tokenizer also sees the ${train.length} training questions`);
  const json = trainByteLevelBpe([...docTexts, ...train.map((r) => `${r.question}\n${r.answer}`)], {
    vocabSize: o.vocabSize ?? 2048,
    onProgress: (d, t) => { if (d % 500 === 0) log(`  bpe merges ${d}/${t}`); },
  });
  const tokenizer = new Qwen2Tokenizer(json, qwen2TokenizerConfig(TINY_BASE_CONFIG.max_position_embeddings));
  const vocab = Math.ceil(tokenizer.vocabSize / 8) * 8;
  const config = parseQwen2Config({ ...TINY_BASE_CONFIG, vocab_size: vocab, eos_token_id: tokenizer.eosTokenId, bos_token_id: null }, 'tiny base');
  const model = Qwen2ForCausalLM.init(config, seed);
  const blocks = packIntoBlocks([...docTexts, ...answers].map((t) => tokenizer.encode(t)), { seqLen: SEQ_LEN, separatorId: tokenizer.padTokenId, seed });
  const tokens = blocks.reduce((a, b) => a + b.inputIds.length, 0);
  const steps = o.steps ?? 1200;
  const epochs = (steps * BATCH) / blocks.length;
  log(`pretraining ${(model.weightBytes() / 4).toLocaleString('en-US')} parameters for ${steps} steps on ${blocks.length} blocks of ${SEQ_LEN} tokens ` +
    `(${tokens.toLocaleString('en-US')} tokens, ${epochs.toFixed(1)} epochs)`);
  // Held-out answers (as chats, loss on the answer only), to report how well the base models unseen domain text; not used for training or selection.
  const validation = readSftJsonl(datasetSplitPath('validation'), tokenizer, { vocabSize: vocab });
  const validationNll = () => evaluateNll(model, validation, { batchSize: 16, seqLen: SEQ_LEN, padId: tokenizer.padTokenId }).nll;
  const nllBefore = validationNll();
  const opt = adamW({ weightDecay: 0.01 });
  const res = await trainModel(model, opt, blocks, {
    steps, batchSize: BATCH, seqLen: SEQ_LEN, lr: LR, scheduler: 'cosine', warmupSteps: 30, seed, maxGradNorm: 1, progress: false,
    onStep: (r) => {
      if (r.step % 100 === 0 || r.step === steps) {
        log(`  step ${r.step}/${steps} loss ${r.loss.toFixed(3)}${r.step % 300 === 0 || r.step === steps ? `, validation answers NLL ${validationNll().toFixed(3)}` : ''}`);
      }
    },
  }, tokenizer.padTokenId);
  const nllAfter = validationNll();
  const tail = res.log.slice(-50).map((r) => r.loss);
  const finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
  log(`loss ${res.log[0].loss.toFixed(3)} -> ${finalLoss.toFixed(3)} (mean of the last ${tail.length} steps) in ${(res.wallMs / 1000).toFixed(0)} s; ` +
    `validation answers NLL ${nllBefore.toFixed(3)} -> ${nllAfter.toFixed(3)}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  await savePretrained(model, outDir, { dtype: 'F32', tokenizer });
  fs.writeFileSync(path.join(outDir, 'README.md'), [
    '# tiny-qwen2: the embedded default base model',
    '',
    `A ${(model.weightBytes() / 4).toLocaleString('en-US')}-parameter Qwen2-architecture model (hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, ` +
      `${config.num_attention_heads} heads / ${config.num_key_value_heads} KV heads, vocabulary ${config.vocab_size}), made by \`npm run make-tiny-base\` ` +
      '(`kernel-lib/src/tiny/make-tiny-base.ts`) from text the project wrote:',
    '',
    `- tokenizer: byte-level BPE (${tokenizer.vocabSize} tokens with the special ones) trained on the general health and sports corpus ` +
      `(\`datasets/general-health-sports/\`, ${docs.length} documents in English and Chinese) and the sports-injury Q&A training split (${train.length} questions and answers);`,
    `- pretraining: causal LM on the corpus documents plus the training split's answers (${tokens.toLocaleString('en-US')} tokens packed into ` +
      `${blocks.length} blocks of ${SEQ_LEN}), ${steps} steps of AdamW (lr ${LR} cosine, 30 warm-up steps, batch ${BATCH} x ${SEQ_LEN} tokens, ` +
      `${epochs.toFixed(1)} epochs, seed ${seed}); training loss ${res.log[0].loss.toFixed(3)} -> ${finalLoss.toFixed(3)} (mean of the last ${tail.length} steps); ` +
      `mean NLL of the validation split's answers (as chats, never trained on) ${nllBefore.toFixed(3)} -> ${nllAfter.toFixed(3)}.`,
    '',
    'No validation or test text is trained on (the validation answers only measure the NLL above); the corpus is checked for long overlaps with those splits before training.',
    'It exists so that everything runs on a laptop CPU in minutes and fine-tuning starts from a model that already writes',
    'domain sentences; it is not a useful medical model, and nothing it writes is medical advice.',
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
