/**
 * Alpaca and ShareGPT files, the two formats LLaMA-Factory trains from, in and
 * out, plus the `dataset_info.json` entry that registers a file with
 * LLaMA-Factory, so data prepared here trains there unchanged.
 *
 * Alpaca: `[{"instruction": ..., "input": ..., "output": ..., "system"?: ...}]`.
 * ShareGPT: `[{"conversations": [{"from": "human", "value": ...}, {"from": "gpt", "value": ...}], "system"?: ...}]`.
 * Both loaders accept a JSON array or JSON Lines and report each bad row with
 * its file and line. Examples are single-turn: a row with history, or a
 * conversation with more than one exchange, is reported and skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicSync } from '../util/atomic-write';
import { DataIssue, LoadResult } from './issues';
import { readJsonRows } from './json-rows';
import { detectLanguage } from './language';
import { makeExample, QaExample } from './provenance';

export interface LoadOptions {
  /** Data set name recorded in provenance; default `alpaca:<file name>` / `sharegpt:<file name>`. */
  dataset?: string;
  /** Language of every row; default: detected per row. */
  language?: string;
}

/** Role names of a ShareGPT file (LLaMA-Factory's `tags`). */
export interface ShareGptTags {
  role_tag: string;
  content_tag: string;
  user_tag: string;
  assistant_tag: string;
  system_tag: string;
}

/** LLaMA-Factory's defaults. */
export const SHAREGPT_TAGS: Readonly<ShareGptTags> = { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt', system_tag: 'system' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function baseId(file: string): string {
  return path.basename(file).replace(/\.(jsonl?|json)$/i, '');
}

/**
 * Loads an Alpaca-format file. `question` is the instruction, followed by the
 * input on a new line when there is one; `answer` is the output.
 *
 * @example
 * const { records, issues } = loadAlpacaJson('/tmp/sports_alpaca.json');
 */
export function loadAlpacaJson(file: string, options: LoadOptions = {}): LoadResult<QaExample> {
  const rows = readJsonRows(file);
  const issues: DataIssue[] = [...rows.issues];
  const records: QaExample[] = [];
  const dataset = options.dataset ?? `alpaca:${path.basename(file)}`;
  rows.records.forEach((row, index) => {
    const v = row.value;
    const bad = (field: string, message: string): void => {
      issues.push({ file, line: row.line, field, message });
    };
    if (!isObject(v)) return bad('(row)', `expected an object with instruction/input/output, got ${Array.isArray(v) ? 'an array' : typeof v}`);
    if (typeof v.instruction !== 'string' || v.instruction.trim() === '') return bad('instruction', 'expected a non-empty string');
    if (v.input !== undefined && v.input !== null && typeof v.input !== 'string') return bad('input', 'expected a string (or leave it out)');
    if (typeof v.output !== 'string' || v.output.trim() === '') return bad('output', 'expected a non-empty string');
    if (v.system !== undefined && typeof v.system !== 'string') return bad('system', 'expected a string (or leave it out)');
    if (Array.isArray(v.history) && v.history.length > 0) return bad('history', 'multi-turn rows are not supported here; expected an empty or missing history');
    const input = typeof v.input === 'string' ? v.input.trim() : '';
    const question = input ? `${v.instruction}\n${input}` : String(v.instruction);
    const answer = String(v.output);
    records.push(
      makeExample(
        {
          id: typeof v.id === 'string' ? v.id : `${baseId(file)}-${index + 1}`,
          question,
          answer,
          language: options.language ?? detectLanguage(`${question}\n${answer}`),
          ...(typeof v.system === 'string' && v.system ? { system: v.system } : {}),
        },
        { dataset, file, line: row.line, originalId: typeof v.id === 'string' ? v.id : String(index) },
      ),
    );
  });
  return { records, issues };
}

/**
 * Loads a ShareGPT-format file of single-exchange conversations (an optional
 * system turn, one user turn, one assistant turn). Pass `tags` for files that
 * use other keys, e.g. OpenAI-style `{role, content}` messages with
 * `{ role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' }`
 * and `messagesKey: 'messages'`.
 *
 * @example
 * const { records, issues } = loadShareGptJson('/tmp/sports_sharegpt.json');
 */
