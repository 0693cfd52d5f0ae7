import { generate } from '../model/generation';
import { loadPretrained } from '../model/model-folder';
import { loadAdapter } from '../peft/adapter-io';
import { applyChatTemplate } from '../tokenizer/chat-template';
import { UsageError, nonNegativeInt, numberFlag, parseCommandArgs, positiveInt, requiredFlag } from './args';

export const SAMPLING_FLAGS = {
  'max-new-tokens': { type: 'string' }, 'do-sample': { type: 'boolean' }, temperature: { type: 'string' },
  'top-p': { type: 'string' }, 'top-k': { type: 'string' }, 'repetition-penalty': { type: 'string' }, seed: { type: 'string' },
} as const;

/** Decoding options from the sampling flags. */
export function samplingFromFlags(v: Record<string, unknown>) {
  return {
    maxNewTokens: numberFlag(v, 'max-new-tokens', 128, positiveInt, 'a positive integer'),
    doSample: Boolean(v['do-sample']),
    temperature: numberFlag(v, 'temperature', 1, (x) => x > 0, 'a positive number'),
    topP: numberFlag(v, 'top-p', 1, (x) => x > 0 && x <= 1, 'in (0, 1]'),
    topK: numberFlag(v, 'top-k', 0, nonNegativeInt, 'a non-negative integer'),
    repetitionPenalty: numberFlag(v, 'repetition-penalty', 1, (x) => x > 0, 'a positive number'),
    seed: numberFlag(v, 'seed', 0, nonNegativeInt, 'a non-negative integer'),
  };
}

/** `galore-lab generate --model DIR --prompt TEXT [--chat] [--system TEXT] [sampling flags]`: streams the answer. */
export async function generateCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, { model: { type: 'string' }, adapter: { type: 'string' }, prompt: { type: 'string' }, chat: { type: 'boolean' }, system: { type: 'string' }, ...SAMPLING_FLAGS }, 'generate');
  const prompt = requiredFlag(v, 'prompt', 'generate');
  const sampling = samplingFromFlags(v);
  const { model, tokenizer } = await loadPretrained(requiredFlag(v, 'model', 'generate'));
  try {
    if (typeof v.adapter === 'string') (await loadAdapter(model, v.adapter)).eval();
    if (!tokenizer) throw new UsageError(`${v.model}: the model folder has no tokenizer.json`);
    const text = v.chat
      ? applyChatTemplate([...(v.system ? [{ role: 'system' as const, content: v.system as string }] : []), { role: 'user', content: prompt }], { addGenerationPrompt: true })
      : prompt;
    const ids: number[] = [];
    let printed = '';
    const result = generate(model, tokenizer.encode(text), {
      ...sampling,
      stopTokenIds: [tokenizer.eosTokenId, tokenizer.imEndId, tokenizer.padTokenId],
      onToken: (id) => {
        ids.push(id);
        const full = tokenizer.decode(ids, { skipSpecialTokens: true });
        if (!full.endsWith('\uFFFD')) { process.stdout.write(full.slice(printed.length)); printed = full; }
      },
    });
    const full = tokenizer.decode(result.tokens, { skipSpecialTokens: true });
    if (full.length > printed.length) process.stdout.write(full.slice(printed.length));
    process.stdout.write('\n');
    out(`[${result.tokens.length} tokens, ${result.tokensPerSecond.toFixed(1)} tokens/s, stopped by ${result.stoppedBy}]`);
  } finally {
    model.dispose();
  }
  return 0;
}
