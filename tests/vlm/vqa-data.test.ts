import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataLoadError } from '../../kernel-lib/src/data/issues';
import { readSlakeJson, readVqaRadJson } from '../../kernel-lib/src/vlm/vqa-data';
import { encodeGrayPng } from '../../kernel-lib/src/vlm/synthetic-med-vqa';

function folder(images: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vqa-data-'));
  for (const name of images) {
    fs.mkdirSync(path.dirname(path.join(dir, 'imgs', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'imgs', name), encodeGrayPng(new Uint8Array(4), 2, 2));
  }
  return dir;
}

const slakeRow = (over: Record<string, unknown> = {}) => ({
  img_id: 0, img_name: 'xmlab0/source.jpg', question: 'Which organ is abnormal?', answer: 'Lung', q_lang: 'en', location: 'Chest',
  modality: 'CT', answer_type: 'OPEN', base_type: 'vqa', content_type: 'Organ', qid: 11, ...over,
});

describe('Slake loader', () => {
  it('reads questions, keeps English by default, and points at imgs/<img_name>', () => {
    const dir = folder(['xmlab0/source.jpg', 'xmlab1/source.jpg']);
    const file = path.join(dir, 'train.json');
    fs.writeFileSync(file, JSON.stringify([
      slakeRow(),
      slakeRow({ qid: 12, q_lang: 'zh', question: '哪个器官异常？', answer: '肺' }),
      slakeRow({ qid: 13, img_id: 1, img_name: 'xmlab1/source.jpg', question: 'Is this a CT?', answer: 'Yes', answer_type: 'CLOSED', content_type: 'Modality' }),
    ], null, 1));
    const en = readSlakeJson(file, path.join(dir, 'imgs'));
    expect(en.map((r) => [r.qid, r.answer, r.answerType, r.category])).toEqual([['11', 'Lung', 'OPEN', 'Organ'], ['13', 'Yes', 'CLOSED', 'Modality']]);
    expect(en[1].imagePath).toBe(path.join(dir, 'imgs', 'xmlab1', 'source.jpg'));
    expect(en[1].source).toEqual({ file, line: 2 + 2 * 13 }); // "[" line, then 13 lines per pretty-printed record
    expect(readSlakeJson(file, path.join(dir, 'imgs'), { language: 'all' })).toHaveLength(3);
    expect(readSlakeJson(file, path.join(dir, 'imgs'), { language: 'zh' })[0].answer).toBe('肺');
  });

  it('reports every bad record with file, line and field, and missing images', () => {
    const dir = folder(['a.png']);
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, `[\n${[
      JSON.stringify(slakeRow({ img_name: 'a.png' })),
      JSON.stringify(slakeRow({ img_name: 'a.png', answer_type: 'MAYBE' })),
      JSON.stringify(slakeRow({ img_name: 'a.png', question: '' })),
      JSON.stringify(slakeRow({ img_name: 'missing.png' })),
      JSON.stringify([1, 2]),
    ].join(',\n')}\n]\n`);
    let error: DataLoadError | undefined;
    try { readSlakeJson(file, path.join(dir, 'imgs')); } catch (e) { error = e as DataLoadError; }
    expect(error).toBeInstanceOf(DataLoadError);
    expect(error!.issues.map((i) => [i.line, i.field])).toEqual([[3, 'answer_type'], [4, 'question'], [5, 'img_name'], [6, undefined]]);
    expect(error!.message).toContain(`${file}:3: answer_type: expected "OPEN" or "CLOSED", got "MAYBE"`);
    expect(error!.message).toContain(`${file}:5: img_name: image file not found: ${path.join(dir, 'imgs', 'missing.png')}`);
    expect(() => readSlakeJson(file, path.join(dir, 'imgs'), { checkImages: false })).toThrow(/3 problem\(s\)/);
  });

  it('names the file when it is not JSON, empty, or missing', () => {
    const dir = folder([]);
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '[{"qid": 1,\n');
    expect(() => readSlakeJson(broken, dir)).toThrow(/broken\.json:\d+: not valid JSON/);
    const empty = path.join(dir, 'empty.json');
    fs.writeFileSync(empty, '[]');
    expect(() => readSlakeJson(empty, dir)).toThrow(/empty\.json: no records/);
    expect(() => readSlakeJson(path.join(dir, 'none.json'), dir)).toThrow(/none\.json: cannot read the file/);
  });
});

describe('VQA-RAD loader', () => {
  it('reads the public JSON (numeric qids and answers allowed, answer_type case and spaces tolerated)', () => {
    const dir = folder(['synpic1.jpg', 'synpic2.jpg']);
    const file = path.join(dir, 'VQA_RAD Dataset Public.json');
    fs.writeFileSync(file, JSON.stringify([
      { qid: 1, image_name: 'synpic1.jpg', image_organ: 'HEAD', answer: 'Yes', answer_type: 'CLOSED', question_type: 'PRES', question: 'Is there a mass?', phrase_type: 'freeform' },
      { qid: '2', image_name: 'synpic2.jpg', image_organ: 'CHEST', answer: 2, answer_type: 'open ', question_type: 'COUNT', question: 'How many lesions?', phrase_type: 'para' },
    ]));
    const records = readVqaRadJson(file, path.join(dir, 'imgs'));
    expect(records.map((r) => [r.qid, r.answer, r.answerType, r.category, path.basename(r.imagePath)])).toEqual([
      ['1', 'Yes', 'CLOSED', 'PRES', 'synpic1.jpg'], ['2', '2', 'OPEN', 'COUNT', 'synpic2.jpg']]);
  });

  it('reports missing fields by name', () => {
    const dir = folder([]);
    const file = path.join(dir, 'rad.json');
    fs.writeFileSync(file, JSON.stringify([{ qid: 1, answer: 'Yes', answer_type: 'CLOSED', question: 'Is it normal?' }]));
    expect(() => readVqaRadJson(file, dir)).toThrow(/rad\.json:1: image_name: missing/);
  });
});
