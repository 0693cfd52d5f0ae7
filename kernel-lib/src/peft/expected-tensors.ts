/**
 * Checking an adapter's tensor file against its config before the model is
 * touched: every tensor must be one the config expects, with the expected
 * shape, and none may be missing. Used by `loadAdapter` (LoRA) and
 * `loadLoraMoE`.
 */
import type { NamedTensorData } from '../io/safetensors';

/** A tensor the config calls for: its shape and the module it belongs to. */
export interface ExpectedAdapterTensor {
  module: string;
  shape: number[];
}

/** How to read the file's tensor names, and what the error says about an unexpected one. */
export interface MatchTensorsOptions {
  /** The tensor file and the config file (named in errors). */
  weightsFile: string;
  configFile: string;
  /** Why an unexpected tensor does not belong, after `unexpected tensor "<name>"; `. */
  unexpectedReason: string;
  /** The expected name a stored name stands for (default: the same name). */
  key?: (name: string) => string;
}

/**
 * The file's tensors by expected name; throws naming the file and the tensor
 * when one is unexpected or has the wrong shape, or listing (up to four of)
 * the missing ones.
 *
 * @example
 * const expected = new Map([['base_model.model.lm_head.lora_A.weight', { module: 'lm_head', shape: [8, 128] }]]);
 * const found = matchExpectedTensors((await readSafetensors(file)).tensors, expected,
 *   { weightsFile: file, configFile, unexpectedReason: 'the config has no such tensor' });
 */
export function matchExpectedTensors(
  tensors: Iterable<[string, NamedTensorData]>,
  expected: ReadonlyMap<string, ExpectedAdapterTensor>,
  options: MatchTensorsOptions,
): Map<string, NamedTensorData> {
  const { weightsFile, configFile } = options;
  const found = new Map<string, NamedTensorData>();
  for (const [name, t] of tensors) {
    const key = options.key ? options.key(name) : name;
    const want = expected.get(key);
    if (!want) throw new Error(`${weightsFile}: unexpected tensor "${name}"; ${options.unexpectedReason}`);
    if (t.shape.join() !== want.shape.join()) {
      throw new Error(`${weightsFile}: tensor "${name}" has shape [${t.shape}], expected [${want.shape}] (module ${want.module})`);
    }
    found.set(key, t);
  }
  const missing = [...expected.keys()].filter((n) => !found.has(n));
  if (missing.length > 0) {
    throw new Error(`${weightsFile}: missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 4).map((n) => `"${n}"`).join(', ')}` +
      `${missing.length > 4 ? ` and ${missing.length - 4} more` : ''} required by ${configFile}`);
  }
  return found;
}
