/**
 * Checking a loaded tensor set against what a model expects, reporting every
 * problem at once instead of the first one.
 */
import { SafetensorsError } from './safetensors-error';

/** A tensor a model needs: its name and exact shape. */
export interface ExpectedTensor {
  name: string;
  shape: readonly number[];
}

/** Lines of the error message before "... and N more". */
const MAX_LISTED = 20;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks that every expected tensor is present with the expected shape.
 * Throws one `SafetensorsError` listing ALL missing names and shape mismatches
 * (`error.problems` has one line each; kind 'missing-tensor' if anything is
 * missing, else 'shape-mismatch'). Returns the names present but not expected,
 * sorted, so the caller can warn about unused weights.
 *
 * @example
 * const weights = await loadModelWeights('/models/Qwen2-0.5B-Instruct');
 * const { unexpected } = requireTensors(weights,
 *   [{ name: 'model.norm.weight', shape: [896] }], '/models/Qwen2-0.5B-Instruct');
 */
export function requireTensors(
  tensors: ReadonlyMap<string, { shape: readonly number[] }>,
  expected: readonly ExpectedTensor[],
  file: string,
): { unexpected: string[] } {
  const missing: string[] = [];
  const problems: string[] = [];
  const wanted = new Set<string>();
  for (const { name, shape } of expected) {
    wanted.add(name);
    const found = tensors.get(name);
    if (!found) {
      missing.push(name);
      problems.push(`missing "${name}" (expected shape ${shapeText(shape)})`);
    } else if (!sameShape(found.shape, shape)) {
      problems.push(`"${name}" has shape ${shapeText(found.shape)}, expected ${shapeText(shape)}`);
    }
  }
  const unexpected = [...tensors.keys()].filter((n) => !wanted.has(n)).sort();
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `  - ${p}`);
    if (problems.length > MAX_LISTED) listed.push(`  ... and ${problems.length - MAX_LISTED} more (see error.problems)`);
    const mismatched = problems.length - missing.length;
    const summary = `${missing.length} missing tensor(s) and ${mismatched} shape mismatch(es) out of ${expected.length} expected; the weights do not match this model configuration:`;
    throw new SafetensorsError(
      missing.length > 0 ? 'missing-tensor' : 'shape-mismatch',
      file,
      `${summary}\n${listed.join('\n')}`,
      missing[0] ?? firstMismatch(expected, tensors),
      problems,
    );
  }
  return { unexpected };
}

function firstMismatch(
  expected: readonly ExpectedTensor[],
  tensors: ReadonlyMap<string, { shape: readonly number[] }>,
): string | undefined {
  return expected.find((e) => {
    const t = tensors.get(e.name);
    return t !== undefined && !sameShape(t.shape, e.shape);
  })?.name;
}
