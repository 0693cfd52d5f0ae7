import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { loadCmedqa2, readCmedqa2Candidates } from '../../kernel-lib/src/data/cmedqa2';
import { parseCsv } from '../../kernel-lib/src/data/csv';
import { REPO, tempDir, write } from './helpers/fixtures';

const SAMPLE = path.join(REPO, 'datasets', 'cmedqa2-sample');

function copySample(): string {
  const dir = tempDir('cmedqa2-');
  for (const f of fs.readdirSync(SAMPLE)) fs.copyFileSync(path.join(SAMPLE, f), path.join(dir, f));
  return dir;
}

describe('the shipped cMedQA2-format sample', () => {
  it('has the real headers and layout', () => {
    const header = (f: string): string => fs.readFileSync(path.join(SAMPLE, f), 'utf8').split('\n')[0];
    expect(header('question.csv')).toBe('question_id,content');
    expect(header('answer.csv')).toBe('ans_id,question_id,content');
    expect(header('train_candidates.txt')).toBe('question_id,pos_ans_id,neg_ans_id');
    expect(header('dev_candidates.txt')).toBe('question_id,ans_id,cnt,label');
    expect(header('test_candidates.txt')).toBe('question_id,ans_id,cnt,label');
    // dev/test: cnt counts from 0 per question, positives first.
    const dev = parseCsv(fs.readFileSync(path.join(SAMPLE, 'dev_candidates.txt'), 'utf8'), 'dev').rows.slice(1).map((r) => r.fields);
    const firstQ = dev.filter((r) => r[0] === dev[0][0]);
    expect(firstQ.map((r) => r[2])).toEqual(firstQ.map((_, i) => String(i)));
    const labels = firstQ.map((r) => r[3]).join('');
    expect(labels).toMatch(/^1+0+$/);
  });

  it('loads every question with its correct answers and no issues', () => {
    const { records, issues, stats } = loadCmedqa2(SAMPLE);
    expect(issues).toEqual([]);
    expect(stats.questions).toBe(36);
    expect(stats.answers).toBe(38);
    // Every answer in the sample is a correct answer of its own question.
    expect(records).toHaveLength(38);
    expect(new Set(records.map((r) => r.id)).size).toBe(38);
    for (const r of records) {
      expect(r.language).toBe('zh');
      expect(r.provenance.origin.dataset).toBe('cMedQA2');
      const join = r.provenance.steps[0];
      expect(join.operator).toBe('cmedqa2.join');
      // The recorded lines point at the rows the texts came from.
      const q = parseCsv(fs.readFileSync(join.params!.questionFile as string, 'utf8'), 'q').rows.find((row) => row.line === join.params!.questionLine);
      expect(q?.fields[1]).toBe(r.question);
    }
  });

  it('keeps the quoted fields intact', () => {
    const { records } = loadCmedqa2(SAMPLE);
    expect(records.find((r) => r.id.endsWith('-100234'))?.answer).toContain('140/90, 或者');
    expect(records.find((r) => r.id.endsWith('-100410'))?.answer).toContain('"上火"');
  });

  it('train positives repeated across negatives are returned once', () => {
    const { records } = readCmedqa2Candidates(path.join(SAMPLE, 'train_candidates.txt'), 'train');
    const rows = parseCsv(fs.readFileSync(path.join(SAMPLE, 'train_candidates.txt'), 'utf8'), 't').rows.slice(1);
    const distinctPositives = new Set(rows.map((r) => `${r.fields[0]}/${r.fields[1]}`));
    expect(records.filter((c) => c.label === 1)).toHaveLength(distinctPositives.size);
    expect(rows.length).toBeGreaterThan(distinctPositives.size);
  });

  it('filters by keywords, records the matched terms, and respects splits / first answer / limit', () => {
    const sports = loadCmedqa2(SAMPLE, { keywords: ['崴', '拉伤', '韧带'] });
    expect(sports.records.length).toBeGreaterThan(0);
    expect(sports.stats.filteredOut).toBe(38 - sports.records.length);
    for (const r of sports.records) {
      const matched = r.provenance.steps.find((s) => s.operator === 'keyword-filter')?.params?.matched as string[];
      expect(matched.length).toBeGreaterThan(0);
      expect(matched.some((m) => r.question.includes(m))).toBe(true);
    }
    const dev = loadCmedqa2(SAMPLE, { splits: ['dev'] });
    expect(new Set(dev.records.map((r) => r.provenance.steps[0].params!.split))).toEqual(new Set(['dev']));
    const first = loadCmedqa2(SAMPLE, { splits: ['dev'], answersPerQuestion: 'first' });
    expect(first.records.length).toBe(new Set(dev.records.map((r) => r.id.split('-')[1])).size);
    expect(first.records.length).toBeLessThan(dev.records.length);
    expect(loadCmedqa2(SAMPLE, { limit: 5 }).records).toHaveLength(5);
  });

  it('reads a GB18030-encoded copy the same way', () => {
    const dir = copySample();
    for (const f of ['question.csv', 'answer.csv']) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      // Encode to GB18030 by hand through a reverse table of the characters used.
      const table = new Map<string, number[]>();
      const decoder = new TextDecoder('gb18030');
      for (let hi = 0x81; hi <= 0xfe; hi++) {
        for (let lo = 0x40; lo <= 0xfe; lo++) {
          if (lo === 0x7f) continue;
          const ch = decoder.decode(Uint8Array.from([hi, lo]));
          if (ch.length === 1 && !table.has(ch)) table.set(ch, [hi, lo]);
        }
      }
      const bytes: number[] = [];
      for (const ch of text) {
        if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
        else if (table.has(ch)) bytes.push(...(table.get(ch) as number[]));
        else throw new Error(`no two-byte GB18030 code for ${ch}`);
      }
      fs.writeFileSync(path.join(dir, f), Buffer.from(bytes));
    }
    const a = loadCmedqa2(SAMPLE);
    const b = loadCmedqa2(dir);
    expect(b.issues).toEqual([]);
    expect(b.stats.encoding).toEqual({ 'question.csv': 'gb18030', 'answer.csv': 'gb18030' });
    expect(b.records.map((r) => [r.question, r.answer])).toEqual(a.records.map((r) => [r.question, r.answer]));
  });
});

