import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictionLine, readCompletedPredictions } from '../../kernel-lib/src/eval/prediction-rows';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-prediction-rows-'));

describe('predictionLine', () => {
  it('matches Python json.dumps(..., ensure_ascii=False), as LLaMA-Factory writes each line', () => {
    // printed by: python3 -c 'import json; print(json.dumps({"prompt": "<|im_start|>user\nQ \"1\"<|im_end|>\n",
    //   "predict": "冰敷\t\x01é/", "label": "R\\\n"}, ensure_ascii=False))'
    const python = '{"prompt": "<|im_start|>user\\nQ \\"1\\"<|im_end|>\\n", "predict": "冰敷\\t\\u0001é/", "label": "R\\\\\\n"}';
    expect(predictionLine({ prompt: '<|im_start|>user\nQ "1"<|im_end|>\n', predict: '冰敷\t\u0001é/', label: 'R\\\n' })).toBe(python);
  });
});

describe('readCompletedPredictions', () => {
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const line = (i: number) => predictionLine({ prompt: `p${i}`, predict: `答${i}`, label: `l${i}\n` });

  it('keeps the newline-terminated lines and measures the cut-off tail', () => {
    const tail = '{"prompt": "p3", "pre';
    const file = write('partial.jsonl', `${line(1)}\n\n${line(2)}\n${tail}`);
    const found = readCompletedPredictions(file);
    expect(found.rows).toEqual([{ prompt: 'p1', predict: '答1', label: 'l1\n' }, { prompt: 'p2', predict: '答2', label: 'l2\n' }]);
    expect(found.lines).toEqual([1, 3]);
    expect(found.partialBytes).toBe(tail.length);
    expect(found.completeBytes).toBe(fs.statSync(file).size - tail.length);
    // a complete JSON object without its newline is still a cut-off line: the write did not finish
    expect(readCompletedPredictions(write('no-newline.jsonl', line(1))).rows).toEqual([]);
    expect(readCompletedPredictions(path.join(dir, 'absent.jsonl'))).toEqual({ rows: [], lines: [], completeBytes: 0, partialBytes: 0 });
  });

  it('names the file and line of a malformed complete line', () => {
    const notJson = write('bad.jsonl', `${line(1)}\n{oops\n`);
    expect(() => readCompletedPredictions(notJson)).toThrow(`${notJson}:2: not valid JSON`);
    const noLabel = write('nolabel.jsonl', '{"prompt": "p", "predict": "x"}\n');
    expect(() => readCompletedPredictions(noLabel)).toThrow(`${noLabel}:1: field "label" is missing, expected a string`);
    const array = write('array.jsonl', '[1]\n');
    expect(() => readCompletedPredictions(array)).toThrow(`${array}:1: found an array, expected an object`);
  });
});
