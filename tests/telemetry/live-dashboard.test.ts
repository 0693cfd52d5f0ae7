/**
 * liveDashboard driving a real (tiny) GaLore training run, with a fake kernel
 * hook standing in for the GaLore Lab kernel: display_id updates, throttling,
 * subspace events, memory parts, and pause/resume/stop/rate through the
 * control comm target.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import type { SftExample } from '../../kernel-lib/src/data/sft-examples';
import { KERNEL_HOOK_KEY, type CommMessage, type CommTargetHandler, type DisplayRequest, type GaloreKernelHook, type KernelComm, type MimeBundle } from '../../kernel-lib/src/display/kernel-hook';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { galoreAdamW } from '../../kernel-lib/src/optim/galore-adamw';
import { liveDashboard } from '../../kernel-lib/src/telemetry/live-dashboard';
import { TELEMETRY_CONTROL_TARGET, TELEMETRY_MIME_TYPE, parseTelemetry, type TelemetryControlReply, type TelemetryMessage } from '../../kernel-lib/src/telemetry/schema';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => {
  await initBackend('wasm');
});

function randomExamples(n: number, len: number, seed: number, vocab: number): SftExample[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: len }, () => rng.int(vocab));
    return { inputIds: ids, labels: ids.slice() };
  });
}

interface FakeKernel {
  displays: { bundle: MimeBundle; request: DisplayRequest }[];
  targets: Map<string, CommTargetHandler>;
  abort: AbortController;
  /** Opens a comm from the "frontend" to a target; returns the replies it receives and a sender. */
  openFromFrontend(target: string, data: unknown): Promise<{ replies: unknown[]; send(data: unknown): Promise<void> }>;
  messages(): TelemetryMessage[];
}

function installFakeKernel(): FakeKernel {
  const displays: FakeKernel['displays'] = [];
  const targets = new Map<string, CommTargetHandler>();
  const abort = new AbortController();
  const hook: GaloreKernelHook = {
    protocol: 1,
    implementation: 'fake',
    display: (bundle, request = {}) => void displays.push({ bundle, request }),
    clearOutput: () => undefined,
    registerCommTarget: (name, handler) => {
      targets.set(name, handler);
      return () => void targets.delete(name);
    },
    openComm: () => {
      throw new Error('not used');
    },
    cellSignal: () => abort.signal,
  };
  (globalThis as Record<symbol, unknown>)[KERNEL_HOOK_KEY] = hook;
  return {
    displays,
    targets,
    abort,
    async openFromFrontend(target, data) {
      const handler = targets.get(target);
      if (!handler) throw new Error(`no comm target ${target}`);
      const replies: unknown[] = [];
      let onMessage: ((m: CommMessage) => void | Promise<void>) | null = null;
      const comm: KernelComm = {
        commId: 'c1',
        targetName: target,
        closed: false,
        send: (d) => void replies.push(d),
        close: () => undefined,
        onMessage: (h) => void (onMessage = h),
        onClose: () => undefined,
      };
      await handler(comm, { data, metadata: {}, buffers: [] });
      return { replies, send: async (d) => void (await onMessage?.({ data: d, metadata: {}, buffers: [] })) };
    },
    messages: () => displays.map((d) => {
      const parsed = parseTelemetry(d.bundle[TELEMETRY_MIME_TYPE]);
      if (!parsed.ok) throw new Error(parsed.problem);
      return parsed.message;
    }),
  };
}

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[KERNEL_HOOK_KEY];
});

