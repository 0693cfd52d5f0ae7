/**
 * The telemetry message types and validator shared with `kernel-lib`: defined
 * once in `kernel-lib/src/telemetry/schema.ts` (browser-safe, no Node imports)
 * and bundled into the extension from there, so both sides always agree.
 */
export * from 'galore-lab/dist/telemetry/schema';
