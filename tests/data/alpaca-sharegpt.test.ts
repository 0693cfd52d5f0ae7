import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import {
  datasetInfoEntry,
  exportForLlamaFactory,
  loadAlpacaJson,
  loadShareGptJson,
  updateDatasetInfo,
} from '../../kernel-lib/src/data/alpaca-sharegpt';
import { example, tempDir, write } from './helpers/fixtures';

const examples = [
  example({ id: 'a', question: 'How should I ice a sprained ankle?', answer: 'Briefly, for pain relief, with a cloth between ice and skin.' }),
  example({ id: 'b', question: '膝盖扭伤后可以热敷吗？', answer: '受伤头两天不建议热敷，可以短时间冷敷止痛。', language: 'zh' }),
];

describe('LLaMA-Factory export', () => {
  it('writes Alpaca and ShareGPT files that load back to the same examples', () => {
    const dir = tempDir('llamafactory-');
    exportForLlamaFactory(dir, 'sports_alpaca', examples, { formatting: 'alpaca' });
    exportForLlamaFactory(dir, 'sports_sharegpt', examples, { formatting: 'sharegpt', system: 'You are careful.' });
    const alpaca = JSON.parse(fs.readFileSync(path.join(dir, 'sports_alpaca.json'), 'utf8'));
    expect(alpaca[0]).toEqual({ instruction: examples[0].question, input: '', output: examples[0].answer });
    const share = JSON.parse(fs.readFileSync(path.join(dir, 'sports_sharegpt.json'), 'utf8'));
    expect(share[1]).toEqual({
      conversations: [
        { from: 'human', value: examples[1].question },
        { from: 'gpt', value: examples[1].answer },
      ],
      system: 'You are careful.',
    });
    const a = loadAlpacaJson(path.join(dir, 'sports_alpaca.json'));
    const s = loadShareGptJson(path.join(dir, 'sports_sharegpt.json'));
    expect(a.issues).toEqual([]);
    expect(s.issues).toEqual([]);
    expect(a.records.map((r) => [r.question, r.answer, r.language])).toEqual(examples.map((e) => [e.question, e.answer, e.language]));
    expect(s.records.map((r) => [r.question, r.answer, r.system])).toEqual(examples.map((e) => [e.question, e.answer, 'You are careful.']));
    // Pretty-printed arrays: row 2 starts on its own line, and provenance says so.
    const secondLine = fs.readFileSync(path.join(dir, 'sports_alpaca.json'), 'utf8').split('\n').findIndex((l, i) => i > 1 && l.trim() === '{') + 1;
    expect(a.records[1].provenance.origin.line).toBe(secondLine);

    const info = JSON.parse(fs.readFileSync(path.join(dir, 'dataset_info.json'), 'utf8'));
    expect(info.sports_alpaca).toEqual({
      file_name: 'sports_alpaca.json',
      formatting: 'alpaca',
      columns: { prompt: 'instruction', query: 'input', response: 'output' },
    });
    expect(info.sports_sharegpt).toEqual({
      file_name: 'sports_sharegpt.json',
      formatting: 'sharegpt',
      columns: { messages: 'conversations', system: 'system' },
      tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt', system_tag: 'system' },
    });
  });

  it('updateDatasetInfo keeps existing entries and rejects a broken file with its name', () => {
    const dir = tempDir('llamafactory-');
    write(dir, 'dataset_info.json', JSON.stringify({ identity: { file_name: 'identity.json' } }));
    const next = updateDatasetInfo(dir, datasetInfoEntry('x', { fileName: 'x.json', formatting: 'alpaca' }));
    expect(Object.keys(next)).toEqual(['identity', 'x']);
    write(dir, 'dataset_info.json', '{ broken');
    expect(() => updateDatasetInfo(dir, {})).toThrow(/dataset_info.json: not valid JSON/);
  });
});

describe('loading malformed Alpaca / ShareGPT', () => {
  it('reports each bad Alpaca row with its line and field', () => {
    const dir = tempDir();
    const file = write(
      dir,
      'a.json',
      [
        '[',
        '  {"instruction": "Q1", "input": "", "output": "A1"},',
        '  {"instruction": "", "output": "A2"},',
        '  {"instruction": "Q3", "output": 3},',
        '  "not an object",',
        '  {"instruction": "Q5", "input": "ctx", "output": "A5", "history": [["q", "a"]]},',
        '  {"instruction": "Q6", "input": "more detail", "output": "A6"}',
        ']',
      ].join('\n'),
    );
    const { records, issues } = loadAlpacaJson(file);
    expect(records.map((r) => r.question)).toEqual(['Q1', 'Q6\nmore detail']);
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [3, 'instruction'],
      [4, 'output'],
      [5, '(row)'],
      [6, 'history'],
    ]);
    expect(issues.every((i) => i.file === file)).toBe(true);
  });

  it('reports the line of a JSON syntax error', () => {
    const dir = tempDir();
    const file = write(dir, 'a.json', '[\n  {"instruction": "Q1", "output": "A1"},\n  {"instruction": "Q2" "output": "A2"}\n]');
    const { records, issues } = loadAlpacaJson(file);
    expect(records).toEqual([]);
    expect(issues[0].line).toBe(3);
  });

  it('reads JSON Lines too', () => {
    const dir = tempDir();
    const file = write(dir, 'a.jsonl', '{"instruction": "Q1", "output": "A1"}\n{"instruction": "Q2"}\n');
    const { records, issues } = loadAlpacaJson(file);
    expect(records).toHaveLength(1);
    expect(issues).toMatchObject([{ line: 2, field: 'output' }]);
  });

  it('reports ShareGPT rows with bad roles, wrong turn order or several exchanges', () => {
    const dir = tempDir();
    const rows = [
      { conversations: [{ from: 'human', value: 'Q1' }, { from: 'gpt', value: 'A1' }] },
      { conversations: [{ from: 'gpt', value: 'A' }, { from: 'human', value: 'Q' }] },
      { conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }, { from: 'human', value: 'Q2' }, { from: 'gpt', value: 'A2' }] },
      { conversations: [{ role: 'human', value: 'Q' }] },
      { conversations: 'text' },
      { conversations: [{ from: 'system', value: 'Be brief.' }, { from: 'human', value: 'Q5' }, { from: 'gpt', value: 'A5' }] },
    ];
    const file = write(dir, 's.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { records, issues } = loadShareGptJson(file);
    expect(records.map((r) => [r.question, r.system])).toEqual([['Q1', undefined], ['Q5', 'Be brief.']]);
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [2, 'conversations[0].from'],
      [3, 'conversations'],
      [4, 'conversations[0]'],
      [5, 'conversations'],
    ]);
  });

  it('loads OpenAI-style messages with custom tags', () => {
    const dir = tempDir();
    const file = write(dir, 'm.json', JSON.stringify([{ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }] }]));
    const { records, issues } = loadShareGptJson(file, {
      messagesKey: 'messages',
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' },
    });
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({ question: 'Q', answer: 'A' });
  });
});
