/**
 * When a matrix counts as large, and how large ones are walked: one home for
 * the sizes the SVDs, GaLore's projector and update, and the memory ledger
 * share. A large matrix (an embedding's 136 M-value gradient) is read a block
 * of rows at a time and never becomes a matmul's right operand: the wasm
 * backend keeps a packed copy of that operand as long as it lives, and the
 * copy goes stale if the buffer is rewritten.
 */

/** From this many elements a matrix is large. */
export const LARGE_MATRIX_ELEMENTS = 2 ** 24;
/** Elements per block of rows when a large matrix is walked (4 MB of float32). */
export const ROW_BLOCK_ELEMENTS = 2 ** 20;
/** Largest small side for which a large tall matrix's right subspace comes from its Gram matrix. */
export const GRAM_MAX_SIDE = 1024;

/**
 * Rows per block for a matrix with `cols` columns.
 *
 * @example
 * rowsPerBlock(896); // 1170
 */
export function rowsPerBlock(cols: number): number {
  return Math.max(1, Math.floor(ROW_BLOCK_ELEMENTS / cols));
}

/**
 * Whether the top right singular vectors of an m x n matrix are computed from
 * its Gram matrix (large, tall, small side at most `GRAM_MAX_SIDE`).
 *
 * @example
 * usesGramRightSvd(151936, 896); // true: Qwen2-0.5B's embedding
 */
export function usesGramRightSvd(m: number, n: number): boolean {
  return m * n >= LARGE_MATRIX_ELEMENTS && n <= GRAM_MAX_SIDE && m >= 8 * n;
}
