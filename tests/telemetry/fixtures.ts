/**
 * Telemetry messages for tests, made by the real recorder (so schema and
 * recorder cannot drift apart) with a fake clock.
 */
import type { RunMetadata, TelemetryMessage } from '../../kernel-lib/src/telemetry/schema';
import { TelemetryRecorder, type RecorderLimits } from '../../kernel-lib/src/telemetry/telemetry-recorder';

export const MODULES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];

export function runMetadata(overrides: Partial<RunMetadata> = {}): RunMetadata {
  return {
    runId: 'run-test',
    startedAt: '2026-11-01T10:00:00.000Z',
    model: { name: 'tiny-qwen2', parameters: 1_000_000, trainableParameters: 1_000_000, layers: 2, hiddenSize: 128 },
    method: 'galore',
    methodOptions: { rank: 8, update_proj_gap: 5, scale: 0.25, proj_type: 'std' },
    optimizer: 'galore_adamw',
    backend: 'wasm',
    device: { kind: 'wasm', name: 'wasm (CPU)', memoryLabel: 'wasm heap (CPU memory)' },
    totalSteps: null,
    controls: null,
    ...overrides,
  };
}

/** A fake clock advancing 250 ms per call. */
export function fakeClock(start = Date.parse('2026-11-01T10:00:00.000Z'), step = 250): () => number {
  let t = start;
  return () => (t += step);
}

export interface SampleOptions {
  steps: number;
  galore?: boolean;
  layers?: number;
  gap?: number;
  limits?: RecorderLimits;
  run?: Partial<RunMetadata>;
}

/** Feeds a recorder `steps` steps (and GaLore refreshes every `gap` steps) and returns it. */
export function sampleRecorder(options: SampleOptions): TelemetryRecorder {
  const layers = options.layers ?? 2;
  const gap = options.gap ?? 5;
  const rec = new TelemetryRecorder(runMetadata({ totalSteps: options.steps, ...options.run }), options.limits, fakeClock());
  for (let step = 1; step <= options.steps; step++) {
    if (options.galore && (step - 1) % gap === 0) {
      for (let layer = 0; layer < layers; layer++) {
        for (const [i, module] of MODULES.entries()) {
          rec.recordSubspace({
            name: `model.layers.${layer}.${module}.weight`,
            step: step - 1,
            shape: [128, 128],
            side: 'left',
            rank: 8,
            singularValues: Array.from({ length: 24 }, (_, k) => 10 / (k + 1) + i),
            energyCaptured: 0.5 + 0.01 * i + 0.001 * step,
            overlap: step === 1 ? null : 0.9 - 0.01 * layer,
          });
        }
      }
    }
    rec.recordStep({ step, loss: 5 / Math.sqrt(step) + 0.01 * (step % 3), lr: 1e-3, gradNorm: 1 + 1 / step, tokens: 512, timeMs: 400 });
    rec.recordMemory({
      step,
      parts: { weights: 4e6, gradients: 4e6, optimizerStates: step === 1 ? 0 : 2e6, activations: 3e6, workspace: 1e6 },
      partSources: { optimizerStates: 'live' },
      tensorBytes: 9e6 + step,
      wasmHeapBytes: 64 * 2 ** 20,
      device: { kind: 'wasm', label: 'wasm heap (CPU memory)', usedBytes: 64 * 2 ** 20, totalBytes: null, processBytes: null, source: 'wasm-heap' },
    });
  }
  return rec;
}

export function sampleMessage(options: SampleOptions): TelemetryMessage {
  return sampleRecorder(options).message();
}
