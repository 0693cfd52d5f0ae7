import * as fs from 'node:fs';
import { initBackend } from '../backend/select-backend';
import { Qwen2ForCausalLM } from '../model/causal-lm';
import { parameterCount, readQwen2Config } from '../model/config';
import { savePretrained } from '../model/model-folder';
import { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { numberFlag, nonNegativeInt, parseCommandArgs, requiredFlag } from './args';

/** `galore-lab init --config config.json --out DIR [--seed S] [--tokenizer DIR] [--dtype f32|bf16]`: a randomly initialised model folder. */
export async function initCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, {
    config: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, tokenizer: { type: 'string' }, dtype: { type: 'string' },
  }, 'init');
  const config = readQwen2Config(requiredFlag(v, 'config', 'init'));
  const outDir = requiredFlag(v, 'out', 'init');
  const seed = numberFlag(v, 'seed', 0, nonNegativeInt, 'a non-negative integer');
  const tokenizer = typeof v.tokenizer === 'string' ? Qwen2Tokenizer.fromDir(v.tokenizer) : null;
  if (tokenizer && tokenizer.vocabSize > config.vocab_size) {
    throw new Error(`${v.tokenizer}: tokenizer has ${tokenizer.vocabSize} ids, more than the config's vocab_size ${config.vocab_size}`);
  }
  await initBackend();
  const model = Qwen2ForCausalLM.init(config, seed);
  fs.mkdirSync(outDir, { recursive: true });
  await savePretrained(model, outDir, { dtype: v.dtype === 'bf16' ? 'BF16' : 'F32', tokenizer });
  out(`initialised ${parameterCount(config).toLocaleString('en-US')} parameters (seed ${seed}) -> ${outDir}`);
  model.dispose();
  return 0;
}
