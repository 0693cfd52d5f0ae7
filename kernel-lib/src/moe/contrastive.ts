/**
 * The contrastive loss that supervises the router, and the expert memory
 * queue that feeds it past representations.
 *
 * Each sampled token has an expert representation z (its gate-weighted
 * expert codes, see `LoraMoeLayer`) and a label, the expert its router
 * prefers. The loss is supervised InfoNCE (Khosla et al.'s SupCon) with a
 * temperature: for an anchor i, every other token and every queue entry is a
 * candidate; candidates with the same label are positives (pulled together),
 * the rest negatives (pushed apart):
 *
 *   L_i = -1/|P(i)| sum_{p in P(i)} log( exp(z_i.z_p / T) / sum_{c != i} exp(z_i.z_c / T) )
 *
 * with z normalised to unit length, averaged over the anchors that have a
 * positive. Queue entries are constants (no gradient), as in MoCo's queue.
 */
import * as tf from '@tensorflow/tfjs';
import { matmul2d, transpose2d } from '../model/primitives';

/** A snapshot of a queue: `size` rows of `dim` values and their labels. */
export interface QueueContents {
  rows: Float32Array;
  labels: Int32Array;
  size: number;
  dim: number;
}

/**
 * The expert memory queue: a fixed-size ring buffer of past expert
 * representations (unit vectors) and their expert labels. Pushing past the
 * capacity overwrites the oldest rows, so memory stays `capacity * dim`
 * floats however long training runs.
 *
 * @example
 * const q = new ExpertMemoryQueue(256, 16);
 * q.push(Float32Array.from(rows), Int32Array.from(labels));
 * q.size; // <= 256
 */
export class ExpertMemoryQueue {
  readonly capacity: number;
  readonly dim: number;
  private readonly rows: Float32Array;
  private readonly labels: Int32Array;
  private count = 0;
  private next = 0;
  private pushedTotal = 0;

  constructor(capacity: number, dim: number) {
    if (!(Number.isInteger(capacity) && capacity >= 0)) throw new Error(`ExpertMemoryQueue: capacity must be an integer >= 0, got ${capacity}`);
    if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`ExpertMemoryQueue: dim must be a positive integer, got ${dim}`);
    this.capacity = capacity;
    this.dim = dim;
    this.rows = new Float32Array(capacity * dim);
    this.labels = new Int32Array(capacity);
  }

  /** Rows held now (at most `capacity`). */
  get size(): number { return this.count; }

  /** Rows pushed since creation (or the last `clear`). */
  get pushed(): number { return this.pushedTotal; }

  /** Adds rows (row-major, `labels.length` rows of `dim`), overwriting the oldest when full. */
  push(rows: Float32Array, labels: Int32Array): void {
    if (rows.length !== labels.length * this.dim) throw new Error(`ExpertMemoryQueue.push: ${rows.length} values for ${labels.length} rows of ${this.dim}`);
    this.pushedTotal += labels.length;
    if (this.capacity === 0) return;
    for (let i = 0; i < labels.length; i++) {
      this.rows.set(rows.subarray(i * this.dim, (i + 1) * this.dim), this.next * this.dim);
      this.labels[this.next] = labels[i];
      this.next = (this.next + 1) % this.capacity;
      this.count = Math.min(this.count + 1, this.capacity);
    }
  }

  /** Copies of the rows held now. */
  contents(): QueueContents {
    return { rows: this.rows.slice(0, this.count * this.dim), labels: this.labels.slice(0, this.count), size: this.count, dim: this.dim };
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
    this.pushedTotal = 0;
  }
}

/**
 * Rows of x [n, d] scaled to unit length (zero rows stay zero).
 *
 * @example
 * unitRows(tf.tensor2d([[3, 4]])); // [[0.6, 0.8]]
 */
export function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D);
}

/** The constant parts of the loss: which candidates are positives, and the weight of each (anchor, positive) pair. */
function pairWeights(labels: Int32Array, queueLabels: Int32Array): { weights: Float32Array; anchors: number } {
  const n = labels.length;
  const width = n + queueLabels.length;
  const weights = new Float32Array(n * width);
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (j !== i && labels[j] === labels[i]) counts[i]++;
    for (let j = 0; j < queueLabels.length; j++) if (queueLabels[j] === labels[i]) counts[i]++;
  }
  const anchors = counts.filter((c) => c > 0).length;
  for (let i = 0; i < n; i++) {
    if (counts[i] === 0) continue;
    const w = 1 / (counts[i] * anchors);
    for (let j = 0; j < n; j++) if (j !== i && labels[j] === labels[i]) weights[i * width + j] = w;
    for (let j = 0; j < queueLabels.length; j++) if (queueLabels[j] === labels[i]) weights[i * width + n + j] = w;
  }
  return { weights, anchors };
}

/**
 * Supervised InfoNCE over expert representations (see the module comment).
 * `z` [n, d] is scaled to unit rows first unless `normalized` says it already
 * is; `queue` rows are used as they are (the queue stores unit rows). Returns null when no anchor has a positive (for
 * instance every sampled token chose a different expert and the queue is
 * empty): there is nothing to pull together.
 *
 * @example
 * const loss = supervisedContrastiveLoss(z, Int32Array.from([0, 0, 1, 1]), 0.1, queue.contents());
 */
export function supervisedContrastiveLoss(
  z: tf.Tensor2D, labels: Int32Array, temperature: number, queue: QueueContents | null = null, normalized = false,
): tf.Scalar | null {
  const [n, d] = z.shape;
  if (labels.length !== n) throw new Error(`supervisedContrastiveLoss: ${labels.length} labels for ${n} rows`);
  if (!(temperature > 0)) throw new Error(`supervisedContrastiveLoss: temperature must be > 0, got ${temperature}`);
  if (queue && queue.size > 0 && queue.dim !== d) throw new Error(`supervisedContrastiveLoss: queue rows have ${queue.dim} values, representations ${d}`);
  const queueLabels = queue && queue.size > 0 ? queue.labels : new Int32Array(0);
  const { weights, anchors } = pairWeights(labels, queueLabels);
  if (anchors === 0) return null;
  const width = n + queueLabels.length;
  const selfMask = new Float32Array(n * width);
  for (let i = 0; i < n; i++) selfMask[i * width + i] = -1e9; // a token is not its own candidate (finite, so 0 * it stays 0)
  return tf.tidy(() => {
    const zn = normalized ? z : unitRows(z);
    const candidates = queueLabels.length > 0 ? tf.concat([zn, tf.tensor2d(queue!.rows, [queue!.size, d])], 0) as tf.Tensor2D : zn;
    const sims = tf.add(tf.div(matmul2d(zn, transpose2d(candidates)), temperature), tf.tensor2d(selfMask, [n, width]));
    const logProb = tf.sub(sims, tf.logSumExp(sims, 1, true));
    return tf.neg(tf.sum(tf.mul(logProb, tf.tensor2d(weights, [n, width])))) as tf.Scalar;
  });
}