export function loadShareGptJson(
  file: string,
  options: LoadOptions & { tags?: Partial<ShareGptTags>; messagesKey?: string } = {},
): LoadResult<QaExample> {
  const tags = { ...SHAREGPT_TAGS, ...options.tags };
  const messagesKey = options.messagesKey ?? 'conversations';
  const rows = readJsonRows(file);
  const issues: DataIssue[] = [...rows.issues];
  const records: QaExample[] = [];
  const dataset = options.dataset ?? `sharegpt:${path.basename(file)}`;
  rows.records.forEach((row, index) => {
    const v = row.value;
    const bad = (field: string, message: string): void => {
      issues.push({ file, line: row.line, field, message });
    };
    if (!isObject(v)) return bad('(row)', `expected an object with "${messagesKey}", got ${Array.isArray(v) ? 'an array' : typeof v}`);
    const turns = v[messagesKey];
    if (!Array.isArray(turns)) return bad(messagesKey, 'expected an array of messages');
    let system = typeof v.system === 'string' ? v.system : undefined;
    const exchange: string[] = [];
    for (let k = 0; k < turns.length; k++) {
      const t = turns[k];
      const field = `${messagesKey}[${k}]`;
      if (!isObject(t) || typeof t[tags.role_tag] !== 'string' || typeof t[tags.content_tag] !== 'string') {
        return bad(field, `expected {"${tags.role_tag}": role, "${tags.content_tag}": text}`);
      }
      const role = t[tags.role_tag] as string;
      const content = t[tags.content_tag] as string;
      if (role === tags.system_tag && k === 0) {
        system = content;
        continue;
      }
      const expected = exchange.length % 2 === 0 ? tags.user_tag : tags.assistant_tag;
      if (role !== expected) return bad(`${field}.${tags.role_tag}`, `is "${role}"; expected "${expected}" (turns must alternate, user first)`);
      if (content.trim() === '') return bad(`${field}.${tags.content_tag}`, 'is empty; expected text');
      exchange.push(content);
    }
    if (exchange.length !== 2) {
      return bad(messagesKey, `has ${exchange.length} user/assistant turn(s); expected exactly one question and one answer`);
    }
    const [question, answer] = exchange;
    records.push(
      makeExample(
        {
          id: typeof v.id === 'string' ? v.id : `${baseId(file)}-${index + 1}`,
          question,
          answer,
          language: options.language ?? detectLanguage(`${question}\n${answer}`),
          ...(system ? { system } : {}),
        },
        { dataset, file, line: row.line, originalId: typeof v.id === 'string' ? v.id : String(index) },
      ),
    );
  });
  return { records, issues };
}

/** An Alpaca row. */
export interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
  system?: string;
}

/** A ShareGPT row with LLaMA-Factory's default tags. */
export interface ShareGptRecord {
  conversations: Array<{ from: string; value: string }>;
  system?: string;
}

/**
 * Converts examples to Alpaca rows. `system` (if given) is set on every row,
 * overriding an example's own system prompt.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * toAlpacaRecords(train, { system: 'You are a careful sports-medicine assistant.' })[0];
 */
export function toAlpacaRecords(examples: readonly QaExample[], options: { system?: string } = {}): AlpacaRecord[] {
  return examples.map((e) => {
    const system = options.system ?? e.system;
    return { instruction: e.question, input: '', output: e.answer, ...(system ? { system } : {}) };
  });
}

/**
 * Converts examples to ShareGPT rows.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * toShareGptRecords(train)[0].conversations; // [{ from: 'human', value: ... }, { from: 'gpt', value: ... }]
 */
export function toShareGptRecords(examples: readonly QaExample[], options: { system?: string } = {}): ShareGptRecord[] {
  return examples.map((e) => {
    const system = options.system ?? e.system;
    return {
      conversations: [
        { from: SHAREGPT_TAGS.user_tag, value: e.question },
        { from: SHAREGPT_TAGS.assistant_tag, value: e.answer },
      ],
      ...(system ? { system } : {}),
    };
  });
}

/** One entry of LLaMA-Factory's `dataset_info.json`. */
export interface DatasetInfoEntry {
  file_name: string;
  formatting: 'alpaca' | 'sharegpt';
  columns: Record<string, string>;
  tags?: Record<string, string>;
}

