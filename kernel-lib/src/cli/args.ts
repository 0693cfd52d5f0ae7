import { parseArgs } from 'node:util';

/** A flag's declared type for `parseCommandArgs`. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Error a CLI command raises for bad usage; printed without a stack trace. */
export class UsageError extends Error {}

/** Parse argv with node:util parseArgs, turning its errors into UsageErrors. */
export function parseCommandArgs(argv: string[], flags: FlagSpec, command: string): Record<string, string | boolean | string[] | undefined> {
  try {
    return parseArgs({ args: argv, options: flags, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(`galore-lab ${command}: ${(e as Error).message}`);
  }
}

/** A number flag, validated (`--lr 1e-4`), or the default. */
export function numberFlag(values: Record<string, unknown>, name: string, fallback: number, check?: (v: number) => boolean, what = 'a number'): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || (check && !check(v))) {
    throw new UsageError(`--${name} must be ${what}, got "${String(raw)}"`);
  }
  return v;
}

export const positiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;
export const nonNegativeInt = (v: number): boolean => Number.isInteger(v) && v >= 0;

/** A required string flag. */
export function requiredFlag(values: Record<string, unknown>, name: string, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`galore-lab ${command}: --${name} is required`);
  return v;
}
