/**
 * The small checks the telemetry validator is built from: each takes a value
 * and the path of the field it came from, and returns the value typed or
 * throws a `SchemaProblem` naming the path, what was expected and what was
 * found. Browser-safe (no Node or TensorFlow imports), like `schema.ts`.
 */

/**
 * Thrown inside the validator with the path of the bad field.
 *
 * @example
 * throw new SchemaProblem('message.steps[3].loss: expected a finite number, got null');
 */
export class SchemaProblem extends Error {}

/** A JSON object. */
export type Json = Record<string, unknown>;

/**
 * A short description of a value for an error message.
 *
 * @example
 * describeValue(undefined); // 'nothing (the field is missing)'
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : String(value);
  return `a value of type ${typeof value}`;
}

/**
 * Throws a `SchemaProblem`: `path: expected X, got Y`.
 *
 * @example
 * fail('message.status', 'one of running, paused', 'x');
 */
export function fail(path: string, expected: string, value: unknown): never {
  throw new SchemaProblem(`${path}: expected ${expected}, got ${describeValue(value)}`);
}

/**
 * The value as a JSON object, or a problem.
 *
 * @example
 * object(JSON.parse(text), 'message');
 */
export function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'an object', value);
  return value as Json;
}

/**
 * The value as an array of at most `maxLength` entries, or a problem.
 *
 * @example
 * array(o.steps, 'message.steps');
 */
export function array(value: unknown, path: string, maxLength = 100_000): unknown[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  if (value.length > maxLength) throw new SchemaProblem(`${path}: has ${value.length} entries, more than the ${maxLength} a message may hold`);
  return value;
}

/**
 * The value as a finite number, or a problem.
 *
 * @example
 * num(o.loss, 'message.steps[0].loss');
 */
export function num(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value);
  return value;
}

/**
 * The value as a finite number >= 0, or a problem.
 *
 * @example
 * nonNegative(o.step, 'message.steps[0].step');
 */
export function nonNegative(value: unknown, path: string): number {
  const n = num(value, path);
  if (n < 0) fail(path, 'a number >= 0', value);
  return n;
}

/**
 * The value as a finite number or null, or a problem.
 *
 * @example
 * numOrNull(o.gradNorm, 'message.steps[0].gradNorm');
 */
export function numOrNull(value: unknown, path: string): number | null {
  return value === null ? null : num(value, path);
}

/**
 * The value as a string of at most `maxLength` characters, or a problem.
 *
 * @example
 * str(o.runId, 'message.run.runId', 200);
 */
export function str(value: unknown, path: string, maxLength = 10_000): string {
  if (typeof value !== 'string') fail(path, 'a string', value);
  if (value.length > maxLength) throw new SchemaProblem(`${path}: a string of ${value.length} characters, more than ${maxLength}`);
  return value;
}

/**
 * The value as one of `allowed`, or a problem.
 *
 * @example
 * oneOf(o.status, ['running', 'paused'] as const, 'message.status');
 */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail(path, `one of ${allowed.join(', ')}`, value);
  return value as T;
}