/**
 * The `dataset_info.json` entry for a file written by `writeAlpacaJson` or
 * `writeShareGptJson` (LLaMA-Factory's keys: `file_name`, `formatting`,
 * `columns`, and `tags` for ShareGPT).
 *
 * @example
 * datasetInfoEntry('sports_injury_sharegpt', { fileName: 'sports_injury_sharegpt.json', formatting: 'sharegpt' });
 * // { sports_injury_sharegpt: { file_name: ..., formatting: 'sharegpt', columns: { messages: 'conversations' }, tags: {...} } }
 */
export function datasetInfoEntry(
  name: string,
  options: { fileName: string; formatting: 'alpaca' | 'sharegpt'; hasSystem?: boolean },
): Record<string, DatasetInfoEntry> {
  // The system column is listed only when the file has one: LLaMA-Factory
  // reads every listed column, and a column no row has does not exist.
  const system: Record<string, string> = options.hasSystem ? { system: 'system' } : {};
  if (options.formatting === 'alpaca') {
    return {
      [name]: {
        file_name: options.fileName,
        formatting: 'alpaca',
        columns: { prompt: 'instruction', query: 'input', response: 'output', ...system },
      },
    };
  }
  return {
    [name]: {
      file_name: options.fileName,
      formatting: 'sharegpt',
      columns: { messages: 'conversations', ...system },
      tags: { ...SHAREGPT_TAGS },
    },
  };
}

function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomicSync(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Writes examples as an Alpaca JSON array (atomically).
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * writeAlpacaJson('/tmp/llamafactory/data/sports_injury_alpaca.json', train);
 */
export function writeAlpacaJson(file: string, examples: readonly QaExample[], options: { system?: string } = {}): void {
  writeJsonAtomic(file, toAlpacaRecords(examples, options));
}

/**
 * Writes examples as a ShareGPT JSON array (atomically).
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * writeShareGptJson('/tmp/llamafactory/data/sports_injury_sharegpt.json', train);
 */
export function writeShareGptJson(file: string, examples: readonly QaExample[], options: { system?: string } = {}): void {
  writeJsonAtomic(file, toShareGptRecords(examples, options));
}

/**
 * Adds entries to `dir/dataset_info.json`, keeping the entries already there
 * (an entry with the same name is replaced). Throws, naming the file, if the
 * existing file is not a JSON object.
 *
 * @example
 * updateDatasetInfo('/tmp/llamafactory/data', datasetInfoEntry('sports_injury', { fileName: 'sports_injury_alpaca.json', formatting: 'alpaca' }));
 */
export function updateDatasetInfo(dir: string, entries: Record<string, DatasetInfoEntry>): Record<string, unknown> {
  const file = path.join(dir, 'dataset_info.json');
  let current: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message}); fix or remove it before adding entries`);
    }
    if (!isObject(parsed)) throw new Error(`${file}: expected a JSON object mapping data set names to entries`);
    current = parsed;
  }
  const next = { ...current, ...entries };
  writeJsonAtomic(file, next);
  return next;
}

/**
 * Writes examples for LLaMA-Factory in one call: the data file
 * `<dir>/<name>.json` and its entry in `<dir>/dataset_info.json`. Then train
 * with `dataset: <name>` and `dataset_dir: <dir>`.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * exportForLlamaFactory('/tmp/llamafactory/data', 'sports_injury_train', train, { formatting: 'sharegpt' });
 */
export function exportForLlamaFactory(
  dir: string,
  name: string,
  examples: readonly QaExample[],
  options: { formatting: 'alpaca' | 'sharegpt'; system?: string },
): { dataFile: string; infoFile: string } {
  const fileName = `${name}.json`;
  const dataFile = path.join(dir, fileName);
  if (options.formatting === 'alpaca') writeAlpacaJson(dataFile, examples, options);
  else writeShareGptJson(dataFile, examples, options);
  const hasSystem = options.system !== undefined || examples.some((e) => e.system);
  updateDatasetInfo(dir, datasetInfoEntry(name, { fileName, formatting: options.formatting, hasSystem }));
  return { dataFile, infoFile: path.join(dir, 'dataset_info.json') };
}
