/**
 * From text to the tensors a sequence classifier reads: tokenized examples,
 * right-padded batches laid out row-major [batch, seqLen], and the pooling
 * matrix that keeps padding out of the pooled vectors:
 *
 * P [B, B*T]: P @ H turns token states H [B*T, d] into one vector per
 * sequence (mean over its real tokens, or its last real token) with one plain
 * 2-D matmul (fast on wasm, and its gradient needs no gather).
 */
import * as tf from '@tensorflow/tfjs';

/** One tokenized example with its class index. */
export interface ClassificationExample {
  /** Where it came from (a note id). */
  id: string;
  inputIds: Int32Array;
  label: number;
}

/** How token states become one vector per sequence. */
export type PoolingMode = 'mean' | 'last';

/** A right-padded batch: ids [batch * seqLen] row-major, and each row's real length. */
export interface TokenBatch {
  examples: readonly ClassificationExample[];
  ids: Int32Array;
  lengths: number[];
  batch: number;
  seqLen: number;
  labels: Int32Array;
}

/** Options of `encodeForClassification`. */
export interface EncodeOptions {
  /** Keep at most this many tokens (the appended token included); default 96. */
  maxLen?: number;
  /** A token appended to every example (e.g. the end-of-text id, for last-token pooling on a decoder). */
  appendTokenId?: number;
}

/**
 * Tokenizes texts for classification, truncating to `maxLen` tokens.
 *
 * @example
 * const examples = encodeForClassification(tok, notes.map((n) => ({ id: n.id, text: n.text, label: categoryIndex(n) })), { maxLen: 96, appendTokenId: tok.eosTokenId });
 */
export function encodeForClassification(
  tokenizer: { encode(text: string): number[] },
  items: ReadonlyArray<{ id: string; text: string; label: number }>,
  options: EncodeOptions = {},
): ClassificationExample[] {
  const maxLen = options.maxLen ?? 96;
  const extra = options.appendTokenId === undefined ? 0 : 1;
  if (!(maxLen > extra)) throw new Error(`encodeForClassification: maxLen must exceed ${extra}, got ${maxLen}`);
  return items.map(({ id, text, label }) => {
    const ids = tokenizer.encode(text).slice(0, maxLen - extra);
    if (extra) ids.push(options.appendTokenId!);
    if (ids.length === 0) throw new Error(`encodeForClassification: example ${JSON.stringify(id)} has no tokens`);
    return { id, inputIds: Int32Array.from(ids), label };
  });
}

/**
 * Right-pads examples into one batch whose length is the longest example's.
 *
 * @example
 * const b = makeTokenBatch(examples.slice(0, 8), tok.padTokenId);
 * b.ids.length === b.batch * b.seqLen; // true
 */
export function makeTokenBatch(examples: readonly ClassificationExample[], padId: number): TokenBatch {
  if (examples.length === 0) throw new Error('makeTokenBatch: no examples');
  const lengths = examples.map((e) => e.inputIds.length);
  lengths.forEach((n, i) => { if (n === 0) throw new Error(`makeTokenBatch: example ${JSON.stringify(examples[i].id)} is empty`); });
  const seqLen = Math.max(...lengths);
  const ids = new Int32Array(examples.length * seqLen).fill(padId);
  examples.forEach((e, b) => ids.set(e.inputIds, b * seqLen));
  return { examples, ids, lengths, batch: examples.length, seqLen, labels: Int32Array.from(examples, (e) => e.label) };
}

/**
 * The pooling matrix [batch, batch * seqLen] of a batch: row b holds 1/len_b
 * at the real tokens of sequence b (`mean`) or 1 at its last real token
 * (`last`), zeros at padding and at other sequences.
 *
 * @example
 * poolingMatrix([2, 1], 2, 'mean').arraySync(); // [[0.5, 0.5, 0, 0], [0, 0, 1, 0]]
 */
export function poolingMatrix(lengths: readonly number[], seqLen: number, mode: PoolingMode): tf.Tensor2D {
  const batch = lengths.length;
  const m = new Float32Array(batch * batch * seqLen);
  lengths.forEach((len, b) => {
    if (!(len >= 1 && len <= seqLen)) throw new Error(`poolingMatrix: length ${len} of sequence ${b} outside [1, ${seqLen}]`);
    const row = b * batch * seqLen + b * seqLen;
    if (mode === 'last') m[row + len - 1] = 1;
    else for (let t = 0; t < len; t++) m[row + t] = 1 / len;
  });
  return tf.tensor2d(m, [batch, batch * seqLen]);
}
