/**
 * The questions to answer in predict-with-generate: one item per data record,
 * holding the chat turns that make the prompt and the reference answer.
 *
 * Record shapes (one per JSONL line, or the elements of a JSON array file as
 * LLaMA-Factory's `data/*.json` are):
 * - ours: `{"question", "answer", "id"?, ...}`: one user turn;
 * - Alpaca: `{"instruction", "input"?, "output", "system"?, "history"?}`: the
 *   user turn is `instruction + "\n" + input` (as LLaMA-Factory joins them),
 *   `history` is `[[user, assistant], ...]` before it;
 * - chat: `{"messages": [{"role", "content"}, ...]}`: the prompt is every turn
 *   before the last assistant turn, the reference is that turn;
 * - ShareGPT: `{"conversations": [{"from", "value"}, ...], "system"?}` with
 *   `human` / `gpt` / `system` roles, read like chat.
 */
import * as fs from 'node:fs';
import type { ChatMessage } from '../tokenizer/chat-template';

/** One question to answer: the prompt turns and the reference answer, with where it came from. */
export interface GenerationItem {
  /** The turns before the answer (system?, user, [assistant, user]...). The last one is a user turn. */
  messages: ChatMessage[];
  /** The reference answer (the record's answer / output / last assistant turn). */
  reference: string;
  /** The record's `id` when it has a string one. */
  id?: string;
  /** Where the record is, for messages: `file:line` (JSONL) or `file: record N` (JSON array). */
  where: string;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function chatTurns(raw: unknown, field: string, roleKey: string, contentKey: string, roles: Record<string, ChatMessage['role']>): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`"${field}" must be a non-empty array of {${roleKey}, ${contentKey}}`);
  return raw.map((turn, i) => {
    if (turn === null || typeof turn !== 'object') throw new Error(`"${field}"[${i}] must be an object {${roleKey}, ${contentKey}}`);
    const t = turn as Record<string, unknown>;
    const role = isString(t[roleKey]) ? roles[t[roleKey] as string] : undefined;
    if (!role) {
      throw new Error(`"${field}"[${i}].${roleKey} is ${JSON.stringify(t[roleKey])}; expected one of ${Object.keys(roles).join(', ')}`);
    }
    if (!isString(t[contentKey])) throw new Error(`"${field}"[${i}].${contentKey} must be a string`);
    return { role, content: t[contentKey] as string };
  });
}

function splitAtLastAnswer(turns: ChatMessage[], field: string): { messages: ChatMessage[]; reference: string } {
  let last = -1;
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i].role === 'assistant') { last = i; break; }
  if (last < 0) throw new Error(`"${field}" has no assistant turn; expected the reference answer as the last assistant turn`);
  const messages = turns.slice(0, last);
  if (messages.length === 0 || messages[messages.length - 1].role !== 'user') {
    throw new Error(`"${field}": the last assistant turn (index ${last}) does not follow a user turn; expected a question before the answer`);
  }
  return { messages, reference: turns[last].content };
}

/**
 * The prompt turns and reference answer of one parsed record (any of the
 * shapes above). Throws an Error saying which field is wrong; callers add
 * the file and line.
 *
 * @example
 * const { generationItemFromRecord } = require('galore-lab');
 * generationItemFromRecord({ question: 'Ankle sprain?', answer: 'Protect it.' });
 * // { messages: [{ role: 'user', content: 'Ankle sprain?' }], reference: 'Protect it.' }
 */
