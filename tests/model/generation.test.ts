import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { generate, processLogits } from '../../kernel-lib/src/model/generation';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

describe('generation', () => {
  it('greedy decoding with the KV cache equals repeated full forward passes', () => {
    const model = Qwen2ForCausalLM.init(tinyConfig(), 13);
    const prompt = [3, 1, 4, 1, 5];
    const streamed: number[] = [];
    const { tokens, stoppedBy } = generate(model, prompt, { maxNewTokens: 6, onToken: (id) => streamed.push(id) });
    const ids = [...prompt];
    for (let i = 0; i < 6; i++) {
      const logits = model.forward(Int32Array.from(ids), 1, ids.length).arraySync() as number[][];
      const row = logits[ids.length - 1];
      ids.push(row.indexOf(Math.max(...row)));
    }
    expect(tokens).toEqual(ids.slice(prompt.length));
    expect(streamed).toEqual(tokens);
    expect(stoppedBy).toBe('length');
    model.dispose();
  });

  it('stops on a stop token and samples reproducibly for a seed', () => {
    const model = Qwen2ForCausalLM.init(tinyConfig(), 14);
    const first = generate(model, [7, 8, 9], { maxNewTokens: 1 }).tokens[0];
    const stopped = generate(model, [7, 8, 9], { maxNewTokens: 5, stopTokenIds: [first] });
    expect(stopped.tokens).toEqual([]);
    expect(stopped.stoppedBy).toBe('stop-token');
    const a = generate(model, [7, 8, 9], { maxNewTokens: 8, doSample: true, temperature: 1.5, seed: 3 }).tokens;
    const b = generate(model, [7, 8, 9], { maxNewTokens: 8, doSample: true, temperature: 1.5, seed: 3 }).tokens;
    expect(a).toEqual(b);
    model.dispose();
  });

  it('applies repetition penalty, temperature, top-k and top-p as transformers does', () => {
    const logits = Float32Array.from([2, -1, 0.5, 1]);
    expect(Array.from(processLogits(logits, [0, 1], { repetitionPenalty: 2 }))).toEqual([1, -2, 0.5, 1]);
    const k = processLogits(logits, [], { doSample: true, topK: 2 });
    expect(Array.from(k)).toEqual([2, -Infinity, -Infinity, 1]);
    const t = processLogits(logits, [], { doSample: true, temperature: 0.5 });
    expect(Array.from(t)).toEqual([4, -2, 1, 2]);
    // softmax([2,-1,.5,1]) ~ [.574,.029,.128,.211]: top_p 0.7 keeps 2 and 1 (0.574 < 0.7 <= 0.785)
    const p = processLogits(logits, [], { doSample: true, topP: 0.7 });
    expect(Array.from(p).map((x) => x > -Infinity)).toEqual([true, false, false, true]);
  });
});
