import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import type { SftExample } from '../../kernel-lib/src/data/sft-examples';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { loraMoE } from '../../kernel-lib/src/moe/lora-moe-adapter';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { memoryLedger } from '../../kernel-lib/src/memory/memory-ledger';
import { liveDashboard } from '../../kernel-lib/src/telemetry/live-dashboard';
import { RoutingHistory } from '../../kernel-lib/src/telemetry/routing-history';
import { methodLabel, parseTelemetry } from '../../kernel-lib/src/telemetry/schema';
import { telemetryHtml, telemetryText } from '../../kernel-lib/src/telemetry/telemetry-bundle';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';
import { sampleMessage } from './fixtures';
import { ROUTED_MODULES, routedMessage, routedRecorder, routingAt } from './routing-fixtures';

beforeAll(async () => { await initBackend('wasm'); });

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('expert routing telemetry', () => {
  it('records expert load (latest and mean), entropy per layer and the auxiliary losses', () => {
    const routing = routedMessage(3).routing!;
    expect(routing).toMatchObject({ numExperts: 4, topK: 2, modules: ROUTED_MODULES, layers: [0, 0, 1, 1], step: 3, stepsSeen: 3 });
    expect(routing.load[1]).toEqual([0.5, 0.1667, 0.1667, 0.1667]);
    expect(routing.meanLoad[3][0]).toBe(0.7);
    for (const row of routing.meanLoad) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    const [first, , third] = routing.history;
    // step 1: layer 0 modules have entropies 1.29 and 1.24, layer 1 1.19 and 1.14
    expect(first.entropyByLayer).toEqual([1.265, 1.165]);
    expect(first.entropy).toBeCloseTo(1.215, 4);
    expect(first.maxLoad).toBeCloseTo((0.4 + 0.5 + 0.6 + 0.7) / 4, 4);
    expect(first.contrastiveLoss).toBeNull();
    expect(third.loadBalanceLoss).toBe(1.033); // 1 + 0.1 / 3, to 4 significant digits
  });

  it('stays bounded however long the run: at most 256 history points standing for every step', () => {
    const message = routedMessage(20_000);
    const history = message.routing!.history;
    expect(history.length).toBeLessThanOrEqual(256);
    expect(history.reduce((n, p) => n + p.count, 0)).toBe(20_000);
    expect(message.routing!.stepsSeen).toBe(20_000);
    expect(JSON.stringify(message.routing).length).toBeLessThan(40_000);
    // merged points average: the entropy of a merged bucket lies between its steps' values
    expect(history[1].entropy).toBeLessThan(history[0].entropy);
  });

  it('round-trips through parseTelemetry; a message without routing (older writers) reads as routing: null', () => {
    const message = routedMessage(5);
    const parsed = parseTelemetry(clone(message));
    expect(parsed.ok && parsed.message.routing).toEqual(message.routing);
    const old = clone(sampleMessage({ steps: 3 })) as unknown as Record<string, unknown>;
    delete old.routing;
    const parsedOld = parseTelemetry(old);
    expect(parsedOld.ok && parsedOld.message.routing).toBeNull();
  });

  it.each<[string, (r: any) => void, RegExp]>([
    ['a load row of the wrong length', (r) => { r.load[2] = [0.5, 0.5]; }, /message\.routing\.load\[2\]: has 2 entries, expected 4 \(one per expert\)/],
    ['top_k above the experts', (r) => { r.topK = 5; }, /message\.routing\.topK: expected an integer in \[1, 4\], got 5/],
    ['a negative share', (r) => { r.meanLoad[0][1] = -0.1; }, /message\.routing\.meanLoad\[0\]\[1\]: expected a number >= 0, got the number -0\.1/],
    ['layers not matching modules', (r) => { r.layers.pop(); }, /message\.routing\.layers: has 3 entries, expected one per routed module \(4\)/],
    ['a bad history point', (r) => { r.history[0].entropy = 'x'; }, /message\.routing\.history\[0\]\.entropy: expected a finite number, got the string "x"/],
  ])('rejects %s, naming the field', (_label, spoil, problem) => {
    const message = clone(routedMessage(2)) as any;
    spoil(message.routing);
    const parsed = parseTelemetry(message);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  it('text and HTML fallbacks carry a routing line; the method label names the experts', () => {
    const message = routedMessage(4);
    expect(methodLabel(message.run)).toBe('LoRA-MoE r=4, 4 experts, top-2');
    expect(telemetryText(message)).toMatch(/^routing: 4 experts, top-2, 4 routed modules: entropy 1\.\d\d nats \(uniform 1\.39\), busiest expert 55% of slots$/m);
    expect(telemetryHtml(message)).toContain('<th style="text-align:left;padding-right:1em">routing</th>');
    expect(telemetryText(sampleMessage({ steps: 2 }))).not.toMatch(/routing/);
  });

  it('RoutingHistory refuses a change of routing shape within a run', () => {
    const h = new RoutingHistory();
    h.record(routingAt(1));
    expect(() => h.record(routingAt(2, 3))).toThrow(/3 experts \/ top-2 after 4 \/ top-2/);
    expect(routedRecorder(1).message().routing!.history).toHaveLength(1);
  });

  it('liveDashboard records a real LoRA-MoE run: its options, its ledger and the routing of every step', async () => {
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 6);
    const moe = loraMoE(model, { num_experts: 4, top_k: 2, r: 2, target_modules: ['q_proj', 'up_proj'], contrastive_tokens: 8 });
    const view = moe.trainingModel();
    const rng = seededRandom(3);
    const data: SftExample[] = Array.from({ length: 8 }, () => {
      const ids = Array.from({ length: 10 }, () => rng.int(cfg.vocab_size));
      return { inputIds: ids, labels: ids.slice() };
    });
    const opt = adamW();
    const dash = liveDashboard({ model: view, optimizer: opt, steps: 3, batchSize: 2, seqLen: 10, display: false, controls: false });
    await dash.watch(trainModel(view, opt, data, { steps: 3, batchSize: 2, seqLen: 10, lr: 1e-3, progress: false, ...dash.trainOptions }));
    const message = dash.message();
    expect(message.run.method).toBe('lora');
    expect(message.run.methodOptions).toMatchObject({ r: 2, num_experts: 4, top_k: 2, queue_size: 256 });
    expect(methodLabel(message.run)).toBe('LoRA-MoE r=2, 4 experts, top-2');
    const routing = message.routing!;
    expect(routing.modules).toEqual(ROUTED_MODULES);
    expect(routing.history.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(routing.history.every((p) => p.loadBalanceLoss! >= 0.999 && p.entropy > 0 && p.entropy <= Math.log(4))).toBe(true);
    for (const row of routing.load) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    // the ledger counts the experts like one LoRA of rank r * num_experts on the routed modules
    const ledger = memoryLedger(cfg, 'lora', { loraR: 8, loraTargets: ['q_proj', 'up_proj'], batchSize: 2, seqLen: 10 });
    expect(message.latest.memory!.parts.weights).toBe(ledger.weights);
    expect(ledger.weights).toBeLessThan(memoryLedger(cfg, 'lora', { loraR: 8, batchSize: 2, seqLen: 10 }).weights);
    expect(parseTelemetry(clone(message)).ok).toBe(true);
    opt.dispose();
    moe.unload();
    model.dispose();
  });
});
