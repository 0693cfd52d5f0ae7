import * as fs from 'node:fs';
import { ChatMessage, encodeChat } from '../tokenizer/chat-template';
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';

/** One tokenized training example. */
export interface SftExample {
  inputIds: number[];
  /** Same length as inputIds; -100 = no loss on that token. */
  labels: number[];
}

/** Which JSONL shape a line has. */
export type SftFormat = 'text' | 'alpaca' | 'chat' | 'qa' | 'tokens';

function isStr(v: unknown): v is string { return typeof v === 'string'; }

/** Recognise a parsed JSONL record's format, or explain what was expected. */
export function detectSftFormat(rec: unknown): SftFormat {
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new Error('expected a JSON object');
  const r = rec as Record<string, unknown>;
  if ('input_ids' in r) return 'tokens';
  if ('messages' in r) return 'chat';
  if ('instruction' in r || 'output' in r) return 'alpaca';
  if ('question' in r && 'answer' in r) return 'qa';
  if ('text' in r) return 'text';
  throw new Error('unrecognised record: expected {"text"}, Alpaca {"instruction","input","output"}, chat {"messages"}, ' +
    '{"question","answer"} or {"input_ids","labels"?}');
}

/**
 * Turn one record into token ids and labels:
 * - `{"text"}`: loss on all tokens, `<|endoftext|>` appended;
 * - Alpaca `{"instruction","input"?,"output","system"?}` and `{"question","answer"}`:
 *   a user turn and an assistant turn, loss only on the answer;
 * - chat `{"messages":[{"role","content"}]}`: loss only on assistant turns;
 * - `{"input_ids":[...], "labels"?:[...]}`: as given (labels default to input_ids; -100 ignored).
 */
export function tokenizeRecord(rec: unknown, tokenizer: Qwen2Tokenizer | null): SftExample {
  const format = detectSftFormat(rec);
  const r = rec as Record<string, unknown>;
  if (format === 'tokens') {
    const ids = r.input_ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new Error('"input_ids" must be a non-empty array of non-negative integers');
    }
    const labels = r.labels === undefined ? ids.slice() : r.labels;
    if (!Array.isArray(labels) || labels.length !== ids.length || !labels.every((v) => Number.isInteger(v) && (v >= 0 || v === -100))) {
      throw new Error(`"labels" must be an array of ${ids.length} integers (token ids or -100)`);
    }
    return { inputIds: ids as number[], labels: labels as number[] };
  }
  if (!tokenizer) throw new Error(`a "${format}" record needs a tokenizer (the model folder has no tokenizer.json); use pre-tokenized {"input_ids"} lines`);
  if (format === 'text') {
    if (!isStr(r.text) || !r.text) throw new Error('"text" must be a non-empty string');
    const ids = [...tokenizer.encode(r.text), tokenizer.padTokenId];
    return { inputIds: ids, labels: ids.slice() };
  }
  let messages: ChatMessage[];
  if (format === 'chat') {
    if (!Array.isArray(r.messages)) throw new Error('"messages" must be an array of {role, content}');
    messages = r.messages as ChatMessage[];
    if (!messages.some((m) => m && m.role === 'assistant')) throw new Error('"messages" has no assistant turn to learn from');
  } else if (format === 'qa') {
    if (!isStr(r.question) || !isStr(r.answer)) throw new Error('"question" and "answer" must be strings');
    messages = [{ role: 'user', content: r.question }, { role: 'assistant', content: r.answer }];
  } else {
    if (!isStr(r.instruction) || !isStr(r.output)) throw new Error('Alpaca records need string "instruction" and "output"');
    if (r.input !== undefined && !isStr(r.input)) throw new Error('"input" must be a string');
    const prompt = r.input ? `${r.instruction}\n${r.input}` : r.instruction;
    messages = [{ role: 'user', content: prompt }, { role: 'assistant', content: r.output }];
    if (isStr(r.system) && r.system) messages.unshift({ role: 'system', content: r.system });
  }
  const { inputIds, labels } = encodeChat(tokenizer, messages);
  return { inputIds, labels };
}

/**
 * Read an SFT JSONL file (any of the formats of `tokenizeRecord`, mixed lines
 * allowed, blank lines skipped). Errors name the file and line.
 *
 * @example
 * const examples = readSftJsonl('datasets/sports-injury-qa/splits/train.jsonl', tokenizer);
 */
export function readSftJsonl(file: string, tokenizer: Qwen2Tokenizer | null, options: { vocabSize?: number } = {}): SftExample[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  const out: SftExample[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    let ex: SftExample;
    try {
      ex = tokenizeRecord(rec, tokenizer);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: ${(e as Error).message}`);
    }
    if (options.vocabSize !== undefined) {
      const bad = ex.inputIds.find((id) => id >= options.vocabSize!);
      if (bad !== undefined) throw new Error(`${file}:${i + 1}: token id ${bad} is outside the model's vocabulary (${options.vocabSize})`);
    }
    out.push(ex);
  });
  if (out.length === 0) throw new Error(`${file}: no examples (the file is empty)`);
  return out;
}
