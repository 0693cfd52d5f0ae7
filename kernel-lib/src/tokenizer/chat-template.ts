import type { Qwen2Tokenizer } from './tokenizer';

/** One chat turn. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Qwen2-Instruct's default system prompt, added when a conversation has none. */
export const QWEN2_DEFAULT_SYSTEM = 'You are a helpful assistant.';

export interface ChatTemplateOptions {
  /** Append `<|im_start|>assistant\n` so the model answers next. Default false. */
  addGenerationPrompt?: boolean;
  /** System prompt used when the first message is not a system one; `null` adds none. */
  defaultSystem?: string | null;
}

function turn(role: string, content: string): string {
  return `<|im_start|>${role}\n${content}<|im_end|>\n`;
}

function validate(messages: ChatMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0) throw new Error('chat: expected a non-empty array of messages');
  messages.forEach((m, i) => {
    if (!m || !['system', 'user', 'assistant'].includes(m.role)) {
      throw new Error(`chat: message ${i} has role ${JSON.stringify(m?.role)}; expected system, user or assistant`);
    }
    if (typeof m.content !== 'string') throw new Error(`chat: message ${i} (${m.role}) has no string "content"`);
  });
}

/**
 * The Qwen2-Instruct chat template, as its `tokenizer_config.json` Jinja
 * template renders it: a default system turn when none is given, then
 * `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then optionally
 * `<|im_start|>assistant\n`.
 *
 * @example
 * applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
 * // '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
 */
export function applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
  validate(messages);
  const system = options.defaultSystem === undefined ? QWEN2_DEFAULT_SYSTEM : options.defaultSystem;
  let out = '';
  if (messages[0].role !== 'system' && system !== null) out += turn('system', system);
  for (const m of messages) out += turn(m.role, m.content);
  if (options.addGenerationPrompt) out += '<|im_start|>assistant\n';
  return out;
}

/** Token ids and training labels of a conversation. */
export interface EncodedChat {
  inputIds: number[];
  /** -100 everywhere except the assistant replies (their text, `<|im_end|>` and the newline after it). */
  labels: number[];
}

/**
 * Tokenize a conversation for supervised fine-tuning with the loss only on
 * the assistant's tokens (as LLaMA-Factory's `qwen` template: each reply's
 * content, `<|im_end|>` and `\n` are learned; system/user turns and each
 * `<|im_start|>assistant\n` header are masked with -100).
 *
 * @example
 * const { inputIds, labels } = encodeChat(tok, [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }]);
 */
export function encodeChat(tokenizer: Qwen2Tokenizer, messages: ChatMessage[], options: ChatTemplateOptions = {}): EncodedChat {
  validate(messages);
  const system = options.defaultSystem === undefined ? QWEN2_DEFAULT_SYSTEM : options.defaultSystem;
  const inputIds: number[] = [];
  const labels: number[] = [];
  let pending = messages[0].role !== 'system' && system !== null ? turn('system', system) : '';
  const flush = (learn: boolean): void => {
    if (!pending) return;
    const ids = tokenizer.encode(pending);
    inputIds.push(...ids);
    labels.push(...(learn ? ids : ids.map(() => -100)));
    pending = '';
  };
  for (const m of messages) {
    if (m.role === 'assistant') {
      pending += '<|im_start|>assistant\n';
      flush(false);
      pending = `${m.content}<|im_end|>\n`;
      flush(true);
    } else {
      pending += turn(m.role, m.content);
    }
  }
  flush(false);
  return { inputIds, labels };
}
