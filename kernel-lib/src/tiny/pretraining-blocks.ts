/**
 * Causal-LM pretraining data for the tiny base: texts tokenized, each followed
 * by a separator token, shuffled with a seed, concatenated and cut into blocks
 * of `seqLen` tokens (the usual "packing"), so no token is lost to truncation
 * and no step is spent on padding.
 */
import type { SftExample } from '../data/sft-examples';
import { seededPermutation } from '../util/random';

/** Options of {@link packIntoBlocks}. */
export interface PackOptions {
  /** Tokens per block (the training sequence length). */
  seqLen: number;
  /** Token appended after every text (the tokenizer's `<|endoftext|>`). */
  separatorId: number;
  /** Seed of the text order. */
  seed: number;
}

/**
 * Packs tokenized texts into `{inputIds, labels}` blocks of `seqLen` tokens
 * (labels equal to the inputs: every token is predicted). The last block may
 * be shorter; one shorter than 2 tokens is dropped.
 *
 * @example
 * const blocks = packIntoBlocks([[5, 6, 7], [8, 9]], { seqLen: 4, separatorId: 0, seed: 1 });
 * blocks.map((b) => b.inputIds.length); // [4, 3]: 7 tokens (5 + 2 separators) in all
 */
export function packIntoBlocks(tokenized: readonly (readonly number[])[], o: PackOptions): SftExample[] {
  if (!(Number.isInteger(o.seqLen) && o.seqLen >= 2)) throw new Error(`packIntoBlocks: seqLen must be an integer >= 2, got ${o.seqLen}`);
  const stream: number[] = [];
  for (const i of seededPermutation(tokenized.length, o.seed)) {
    for (const id of tokenized[i]) stream.push(id);
    stream.push(o.separatorId);
  }
  const blocks: SftExample[] = [];
  for (let start = 0; start + 2 <= stream.length; start += o.seqLen) {
    const ids = stream.slice(start, start + o.seqLen);
    blocks.push({ inputIds: ids, labels: ids.slice() });
  }
  return blocks;
}
