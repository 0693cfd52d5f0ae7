import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { assertNoIssues, DataLoadError, formatIssue } from '../../kernel-lib/src/data/issues';
import { formatJsonl, loadQaJsonl, parseJsonl, readQaRecords, writeJsonl, writeQaRecords } from '../../kernel-lib/src/data/jsonl';
import { validateQaRecord } from '../../kernel-lib/src/data/qa-schema';
import { record, tempDir, write } from './helpers/fixtures';

describe('parseJsonl', () => {
  it('parses one value per line, skips blank lines, handles CRLF and a BOM', () => {
    const text = '\ufeff{"a":1}\r\n\r\n{"a":2}\n';
    const { records, issues } = parseJsonl(text, 'x.jsonl');
    expect(issues).toEqual([]);
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { a: 2 } },
    ]);
  });

  it('reports a bad line with its number and keeps the good ones', () => {
    const { records, issues } = parseJsonl('{"a":1}\n{"a":\n{"a":3}\n', 'x.jsonl');
    expect(records.map((r) => r.line)).toEqual([1, 3]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'x.jsonl', line: 2 });
    expect(issues[0].message).toMatch(/not valid JSON/);
  });

  it('calls a cut-off last line a torn line', () => {
    const { issues } = parseJsonl('{"a":1}\n{"a":2', 'x.jsonl');
    expect(issues[0].line).toBe(2);
    expect(issues[0].message).toMatch(/torn last line/);
  });
});

describe('Q&A records', () => {
  it('accepts a valid record and names every broken field', () => {
    expect(validateQaRecord(record({ id: 'en-ankle-sprain-001' }))).toEqual([]);
    const problems = validateQaRecord({ ...record({ id: 'en-ankle-sprain-1' }), topic: 'ankle', phase: 'later', extra: 1 });
    const fields = problems.map((p) => p.field).sort();
    expect(fields).toEqual(['extra', 'phase', 'topic']);
    // With a valid topic, the id pattern is checked too.
    expect(validateQaRecord(record({ id: 'en-ankle-sprain-1' })).map((p) => p.field)).toEqual(['id']);
    expect(validateQaRecord(record({ id: 'zh-ankle-sprain-001' })).map((p) => p.field)).toEqual(['id']);
  });

  it('readQaRecords reports file, line and field, and duplicate ids across files', () => {
    const dir = tempDir();
    const a = write(dir, 'a.jsonl', formatJsonl([record({ id: 'en-ankle-sprain-001' }), { ...record({ id: 'en-ankle-sprain-002' }), body_part: 'toe' }]));
    const b = write(dir, 'b.jsonl', formatJsonl([record({ id: 'en-ankle-sprain-003' }), record({ id: 'en-ankle-sprain-001' })]));
    const { records, issues } = readQaRecords([a, b]);
    expect(records.map((r) => r.record.id)).toEqual(['en-ankle-sprain-001', 'en-ankle-sprain-003']);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ file: a, line: 2, field: 'body_part' });
    expect(issues[1]).toMatchObject({ file: b, line: 2, field: 'id' });
    expect(issues[1].message).toContain(`${a}:1`);
    expect(formatIssue(issues[0])).toMatch(new RegExp(`^${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: body_part: `));
  });

  it('loadQaJsonl gives examples with file and line provenance', () => {
    const dir = tempDir();
    const file = write(dir, 'qa.jsonl', formatJsonl([record({ id: 'en-ankle-sprain-001' }), record({ id: 'en-ankle-sprain-002' })]));
    const examples = assertNoIssues(loadQaJsonl(file));
    expect(examples[1].provenance.origin).toMatchObject({ dataset: 'sports-injury-qa', file, line: 2, originalId: 'en-ankle-sprain-002' });
    expect(examples[1].provenance.steps).toEqual([]);
  });

  it('assertNoIssues throws a DataLoadError listing the problems', () => {
    const dir = tempDir();
    const file = write(dir, 'bad.jsonl', '{"id": 1}\n');
    expect(() => assertNoIssues(loadQaJsonl(file))).toThrow(DataLoadError);
    try {
      assertNoIssues(loadQaJsonl(file));
    } catch (err) {
      expect((err as DataLoadError).issues.length).toBeGreaterThan(3);
      expect((err as Error).message).toContain(`${file}:1: id:`);
    }
  });

  it('a missing file is an issue, not an exception', () => {
    const { records, issues } = readQaRecords('/nonexistent/qa.jsonl');
    expect(records).toEqual([]);
    expect(issues[0].message).toMatch(/cannot read/);
  });

  it('writes canonical key order atomically and reads it back', () => {
    const dir = tempDir();
    const file = path.join(dir, 'out', 'qa.jsonl');
    const { source, id, ...rest } = record({ id: 'en-ankle-sprain-001' });
    const shuffled = { source, ...rest, id }; // keys out of canonical order
    expect(Object.keys(shuffled)[0]).toBe('source');
    writeQaRecords(file, [shuffled]);
    const text = fs.readFileSync(file, 'utf8');
    expect(Object.keys(JSON.parse(text))).toEqual(['id', 'question', 'answer', 'topic', 'body_part', 'phase', 'language', 'source']);
    writeJsonl(file, [{ z: 1 }]);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"z":1}\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['qa.jsonl']); // no temp files left
  });
});
