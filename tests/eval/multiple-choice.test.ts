import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoadError } from '../../kernel-lib/src/data/issues';
import { loadMultipleChoice, multipleChoiceFromRecord, readMultipleChoice } from '../../kernel-lib/src/eval/multiple-choice';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcq-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('multiple-choice loader', () => {
  it('reads CMB-Exam records (option object, multi-answer) and keeps their other string fields', () => {
    const file = write('cmb.json', JSON.stringify([
      { exam_type: '医师考试', exam_class: '执业医师', question_type: '单项选择题', question: '踝关节扭伤最常损伤的韧带是', option: { A: '距腓前韧带', B: '三角韧带', C: '跟腓韧带', D: '距腓后韧带' }, answer: 'A' },
      { question_type: '多项选择题', question: '以下哪些属于急性软组织损伤的早期处理？', option: { A: '保护', B: '热敷', C: '加压', D: '抬高' }, answer: 'ACD' },
    ], null, 1));
    const qs = loadMultipleChoice(file);
    expect(qs).toHaveLength(2);
    expect(qs[0]).toEqual({
      id: 'cmb.json#0', question: '踝关节扭伤最常损伤的韧带是',
      options: [{ label: 'A', text: '距腓前韧带' }, { label: 'B', text: '三角韧带' }, { label: 'C', text: '跟腓韧带' }, { label: 'D', text: '距腓后韧带' }],
      answers: ['A'], meta: { exam_type: '医师考试', exam_class: '执业医师', question_type: '单项选择题' },
    });
    expect(qs[1].answers).toEqual(['A', 'C', 'D']);
  });

  it('reads CMExam records (Options as "A text" lines) from JSON Lines, and option arrays', () => {
    const file = write('cmexam.jsonl', [
      JSON.stringify({ Question: 'Which test checks ACL laxity?', Options: 'A Lachman test\nB Thompson test\nC Phalen test\nD Finkelstein test', Answer: 'A', Explanation: 'x' }),
      JSON.stringify({ id: 7, question: 'Pick one', options: ['first', 'second', 'third'], answer: 'C' }),
    ].join('\n'));
    const qs = loadMultipleChoice(file);
    expect(qs[0].options.map((o) => o.text)).toEqual(['Lachman test', 'Thompson test', 'Phalen test', 'Finkelstein test']);
    expect(qs[0].meta).toEqual({ Explanation: 'x' });
    expect(qs[1]).toMatchObject({ id: '7', answers: ['C'], options: [{ label: 'A', text: 'first' }, { label: 'B', text: 'second' }, { label: 'C', text: 'third' }] });
  });

  it('names the file, the line, the record and the field of every bad record', () => {
    const file = write('bad.json', `[
  {"id": "ok-1", "question": "Q?", "options": {"A": "x", "B": "y"}, "answer": "A"},
  {"id": "no-answer", "question": "Q?", "options": {"A": "x", "B": "y"}},
  {"id": "wrong-label", "question": "Q?", "options": {"A": "x", "B": "y"}, "answer": "E"},
  {"question": "", "options": {"A": "x"}, "answer": "A"},
  {"id": "ok-1", "question": "again", "options": ["x", "y"], "answer": "B"},
  "not an object"
]`);
    const { records, issues } = readMultipleChoice(file);
    expect(records.map((r) => r.id)).toEqual(['ok-1']);
    expect(issues.map((i) => `${i.line} ${i.field ?? '-'} ${i.message}`)).toEqual([
      '3 answer record "no-answer": missing; expected the correct label(s)',
      '4 answer record "wrong-label": label E is not among the options (A, B)',
      '5 question record 3: expected a non-empty string',
      '5 options record 3: has 1 option(s); expected at least 2',
      '6 id record "ok-1": id repeats the record on line 2',
      '7 - record 5: expected a JSON object (a question record)',
    ]);
    expect(() => loadMultipleChoice(file)).toThrow(DataLoadError);
    expect(() => loadMultipleChoice(file)).toThrow(`${file}:3: answer: record "no-answer": missing`);
  });

  it('reports malformed JSON with the file and line', () => {
    const file = write('broken.json', '[\n {"question": "Q?", "options": {"A": "x", "B": "y"}, "answer": "A"},\n {"question": \n]');
    expect(() => loadMultipleChoice(file)).toThrow(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+: not valid JSON`));
    const jsonl = write('broken.jsonl', '{"question": "Q?", "options": {"A": "x", "B": "y"}, "answer": "A"}\n{"question": oops}\n');
    expect(() => loadMultipleChoice(jsonl)).toThrow(new RegExp(`${jsonl.replace(/[.]/g, '\\.')}:2: `));
    expect(() => loadMultipleChoice(path.join(tmp, 'missing.json'))).toThrow(/missing\.json: cannot read the file/);
    expect(() => loadMultipleChoice(write('empty.json', '[]'))).toThrow(/empty\.json: no questions in the file/);
  });

  it('rejects unreadable option strings and bad labels, naming them', () => {
    const r1 = multipleChoiceFromRecord({ Question: 'Q', Options: 'A one\n(2) two', Answer: 'A' }, 'x');
    expect(r1.ok === false && r1.problems[0]).toEqual({ field: 'Options', message: 'cannot read option line "(2) two"; expected "A text" or "A. text"' });
    const r2 = multipleChoiceFromRecord({ question: 'Q', option: { a: 'one', B: 'two' }, answer: 'B' }, 'x');
    expect(r2.ok === false && r2.problems[0].message).toBe('option label "a" is not a capital letter A-Z');
    const r3 = multipleChoiceFromRecord({ question: 'Q', option: { A: 'one', B: 'two' }, answer: '1' }, 'x');
    expect(r3.ok === false && r3.problems[0].message).toBe('"1" is not an option label (a capital letter A-Z)');
  });
});
