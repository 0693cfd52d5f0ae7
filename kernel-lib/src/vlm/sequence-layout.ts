/**
 * Where the image tokens sit in each sequence: after `imageAt[b]` of its text
 * tokens (0: before all the text, LLaVA's image-first prompt; the prompt's
 * length: between the question and the answer). Rows of the decoder input
 * are laid out sequence after sequence, N + T rows each.
 */

/**
 * The row of the decoder input where text token t of a sequence sits.
 *
 * @example
 * combinedTextRow(5, 3, 4); // 9: tokens 3.. come after the 4 image tokens
 */
export function combinedTextRow(t: number, imageAt: number, imageTokens: number): number {
  return t < imageAt ? t : t + imageTokens;
}

/**
 * For each row of the decoder input [B*(N+T)], its source row in the stacked
 * [text rows (B*T); image rows (B*N)].
 *
 * @example
 * combinedRowOrder(1, 2, 1, [1]); // [0, 2, 1]: text 0, the image token, text 1
 */
export function combinedRowOrder(batch: number, textLen: number, imageTokens: number, imageAt: ArrayLike<number>): number[] {
  if (imageAt.length !== batch) throw new Error(`combinedRowOrder: ${imageAt.length} image positions for ${batch} sequences`);
  const len = textLen + imageTokens;
  const order = new Array<number>(batch * len);
  for (let b = 0; b < batch; b++) {
    const at = imageAt[b];
    if (!(Number.isInteger(at) && at >= 0 && at <= textLen)) throw new Error(`combinedRowOrder: image position ${at} outside [0, ${textLen}]`);
    for (let t = 0; t < textLen; t++) order[b * len + combinedTextRow(t, at, imageTokens)] = b * textLen + t;
    for (let i = 0; i < imageTokens; i++) order[b * len + at + i] = batch * textLen + b * imageTokens + i;
  }
  return order;
}

/**
 * Labels of the decoder input rows: each text token's label at its row,
 * -100 at image rows.
 *
 * @example
 * combinedLabels(Int32Array.from([-100, 7]), 1, 2, 1, [1]); // [-100, -100, 7]
 */
export function combinedLabels(labels: Int32Array, batch: number, textLen: number, imageTokens: number, imageAt: ArrayLike<number>): Int32Array {
  const len = textLen + imageTokens;
  const out = new Int32Array(batch * len).fill(-100);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < textLen; t++) out[b * len + combinedTextRow(t, imageAt[b], imageTokens)] = labels[b * textLen + t];
  }
  return out;
}
