import { describe, expect, it } from 'vitest';
import { DeviceMemoryProbe, parseNvidiaSmiGpus, parseNvidiaSmiProcessBytes, type CommandRunner } from '../../kernel-lib/src/telemetry/device-memory';
import { TELEMETRY_MIME_TYPE, parseTelemetry } from '../../kernel-lib/src/telemetry/schema';
import { telemetryBundle, telemetryHtml, telemetryText } from '../../kernel-lib/src/telemetry/telemetry-bundle';
import { sampleMessage, sampleRecorder } from './fixtures';

describe('telemetry MIME bundle', () => {
  it('carries the message and text/plain + text/html fallbacks', () => {
    const message = sampleMessage({ steps: 12, galore: true });
    const bundle = telemetryBundle(message);
    expect(Object.keys(bundle).sort()).toEqual([TELEMETRY_MIME_TYPE, 'text/html', 'text/plain'].sort());
    expect(parseTelemetry(bundle[TELEMETRY_MIME_TYPE]).ok).toBe(true);
    const text = bundle['text/plain'] as string;
    expect(text).toMatch(/^GaLore Lab training: tiny-qwen2, GaLore r=8, gap 5, scale 0.25 \(running\)/);
    expect(text).toMatch(/step 12\/12 {2}loss \d\.\d{4}/);
    expect(text).toMatch(/memory: 64.0 MiB wasm heap \(CPU memory\); tensors 8.58 MiB \(wasm backend\)/);
    expect(text).toMatch(/14 GaLore weights, rank 8, 3 refreshes, mean captured energy 0\.5\d\d/);
    const html = bundle['text/html'] as string;
    expect(html).toContain('<svg');
    expect(html).toContain('GaLore r=8');
  });

  it('escapes every string from the run in the HTML fallback', () => {
    const rec = sampleRecorder({ steps: 3, run: { model: { name: '<img src=x onerror=alert(1)>', parameters: 1, trainableParameters: 1, layers: 1, hiddenSize: 1 } } });
    rec.finish('failed', '<script>alert("x")</script>');
    const html = telemetryHtml(rec.message());
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(telemetryText(rec.message())).toMatch(/failed after 3 steps in \d+\.\d s: <script>/);
  });

  it('shows a run with no steps yet', () => {
    const message = sampleMessage({ steps: 0 });
    expect(telemetryText(message)).toMatch(/\nstep 0 {2}loss – {2}lr –/);
    expect(telemetryHtml(message)).not.toContain('<svg');
  });
});

describe('device memory', () => {
  it('parses nvidia-smi', () => {
    expect(parseNvidiaSmiGpus('0, NVIDIA H100 80GB HBM3, 1234, 81559\n1, A, B, C\n\n')).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', usedBytes: 1234 * 2 ** 20, totalBytes: 81559 * 2 ** 20 },
    ]);
    expect(parseNvidiaSmiGpus('0, Tesla T4, with, comma, 10, 20')[0]).toMatchObject({ name: 'Tesla T4, with, comma', usedBytes: 10 * 2 ** 20 });
    expect(parseNvidiaSmiProcessBytes('4242, 512\n77, 100\n4242, 2\n', 4242)).toBe(514 * 2 ** 20);
    expect(parseNvidiaSmiProcessBytes('77, 100\n', 4242)).toBeNull();
  });

  it('reports a GPU on the tensorflow backend when nvidia-smi answers, with this process\'s share', async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (_file, args) => {
      calls.push(args[0]);
      return args[0].startsWith('--query-gpu') ? '0, NVIDIA H100 80GB HBM3, 2048, 81559\n' : `${4242}, 1024\n`;
    };
    const probe = new DeviceMemoryProbe({ backend: 'tensorflow', run, pid: 4242, minIntervalMs: 60_000 });
    await probe.start();
    expect(probe.deviceInfo()).toEqual({ kind: 'gpu', name: 'NVIDIA H100 80GB HBM3', memoryLabel: 'GPU 0 memory' });
    expect(probe.sample()).toEqual({
      kind: 'gpu', label: 'GPU 0 memory', usedBytes: 2048 * 2 ** 20, totalBytes: 81559 * 2 ** 20, processBytes: 1024 * 2 ** 20, source: 'nvidia-smi',
    });
    probe.sample();
    expect(calls).toHaveLength(2); // rate-limited: no second query within minIntervalMs
  });

  it('labels CPU memory honestly when there is no GPU', async () => {
    const probe = new DeviceMemoryProbe({ backend: 'tensorflow', run: async () => null });
    await probe.start();
    expect(probe.deviceInfo()).toEqual({ kind: 'cpu', name: 'CPU (tensorflow)', memoryLabel: 'process RSS (CPU memory)' });
    const s = probe.sample();
    expect(s).toMatchObject({ kind: 'cpu', label: 'process RSS (CPU memory)', source: 'process-rss', processBytes: null });
    expect(s.usedBytes).toBeGreaterThan(0);
    expect(s.totalBytes).toBeGreaterThan(s.usedBytes);
  });

  it('labels the wasm heap as CPU memory', () => {
    const probe = new DeviceMemoryProbe({ backend: 'wasm', run: async () => { throw new Error('must not run nvidia-smi on wasm'); } });
    expect(probe.deviceInfo().memoryLabel).toBe('wasm heap (CPU memory)');
    expect(probe.sample(128 * 2 ** 20)).toEqual({ kind: 'wasm', label: 'wasm heap (CPU memory)', usedBytes: 128 * 2 ** 20, totalBytes: null, processBytes: null, source: 'wasm-heap' });
  });
});
