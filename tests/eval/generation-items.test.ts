import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generationItemFromRecord, readGenerationItems } from '../../kernel-lib/src/eval/generation-items';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-eval-items-'));
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('generationItemFromRecord', () => {
  it('reads our question/answer records with their id', () => {
    expect(generationItemFromRecord({ id: 'en-1', question: 'Ankle sprain?', answer: 'Protect it.', topic: 'x' })).toEqual({
      messages: [{ role: 'user', content: 'Ankle sprain?' }], reference: 'Protect it.', id: 'en-1',
    });
  });

  it('joins Alpaca instruction and input with a newline, keeps system and history', () => {
    expect(generationItemFromRecord({ instruction: 'Answer briefly.', input: 'Shin splints?', output: 'Rest.' })).toEqual({
      messages: [{ role: 'user', content: 'Answer briefly.\nShin splints?' }], reference: 'Rest.',
    });
    expect(generationItemFromRecord({ instruction: 'Q2', input: '', output: 'A2', system: 'Be careful.', history: [['Q1', 'A1']] })).toEqual({
      messages: [
        { role: 'system', content: 'Be careful.' }, { role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' },
      ],
      reference: 'A2',
    });
  });

  it('takes the turns before the last assistant turn of a chat as the prompt', () => {
    const item = generationItemFromRecord({
      messages: [
        { role: 'system', content: 'S' }, { role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'A2' }, { role: 'user', content: 'unanswered' },
      ],
    });
    expect(item.reference).toBe('A2');
    expect(item.messages.map((m) => m.content)).toEqual(['S', 'Q1', 'A1', 'Q2']);
  });

  it('reads ShareGPT conversations with a separate system field', () => {
    const item = generationItemFromRecord({ conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }], system: 'S' });
    expect(item).toEqual({ messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Q' }], reference: 'A' });
  });

  it('explains records it cannot answer', () => {
    expect(() => generationItemFromRecord({ text: 'Warm up.' })).toThrow(/no reference answer/);
    expect(() => generationItemFromRecord({ messages: [{ role: 'user', content: 'Q' }] })).toThrow(/no assistant turn/);
    expect(() => generationItemFromRecord({ messages: [{ role: 'assistant', content: 'A' }] })).toThrow(/does not follow a user turn/);
    expect(() => generationItemFromRecord({ messages: [{ role: 'bot', content: 'A' }] })).toThrow(/"messages"\[0\]\.role is "bot"/);
    expect(() => generationItemFromRecord({ question: 'Q', answer: 3 })).toThrow(/"question" and "answer" must be strings/);
    expect(() => generationItemFromRecord({ instruction: 'Q', output: 'A', history: [['only one']] })).toThrow(/"history"\[0\]/);
    expect(() => generationItemFromRecord([1, 2])).toThrow(/expected a JSON object/);
    expect(() => generationItemFromRecord({ foo: 1 })).toThrow(/unrecognised record/);
  });
});

describe('readGenerationItems', () => {
  it('reads JSONL (blank lines skipped, CRLF accepted) with file:line positions and a limit', () => {
    const file = write('mixed.jsonl', [
      JSON.stringify({ question: 'Q1', answer: 'A1' }), '',
      JSON.stringify({ instruction: 'Q2', output: 'A2' }) + '\r',
      JSON.stringify({ messages: [{ role: 'user', content: 'Q3' }, { role: 'assistant', content: 'A3' }] }),
    ].join('\n') + '\n');
    const items = readGenerationItems(file);
    expect(items.map((i) => [i.messages[0].content, i.reference, i.where])).toEqual([
      ['Q1', 'A1', `${file}:1`], ['Q2', 'A2', `${file}:3`], ['Q3', 'A3', `${file}:4`],
    ]);
    expect(readGenerationItems(file, { limit: 2 }).map((i) => i.reference)).toEqual(['A1', 'A2']);
  });

  it('reads a JSON array file as LLaMA-Factory data files are written', () => {
    const file = write('alpaca.json', JSON.stringify([{ instruction: 'Q1', input: '', output: 'A1' }, { instruction: 'Q2', output: 'A2' }], null, 2));
    const items = readGenerationItems(file);
    expect(items.map((i) => i.where)).toEqual([`${file}: record 1`, `${file}: record 2`]);
  });

  it('names the file and line of a bad record, and stops reading at the limit', () => {
    const file = write('bad.jsonl', '{"question":"Q","answer":"A"}\n{"text":"x"}\nnot json\n');
    expect(() => readGenerationItems(file)).toThrow(`${file}:2: a plain-text or pre-tokenized record`);
    expect(readGenerationItems(file, { limit: 1 })).toHaveLength(1);
    const broken = write('broken.jsonl', '{"question":"Q","answer":"A"}\n{"question":\n');
    expect(() => readGenerationItems(broken)).toThrow(`${broken}:2: not valid JSON`);
    expect(() => readGenerationItems(write('bad.json', '[{"question":"Q"}]'))).toThrow(/bad\.json: record 1: "question" and "answer"/);
    expect(() => readGenerationItems(write('empty.jsonl', '\n\n'))).toThrow(/empty\.jsonl: no records/);
    expect(() => readGenerationItems(path.join(dir, 'missing.jsonl'))).toThrow(/missing\.jsonl: cannot read \(no such file\)/);
  });
});
