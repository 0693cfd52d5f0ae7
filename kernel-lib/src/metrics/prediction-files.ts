/**
 * Reading predictions and references for scoring, in the two layouts
 * LLaMA-Factory users have:
 *
 * - two plain-text files, one text per line (line i of the prediction file
 *   is scored against line i of the reference file);
 * - one JSONL file such as LLaMA-Factory's `generated_predictions.jsonl`,
 *   one object per line with string fields `predict` and `label` (other
 *   fields such as `prompt` are ignored; blank lines are skipped).
 *
 * Problems come back as values naming the file, the line and what was
 * expected, never as exceptions.
 */
import { readFile } from 'node:fs/promises';

/** One prediction and its reference, with where it came from. */
export interface PredictionPair {
  prediction: string;
  label: string;
  /** 1-based line number in the prediction file. */
  line: number;
}

/** Either the pairs, or a message saying what is wrong and where. */
export type PredictionPairsResult = { ok: true; pairs: PredictionPair[] } | { ok: false; error: string };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decode UTF-8 strictly, reporting the first line that is not valid UTF-8. */
function decodeUtf8(bytes: Uint8Array, file: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: UTF8.decode(bytes) };
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          UTF8.decode(bytes.subarray(start, i));
        } catch {
          return { ok: false, error: `${file}:${line}: not valid UTF-8; save the file as UTF-8` };
        }
        line += 1;
        start = i + 1;
      }
    }
    return { ok: false, error: `${file}: not valid UTF-8; save the file as UTF-8` };
  }
}

/**
 * Split file text into lines: a byte-order mark is dropped, a trailing "\r"
 * on each line is dropped (Windows line ends), and a final newline does not
 * start an extra empty line.
 *
 * @example
 * splitTextLines('a\r\nb\n'); // ['a', 'b']
 * splitTextLines('a\n\nb');   // ['a', '', 'b']
 */
export function splitTextLines(text: string): string[] {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  if (body.length === 0) return [];
  const lines = body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (body.endsWith('\n')) lines.pop();
  return lines;
}

async function readTextFile(file: string): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a file' : String((error as Error).message);
    return { ok: false, error: `${file}: cannot read (${reason})` };
  }
  return decodeUtf8(bytes, file);
}

/**
 * Pair line i of `predictionText` with line i of `referenceText`. The names
 * are used in error messages only.
 *
 * @example
 * const { pairLines } = require('galore-lab');
 * pairLines('a\nb\n', 'A\nB\n', 'pred.txt', 'ref.txt');
 * // { ok: true, pairs: [{ prediction: 'a', label: 'A', line: 1 }, { prediction: 'b', label: 'B', line: 2 }] }
 */
export function pairLines(predictionText: string, referenceText: string, predictionFile: string, referenceFile: string): PredictionPairsResult {
  const predictions = splitTextLines(predictionText);
  const references = splitTextLines(referenceText);
  if (predictions.length !== references.length) {
    const shorter = predictions.length < references.length ? predictionFile : referenceFile;
    const longer = shorter === predictionFile ? referenceFile : predictionFile;
    const firstUnpaired = Math.min(predictions.length, references.length) + 1;
    return {
      ok: false,
      error:
        `${predictionFile} has ${predictions.length} lines but ${referenceFile} has ${references.length}: ` +
        `${longer}:${firstUnpaired} has no counterpart in ${shorter}; expected one prediction per reference line`,
    };
  }
  if (predictions.length === 0) return { ok: false, error: `${predictionFile}: no lines to score; expected one prediction per line` };
  return { ok: true, pairs: predictions.map((prediction, i) => ({ prediction, label: references[i], line: i + 1 })) };
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Parse JSONL text with `predict` and `label` string fields per line, as in
 * LLaMA-Factory's `generated_predictions.jsonl`.
 *
 * @example
 * const { parsePredictionJsonl } = require('galore-lab');
 * parsePredictionJsonl('{"prompt": "q", "predict": "a", "label": "A"}\n', 'generated_predictions.jsonl');
 * // { ok: true, pairs: [{ prediction: 'a', label: 'A', line: 1 }] }
 */
export function parsePredictionJsonl(text: string, file: string): PredictionPairsResult {
  const pairs: PredictionPair[] = [];
  const lines = splitTextLines(text);
  for (let i = 0; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    if (lines[i].trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(lines[i]);
    } catch (error) {
      return { ok: false, error: `${where}: not valid JSON (${(error as Error).message}); expected one JSON object per line` };
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return { ok: false, error: `${where}: found ${describeJsonType(record)}, expected a JSON object with string fields "predict" and "label"` };
    }
    const fields = record as Record<string, unknown>;
    for (const field of ['predict', 'label']) {
      if (!(field in fields)) {
        return { ok: false, error: `${where}: missing field "${field}"; expected an object with string fields "predict" and "label"` };
      }
      if (typeof fields[field] !== 'string') {
        return { ok: false, error: `${where}: field "${field}" is ${describeJsonType(fields[field])}, expected a string` };
      }
    }
    pairs.push({ prediction: fields.predict as string, label: fields.label as string, line: i + 1 });
  }
  if (pairs.length === 0) return { ok: false, error: `${file}: no records to score; expected JSON objects with "predict" and "label", one per line` };
  return { ok: true, pairs };
}

/**
 * Read the pairs to score from disk: with `referenceFile`, two line-per-text
 * files; without it, one JSONL file with `predict`/`label` fields.
 *
 * @example
 * const { readPredictionPairs } = require('galore-lab');
 * const result = await readPredictionPairs('saves/qwen2-galore/generated_predictions.jsonl');
 * if (!result.ok) console.log(result.error); else console.log(result.pairs.length, 'samples');
 */
export async function readPredictionPairs(predictionFile: string, referenceFile?: string): Promise<PredictionPairsResult> {
  const predictions = await readTextFile(predictionFile);
  if (!predictions.ok) return predictions;
  if (referenceFile === undefined) return parsePredictionJsonl(predictions.text, predictionFile);
  const references = await readTextFile(referenceFile);
  if (!references.ok) return references;
  return pairLines(predictions.text, references.text, predictionFile, referenceFile);
}