export function generationItemFromRecord(record: unknown): Omit<GenerationItem, 'where'> {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new Error('expected a JSON object with {"question","answer"}, Alpaca {"instruction","input","output"}, chat {"messages"} or ShareGPT {"conversations"}');
  }
  const r = record as Record<string, unknown>;
  const id = isString(r.id) ? { id: r.id } : {};
  if ('messages' in r) {
    const turns = chatTurns(r.messages, 'messages', 'role', 'content', { system: 'system', user: 'user', assistant: 'assistant' });
    return { ...splitAtLastAnswer(turns, 'messages'), ...id };
  }
  if ('conversations' in r) {
    const turns = chatTurns(r.conversations, 'conversations', 'from', 'value', { system: 'system', human: 'user', gpt: 'assistant' });
    if (isString(r.system) && r.system && turns[0].role !== 'system') turns.unshift({ role: 'system', content: r.system });
    return { ...splitAtLastAnswer(turns, 'conversations'), ...id };
  }
  if ('instruction' in r || 'output' in r) {
    if (!isString(r.instruction) || !isString(r.output)) throw new Error('Alpaca records need string "instruction" and "output"');
    if (r.input !== undefined && !isString(r.input)) throw new Error('"input" must be a string');
    const messages: ChatMessage[] = [];
    if (r.system !== undefined) {
      if (!isString(r.system)) throw new Error('"system" must be a string');
      if (r.system) messages.push({ role: 'system', content: r.system });
    }
    if (r.history !== undefined) {
      if (!Array.isArray(r.history)) throw new Error('"history" must be an array of [user, assistant] pairs');
      r.history.forEach((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2 || !isString(pair[0]) || !isString(pair[1])) {
          throw new Error(`"history"[${i}] must be a [user, assistant] pair of strings`);
        }
        messages.push({ role: 'user', content: pair[0] }, { role: 'assistant', content: pair[1] });
      });
    }
    messages.push({ role: 'user', content: r.input ? `${r.instruction}\n${r.input}` : r.instruction });
    return { messages, reference: r.output, ...id };
  }
  if ('question' in r || 'answer' in r) {
    if (!isString(r.question) || !isString(r.answer)) throw new Error('"question" and "answer" must be strings');
    return { messages: [{ role: 'user', content: r.question }], reference: r.answer, ...id };
  }
  if ('text' in r || 'input_ids' in r) {
    throw new Error('a plain-text or pre-tokenized record has no reference answer to generate against; ' +
      'expected {"question","answer"}, Alpaca {"instruction","output"}, chat {"messages"} or ShareGPT {"conversations"}');
  }
  throw new Error('unrecognised record: expected {"question","answer"}, Alpaca {"instruction","input","output"}, chat {"messages"} or ShareGPT {"conversations"}');
}

/** Options of {@link readGenerationItems}. */
export interface ReadGenerationItemsOptions {
  /** Read only the first `limit` records (blank lines do not count). */
  limit?: number;
}

/**
 * Read the items to generate for from a JSONL file (blank lines skipped) or
 * a JSON array file. Errors name the file and line (`file:3: ...`) or, in a
 * JSON array, the record (`file: record 3: ...`).
 *
 * @example
 * const { readGenerationItems } = require('galore-lab');
 * const items = readGenerationItems('datasets/sports-injury-qa/splits/test.jsonl', { limit: 5 });
 * items[0].messages; // [{ role: 'user', content: 'How long does Achilles tendinopathy take to improve?' }]
 */
export function readGenerationItems(file: string, options: ReadGenerationItemsOptions = {}): GenerationItem[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a file' : (e as Error).message})`);
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const limit = options.limit ?? Infinity;
  const items: GenerationItem[] = [];
  const add = (record: unknown, where: string): void => {
    try {
      items.push({ ...generationItemFromRecord(record), where });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  };
  if (text.trimStart().startsWith('[')) {
    let records: unknown;
    try {
      records = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message}); expected a JSON array of records or one JSON object per line`);
    }
    const list = records as unknown[];
    for (let i = 0; i < list.length && items.length < limit; i++) add(list[i], `${file}: record ${i + 1}`);
  } else {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length && items.length < limit; i++) {
      const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
      if (!line.trim()) continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); expected one JSON object per line`);
      }
      add(record, `${file}:${i + 1}`);
    }
  }
  if (items.length === 0) throw new Error(`${file}: no records (the file is empty); expected question/answer records, one JSON object per line`);
  return items;
}