describe('malformed cMedQA2 input', () => {
  it('reports a wrong header, bad rows, bad labels and dangling ids with file and line', () => {
    const dir = tempDir('cmedqa2-bad-');
    const q = write(dir, 'question.csv', 'question_id,content\n1,脚踝扭伤怎么办？\n2,膝盖疼怎么办？\n2,重复的问题\n3\n');
    write(dir, 'answer.csv', 'ans_id,question_id,content\n10,1,先休息抬高。\n11,2,减少跑跳。\n12,9,别的问题的答案。\n');
    const dev = write(dir, 'dev_candidates.txt', 'question_id,ans_id,cnt,label\n1,10,0,1\n1,11,1,yes\n2,99,0,1\n2,12,1,1\n7,10,2,1\n');
    const { records, issues } = loadCmedqa2(dir);
    expect(records.map((r) => r.id)).toEqual(['cmedqa2-1-10']);
    const where = issues.map((i) => `${path.basename(i.file)}:${i.line}`);
    expect(where).toEqual(
      expect.arrayContaining(['question.csv:4', 'question.csv:5', 'dev_candidates.txt:3', 'dev_candidates.txt:4', 'dev_candidates.txt:5', 'dev_candidates.txt:6']),
    );
    expect(issues.find((i) => i.file === q && i.line === 4)?.message).toMatch(/duplicate id 2/);
    expect(issues.find((i) => i.file === q && i.line === 5)?.message).toMatch(/has 1 fields; expected 2/);
    expect(issues.find((i) => i.file === dev && i.line === 3)).toMatchObject({ field: 'label' });
    expect(issues.find((i) => i.file === dev && i.line === 4)?.message).toMatch(/99 is not in answer.csv/);
    expect(issues.find((i) => i.file === dev && i.line === 5)?.message).toMatch(/answer.csv line 4 says it answers question 9/);
    expect(issues.find((i) => i.file === dev && i.line === 6)?.message).toMatch(/7 is not in question.csv/);
  });

  it('names the expected header when a file has the wrong one', () => {
    const dir = tempDir('cmedqa2-hdr-');
    write(dir, 'question.csv', 'id,text\n1,x\n');
    write(dir, 'answer.csv', 'ans_id,question_id,content\n');
    const { issues } = loadCmedqa2(dir);
    expect(issues[0]).toMatchObject({ line: 1 });
    expect(issues[0].message).toContain('expected "question_id,content"');
  });

  it('says what is missing when the folder has no cMedQA2 files', () => {
    const { records, issues } = loadCmedqa2(tempDir('cmedqa2-empty-'));
    expect(records).toEqual([]);
    expect(issues[0].message).toMatch(/expected question.csv and answer.csv/);
  });
});
