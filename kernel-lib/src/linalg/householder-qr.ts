import { Matrix64, matrix64 } from './matrix64';

/**
 * The thin Q factor (m x l, orthonormal columns) of a tall matrix by
 * Householder reflections in float64. Unconditionally stable: rank-deficient
 * or zero columns still give orthonormal columns (spanning the input's column
 * space plus arbitrary completing directions). O(2 m l^2): the fallback of
 * CholeskyQR, not the fast path.
 *
 * @example
 * const q = householderQ64(matrix64(3, 2, [1, 0, 1, 0, 0, 0]));
 * // q's first column is ±[1, 1, 0] / sqrt(2); q^T q = I
 */
export function householderQ64(a: Matrix64): Matrix64 {
  const m = a.rows; const l = a.cols;
  if (m < l) throw new Error(`householderQ64: need rows >= columns, got ${m}x${l}`);
  // work column-major: col j at w[j*m ...]
  const w = new Float64Array(m * l);
  for (let i = 0; i < m; i++) for (let j = 0; j < l; j++) w[j * m + i] = a.data[i * l + j];
  const vs: Float64Array[] = [];
  for (let k = 0; k < l; k++) {
    const col = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += w[col + i] * w[col + i];
    norm = Math.sqrt(norm);
    const v = new Float64Array(m - k);
    if (norm === 0) { vs.push(v); continue; } // nothing to reflect: identity
    const alpha = w[col + k] >= 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i - k] = w[col + i];
    v[0] -= alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    vnorm = Math.sqrt(vnorm);
    if (vnorm === 0) { v.fill(0); vs.push(v); continue; }
    for (let i = 0; i < v.length; i++) v[i] /= vnorm;
    for (let j = k; j < l; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * w[cj + i];
      for (let i = k; i < m; i++) w[cj + i] -= 2 * dot * v[i - k];
    }
    vs.push(v);
  }
  // Q = H_0 H_1 ... H_{l-1} applied to the first l columns of the identity
  const q = new Float64Array(m * l); // column-major
  for (let j = 0; j < l; j++) q[j * m + j] = 1;
  for (let k = l - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < l; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * q[cj + i];
      if (dot === 0) continue;
      for (let i = k; i < m; i++) q[cj + i] -= 2 * dot * v[i - k];
    }
  }
  const out = matrix64(m, l);
  for (let i = 0; i < m; i++) for (let j = 0; j < l; j++) out.data[i * l + j] = q[j * m + i];
  return out;
}
