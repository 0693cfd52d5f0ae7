import { seededPermutation } from '../util/random';
import type { SftExample } from './sft-examples';

/** A padded batch laid out row-major [batch, seqLen]. */
export interface Batch {
  inputIds: Int32Array;
  labels: Int32Array;
  batch: number;
  seqLen: number;
  /** Labelled (loss-bearing) tokens after the causal shift. */
  labelledTokens: number;
}

/** Where the data stream stands: enough to resume exactly. */
export interface DataPosition {
  epoch: number;
  /** Index into this epoch's order of the next example. */
  index: number;
}

/**
 * Truncate/pad examples to `seqLen` (right padding with `padId`, labels -100)
 * and stack them.
 */
export function collate(examples: SftExample[], seqLen: number, padId: number): Batch {
  const b = examples.length;
  const inputIds = new Int32Array(b * seqLen).fill(padId);
  const labels = new Int32Array(b * seqLen).fill(-100);
  let labelled = 0;
  examples.forEach((ex, r) => {
    const n = Math.min(seqLen, ex.inputIds.length);
    for (let t = 0; t < n; t++) {
      inputIds[r * seqLen + t] = ex.inputIds[t];
      labels[r * seqLen + t] = ex.labels[t];
      if (t > 0 && ex.labels[t] !== -100) labelled++;
    }
  });
  return { inputIds, labels, batch: b, seqLen, labelledTokens: labelled };
}

/**
 * A deterministic stream of batches: each epoch visits the examples in a
 * seeded permutation (seed + epoch) or in file order (`shuffle: false`); a
 * last partial batch of an epoch is used as it is. The position can be saved
 * and restored for exact resumption.
 *
 * @example
 * const loader = new BatchStream(examples, { batchSize: 4, seqLen: 128, padId: 0, seed: 42 });
 * const batch = loader.next();
 */
export class BatchStream {
  private order: number[] = [];
  private orderEpoch = -1;
  position: DataPosition = { epoch: 0, index: 0 };

  constructor(
    private readonly examples: SftExample[],
    private readonly options: { batchSize: number; seqLen: number; padId: number; seed: number; shuffle?: boolean },
  ) {
    if (examples.length === 0) throw new Error('BatchStream: no examples');
    if (!(options.batchSize >= 1)) throw new Error(`BatchStream: batch size must be >= 1, got ${options.batchSize}`);
    if (!(options.seqLen >= 2)) throw new Error(`BatchStream: sequence length must be >= 2, got ${options.seqLen}`);
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.examples.length / this.options.batchSize);
  }

  private orderFor(epoch: number): number[] {
    if (this.orderEpoch !== epoch) {
      this.order = this.options.shuffle === false
        ? Array.from({ length: this.examples.length }, (_, i) => i)
        : seededPermutation(this.examples.length, this.options.seed * 1000003 + epoch);
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  next(): Batch {
    if (this.position.index >= this.examples.length) this.position = { epoch: this.position.epoch + 1, index: 0 };
    const order = this.orderFor(this.position.epoch);
    const take = order.slice(this.position.index, this.position.index + this.options.batchSize);
    this.position = { epoch: this.position.epoch, index: this.position.index + take.length };
    return collate(take.map((i) => this.examples[i]), this.options.seqLen, this.options.padId);
  }
}