describe('liveDashboard', () => {
  it('shows a GaLore run live: one display, updated in place, with steps, memory parts and subspaces', async () => {
    const kernel = installFakeKernel();
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 3);
    const data = randomExamples(8, 12, 1, cfg.vocab_size);
    const opt = galoreAdamW({ rank: 4, update_proj_gap: 2, scale: 0.25 });
    const dash = liveDashboard({ model, optimizer: opt, steps: 4, batchSize: 2, seqLen: 12, updateIntervalMs: 0, name: 'tiny test' });
    const result = await dash.watch(trainModel(model, opt, data, { steps: 4, batchSize: 2, seqLen: 12, lr: 1e-3, progress: false, ...dash.trainOptions }));
    expect(result.steps).toBe(4);

    const [first, ...updates] = kernel.displays;
    expect(first.request.update).toBeFalsy();
    expect(first.request.displayId).toBe(dash.displayId);
    expect(updates.length).toBeGreaterThanOrEqual(4);
    for (const u of updates) expect(u.request).toMatchObject({ update: true, displayId: dash.displayId });
    expect(first.bundle['text/plain']).toMatch(/GaLore Lab training: tiny test/);

    const final = kernel.messages().pop()!;
    expect(final.status).toBe('finished');
    expect(final.end).toMatchObject({ status: 'finished', step: 4, reason: null });
    expect(final.run).toMatchObject({ method: 'galore', optimizer: 'galore_adamw', backend: 'wasm', totalSteps: 4, controls: { commTarget: TELEMETRY_CONTROL_TARGET } });
    expect(final.run.methodOptions).toMatchObject({ rank: 4, update_proj_gap: 2, scale: 0.25, proj_type: 'std' });
    expect(final.run.device).toEqual({ kind: 'wasm', name: 'wasm (CPU)', memoryLabel: 'wasm heap (CPU memory)' });
    expect(final.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(final.steps.every((s) => s.tokensPerSecond! > 0 && Number.isFinite(s.loss))).toBe(true);
    const mem = final.latest.memory!;
    expect(mem.partSources.optimizerStates).toBe('live');
    expect(mem.parts.optimizerStates).toBe(opt.stateBytes());
    expect(mem.parts.weights).toBeGreaterThan(0);
    expect(mem.parts.activations).toBeGreaterThan(0);
    expect(mem.device).toMatchObject({ kind: 'wasm', source: 'wasm-heap' });
    expect(mem.tensorBytes).toBeGreaterThan(mem.parts.weights * 0.5);
    const sub = final.subspaces!;
    expect(sub.weights).toHaveLength(cfg.num_hidden_layers * 7);
    expect(sub.refreshSteps).toEqual([0, 2]);
    expect(sub.latest.every((e) => e.rank === 4 && e.energyCaptured > 0 && e.energyCaptured <= 1 && e.overlap !== null)).toBe(true);
    expect(sub.overlap.every((row) => row[0] === null && row[1] !== null)).toBe(true);
    // the run is released: the control target no longer knows it
    const { replies } = await kernel.openFromFrontend(TELEMETRY_CONTROL_TARGET, { command: 'status', runId: dash.runId });
    expect(replies[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/not running in this kernel/) });
    opt.dispose();
    model.dispose();
  });

  it('throttles display updates to the interval and always sends the end', async () => {
    const kernel = installFakeKernel();
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 4);
    const opt = adamW();
    const dash = liveDashboard({ model, optimizer: opt, steps: 5, updateIntervalMs: 60_000 });
    await dash.watch(trainModel(model, opt, randomExamples(4, 8, 2, cfg.vocab_size), { steps: 5, batchSize: 2, seqLen: 8, lr: 1e-3, progress: false, ...dash.trainOptions }));
    expect(kernel.displays).toHaveLength(2); // the first display and the final update
    const final = kernel.messages()[1];
    expect(final).toMatchObject({ status: 'finished', run: { method: 'full', optimizer: 'adamw' }, subspaces: null });
    expect(final.history.stepsSeen).toBe(5);
    opt.dispose();
    model.dispose();
  });

  it('pauses, resumes, changes the rate and stops from the control comm', async () => {
    const kernel = installFakeKernel();
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 5);
    const opt = adamW();
    const dash = liveDashboard({ model, optimizer: opt, steps: 50, updateIntervalMs: 0 });
    const control = await kernel.openFromFrontend(TELEMETRY_CONTROL_TARGET, { runId: dash.runId });
    const events: string[] = [];
    let pausedAt = 0;
    let pausedFor = 0;
    let step3 = { tokens: 0, timeMs: 0 };
    const onStep = dash.trainOptions.onStep;
    const training = trainModel(model, opt, randomExamples(4, 8, 3, cfg.vocab_size), {
      steps: 50, batchSize: 2, seqLen: 8, lr: 1e-3, progress: false, ...dash.trainOptions,
      onStep: (record) => {
        const verdict = onStep(record);
        events.push(`step ${record.step}`);
        if (record.step === 3) step3 = { tokens: record.tokens, timeMs: record.time_ms };
        if (record.step === 2) {
          void control.send({ command: 'pause', runId: dash.runId });
          pausedAt = Date.now();
          setTimeout(() => {
            pausedFor = Date.now() - pausedAt;
            events.push('resume');
            void control.send({ command: 'resume', runId: dash.runId });
          }, 400);
        }
        if (record.step === 4) void control.send({ command: 'set-rate', runId: dash.runId, intervalMs: 250 });
        if (record.step === 5) void control.send({ command: 'stop', runId: dash.runId });
        return verdict;
      },
    });
    const result = await dash.watch(training);
    // paused after step 2 until resumed; stopped after the step in progress when the stop came
    expect(events.slice(0, 4)).toEqual(['step 1', 'step 2', 'resume', 'step 3']);
    expect(pausedFor).toBeGreaterThanOrEqual(390);
    expect(result.steps).toBe(6);
    const replies = control.replies as TelemetryControlReply[];
    expect(replies.map((r) => (r.ok ? `${r.command}:${r.status}` : 'error'))).toEqual(['pause:paused', 'resume:running', 'set-rate:running', 'stop:running']);
    expect(replies[2]).toMatchObject({ updateIntervalMs: 250 });
    const messages = kernel.messages();
    expect(messages.some((m) => m.status === 'paused')).toBe(true);
    const final = messages[messages.length - 1];
    expect(final).toMatchObject({ status: 'stopped', updateIntervalMs: 250, end: { status: 'stopped', step: 6, reason: 'stopped from the training monitor' } });
    // the pause does not count as training time: the trainer's time_ms of step 3 includes it, tokens/s does not
    expect(step3.timeMs).toBeGreaterThanOrEqual(390);
    const tps = final.steps.find((s) => s.step === 3)!.tokensPerSecond!;
    expect(tps).toBeGreaterThan((1.5 * step3.tokens * 1000) / step3.timeMs);
    // unknown runs and bad requests get readable errors
    await control.send({ command: 'pause', runId: 'run-nope' });
    await control.send({ command: 'explode', runId: dash.runId });
    expect(control.replies.slice(-2)).toEqual([
      expect.objectContaining({ ok: false, reason: expect.stringMatching(/run-nope is not running/) }),
      expect.objectContaining({ ok: false, reason: expect.stringMatching(/request\.command: expected one of/) }),
    ]);
    opt.dispose();
    model.dispose();
  });

  it('marks a failed run with the error and stops on interrupt', async () => {
    const kernel = installFakeKernel();
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 6);
    const opt = adamW();
    const dash = liveDashboard({ model, optimizer: opt, steps: 30, updateIntervalMs: 0 });
    await expect(dash.watch(Promise.reject(new Error('out of memory <boom>')))).rejects.toThrow(/out of memory/);
    expect(kernel.messages().pop()).toMatchObject({ status: 'failed', end: { status: 'failed', reason: 'out of memory <boom>' } });

    const dash2 = liveDashboard({ model, optimizer: opt, steps: 30, updateIntervalMs: 0 });
    const result = await dash2.watch(trainModel(model, opt, randomExamples(4, 8, 3, cfg.vocab_size), {
      steps: 30, batchSize: 2, seqLen: 8, lr: 1e-3, progress: false, ...dash2.trainOptions,
      onStep: (r) => {
        if (r.step === 2) kernel.abort.abort();
        return dash2.onStep(r);
      },
    }));
    expect(result.steps).toBe(2);
    expect(kernel.messages().pop()).toMatchObject({ status: 'stopped', end: { reason: 'interrupted' } });
    opt.dispose();
    model.dispose();
  });

  it('holds a trainer that awaits onStep while paused, and stops it there without another step', async () => {
    const kernel = installFakeKernel();
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 8);
    const dash = liveDashboard({ model, steps: 10, updateIntervalMs: 0 });
    const control = await kernel.openFromFrontend(TELEMETRY_CONTROL_TARGET, { runId: dash.runId });
    const record = (step: number) => ({ step, loss: 3, lr: 1e-3, grad_norm: 1, time_ms: 10, memory: 1000, tokens: 10, epoch: 0 });
    expect(dash.onStep(record(1))).toBeUndefined();
    await control.send({ command: 'pause', runId: dash.runId });
    const held = dash.onStep(record(2));
    expect(held).toBeInstanceOf(Promise);
    let settled = false;
    void (held as Promise<unknown>).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    await control.send({ command: 'resume', runId: dash.runId });
    expect(await held).toBeUndefined();
    await control.send({ command: 'pause', runId: dash.runId });
    const heldAgain = dash.onStep(record(3));
    await control.send({ command: 'stop', runId: dash.runId });
    expect(await heldAgain).toBe('stop');
    expect(kernel.messages().pop()).toMatchObject({ status: 'stopped', end: { step: 3, reason: 'stopped from the training monitor' } });
    model.dispose();
  });

  it('works without a kernel: no controls, text on stdout only when asked to display', () => {
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 7);
    const dash = liveDashboard({ model, display: false });
    const m = dash.close();
    expect(m.run.controls).toBeNull();
    expect(m).toMatchObject({ status: 'finished', run: { method: 'full', optimizer: 'unknown' } });
    model.dispose();
  });
});
