import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pairLines, parsePredictionJsonl, readPredictionPairs, splitTextLines } from '../../kernel-lib/src/metrics/prediction-files';

const folder = mkdtempSync(join(tmpdir(), 'galore-metrics-files-'));
function write(name: string, content: string | Buffer): string {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

describe('splitTextLines', () => {
  it('handles final newlines, Windows line ends, a BOM and empty lines', () => {
    expect(splitTextLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitTextLines('a\nb')).toEqual(['a', 'b']);
    expect(splitTextLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(splitTextLines('\ufeffa\n\nb\n\n')).toEqual(['a', '', 'b', '']);
    expect(splitTextLines('')).toEqual([]);
  });
});

describe('pairLines', () => {
  it('pairs line i with line i', () => {
    const result = pairLines('p1\np2\n', 'r1\nr2\n', 'pred.txt', 'ref.txt');
    expect(result).toEqual({
      ok: true,
      pairs: [
        { prediction: 'p1', label: 'r1', line: 1 },
        { prediction: 'p2', label: 'r2', line: 2 },
      ],
    });
  });

  it('names both files and the first unpaired line on a count mismatch', () => {
    const result = pairLines('p1\np2\np3\n', 'r1\nr2\n', 'pred.txt', 'ref.txt');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain('pred.txt has 3 lines but ref.txt has 2');
      expect(result.error).toContain('pred.txt:3 has no counterpart in ref.txt');
    }
  });

  it('refuses empty input', () => {
    const result = pairLines('', '', 'pred.txt', 'ref.txt');
    expect(result.ok).toBe(false);
  });
});

describe('parsePredictionJsonl', () => {
  it("reads LLaMA-Factory's generated_predictions.jsonl, skipping blank lines", () => {
    const text = '{"prompt": "q1", "predict": "a1", "label": "b1"}\n\n{"prompt": "q2", "predict": "多行\\n回答", "label": ""}\n';
    expect(parsePredictionJsonl(text, 'gen.jsonl')).toEqual({
      ok: true,
      pairs: [
        { prediction: 'a1', label: 'b1', line: 1 },
        { prediction: '多行\n回答', label: '', line: 3 },
      ],
    });
  });

  it('reports a malformed line with file and line number', () => {
    const result = parsePredictionJsonl('{"predict": "a", "label": "b"}\n{"predict": "a", \n', 'gen.jsonl');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^gen\.jsonl:2: not valid JSON/);
  });

  it('reports a missing field, a wrong type and a non-object line', () => {
    const missing = parsePredictionJsonl('{"predict": "a"}\n', 'gen.jsonl');
    expect(missing.ok || missing.error).toBe('gen.jsonl:1: missing field "label"; expected an object with string fields "predict" and "label"');
    const wrongType = parsePredictionJsonl('{"predict": 3, "label": "b"}\n', 'gen.jsonl');
    expect(wrongType.ok || wrongType.error).toBe('gen.jsonl:1: field "predict" is a number, expected a string');
    const array = parsePredictionJsonl('["a", "b"]\n', 'gen.jsonl');
    expect(array.ok || array.error).toMatch(/^gen\.jsonl:1: found an array, expected a JSON object/);
  });
});

describe('readPredictionPairs', () => {
  it('reads two line files, or one JSONL file', async () => {
    const pred = write('pred.txt', '冰敷\r\n休息\r\n');
    const ref = write('ref.txt', '冰敷\n热敷\n');
    const lines = await readPredictionPairs(pred, ref);
    expect(lines.ok && lines.pairs.map((pair) => [pair.prediction, pair.label])).toEqual([
      ['冰敷', '冰敷'],
      ['休息', '热敷'],
    ]);
    const jsonl = write('gen.jsonl', '{"predict": "x", "label": "y"}\n');
    const records = await readPredictionPairs(jsonl);
    expect(records.ok && records.pairs).toEqual([{ prediction: 'x', label: 'y', line: 1 }]);
  });

  it('reports a missing file by name', async () => {
    const missing = join(folder, 'nope.jsonl');
    const result = await readPredictionPairs(missing);
    expect(result.ok || result.error).toBe(`${missing}: cannot read (no such file)`);
  });

  it('reports the line of invalid UTF-8', async () => {
    const bad = write('bad.txt', Buffer.concat([Buffer.from('ok\nfine\n'), Buffer.from([0xff, 0xfe, 0x0a])]));
    const ref = write('ref3.txt', 'a\nb\nc\n');
    const result = await readPredictionPairs(bad, ref);
    expect(result.ok || result.error).toBe(`${bad}:3: not valid UTF-8; save the file as UTF-8`);
  });
});
