/**
 * Telemetry messages of a mixture-of-experts run for tests, made by the real
 * recorder (so schema and recorder cannot drift apart) with a fake clock.
 */
import type { TelemetryMessage } from '../../kernel-lib/src/telemetry/schema';
import type { RoutingInput } from '../../kernel-lib/src/telemetry/routing-history';
import { TelemetryRecorder } from '../../kernel-lib/src/telemetry/telemetry-recorder';
import { fakeClock, runMetadata } from './fixtures';

export const ROUTED_MODULES = ['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.up_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.mlp.up_proj'];

/** Step `step`'s routing: module i sends (0.4 + 0.1 i) of its slots to expert 0, the rest evenly; entropy falls with the step. */
export function routingAt(step: number, experts = 4): RoutingInput {
  return {
    step,
    numExperts: experts,
    topK: 2,
    modules: ROUTED_MODULES.map((name, i) => {
      const first = 0.4 + 0.1 * i;
      return { name, load: [first, ...Array.from({ length: experts - 1 }, () => (1 - first) / (experts - 1))], entropy: 1.3 - 0.01 * step - 0.05 * i };
    }),
    loadBalanceLoss: 1 + 0.1 / step,
    contrastiveLoss: step % 2 === 0 ? 2 - 0.01 * step : null,
  };
}

/** A recorder fed `steps` steps of loss, memory and routing. */
export function routedRecorder(steps: number): TelemetryRecorder {
  const rec = new TelemetryRecorder(runMetadata({ method: 'lora', methodOptions: { r: 4, num_experts: 4, top_k: 2 }, optimizer: 'adamw', totalSteps: steps }), {}, fakeClock());
  for (let step = 1; step <= steps; step++) {
    rec.recordStep({ step, loss: 4 / Math.sqrt(step), lr: 1e-3, gradNorm: 1, tokens: 256, timeMs: 200 });
    rec.recordRouting(routingAt(step));
  }
  return rec;
}

export function routedMessage(steps: number): TelemetryMessage {
  return routedRecorder(steps).message();
}
