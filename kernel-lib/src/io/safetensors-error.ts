/**
 * The one error type of the safetensors and model-weights readers and writers.
 */

/** Which rule a file broke; stable strings that code can branch on. */
export type SafetensorsErrorKind =
  | 'truncated-file' // shorter than the 8-byte prefix, or tensor bytes past the end
  | 'bad-header-length' // header length larger than the file or than 100 MB
  | 'bad-header-json' // not UTF-8, not JSON, or not a JSON object
  | 'bad-entry' // a tensor entry lacks dtype/shape/data_offsets or has the wrong types
  | 'unknown-dtype'
  | 'bad-shape' // negative or non-integer dimension
  | 'bad-offsets' // out of range, begin > end, or overlapping another tensor
  | 'size-mismatch' // byte size != product(shape) x dtype size, or data length != product(shape)
  | 'bad-metadata' // __metadata__ not a string -> string map
  | 'bad-index' // model.safetensors.index.json malformed
  | 'missing-shard' // index names a shard file that does not exist
  | 'missing-weights' // folder has neither model.safetensors nor the index
  | 'missing-tensor' // a requested or required tensor is absent
  | 'shape-mismatch' // a required tensor has another shape
  | 'bad-argument'; // the caller passed something unusable (e.g. a duplicate name)

/**
 * A malformed or unexpected safetensors file, shard index or tensor set.
 * `file` is the path involved, `tensor` the tensor name when one is at fault,
 * `kind` the rule broken; the message says what was found and what was expected.
 *
 * @example
 * try { await readSafetensors('broken.safetensors'); }
 * catch (e) { if (e instanceof SafetensorsError) console.log(e.kind, e.file, e.tensor); }
 */
export class SafetensorsError extends Error {
  readonly kind: SafetensorsErrorKind;
  readonly file: string;
  readonly tensor?: string;
  /** For errors that collect several problems (`requireTensors`): one line each. */
  readonly problems: readonly string[];

  constructor(kind: SafetensorsErrorKind, file: string, detail: string, tensor?: string, problems: readonly string[] = []) {
    const where = tensor === undefined ? file : `${file}, tensor "${tensor}"`;
    super(`${where}: ${detail}`);
    this.name = 'SafetensorsError';
    this.kind = kind;
    this.file = file;
    this.tensor = tensor;
    this.problems = problems;
  }
}
