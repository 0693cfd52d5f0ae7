// @vitest-environment happy-dom
/**
 * The extension's renderers and models without a browser: bad data gives a
 * readable notice (never HTML from the data), good data reaches plotly, the
 * store keeps runs per kernel. plotly.js itself is replaced by a recorder.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { clearPlotlyRecords, plotlyCalls, stubResizeObserver } from './helpers/fake-plotly';

vi.mock('galore-lab/dist/telemetry/schema', () => import('../../kernel-lib/src/telemetry/schema'));
// Only tokens are used from these; their real modules pull in web components that need a full browser.
vi.mock('@jupyterlab/notebook', () => ({ INotebookTracker: { name: 'INotebookTracker' } }));
vi.mock('@jupyterlab/statusbar', () => ({ IStatusBar: { name: 'IStatusBar' } }));
vi.mock('../../extension/src/plotly', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../extension/src/plotly')>()),
  loadPlotly: async () => (await import('./helpers/fake-plotly')).fakePlotly
}));

stubResizeObserver();

const { TelemetryDashboard, lossTraces, memoryTraces, summaryText } = await import('../../extension/src/dashboard-renderer');
const { PlotlyRenderer, parsePlotlyFigure, PLOTLY_MIME_TYPE } = await import('../../extension/src/plotly-renderer');
const { TelemetryStore } = await import('../../extension/src/telemetry-store');
const { statusText } = await import('../../extension/src/status-bar-item');
const { rankRows, weightLabel } = await import('../../extension/src/subspace-widget');
const { timelineTraces } = await import('../../extension/src/memory-timeline');
const { parseControlReply } = await import('../../extension/src/run-control-client');
const { TELEMETRY_MIME_TYPE } = await import('../../kernel-lib/src/telemetry/schema');
const { currentChartTheme } = await import('../../extension/src/theme');
const { sampleMessage, sampleRecorder } = await import('../telemetry/fixtures');

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const mimeModel = (mime: string, data: unknown) => ({ trusted: false, data: { [mime]: data as any }, metadata: {}, setData: () => undefined });
const dashboard = () => new TelemetryDashboard({ mimeType: TELEMETRY_MIME_TYPE, sanitizer: {} as any, resolver: null, linkHandler: null, latexTypesetter: null });

beforeEach(clearPlotlyRecords);

describe('telemetry dashboard renderer', () => {
  it('draws loss, throughput and memory charts and a text header', async () => {
    const widget = dashboard();
    const message = sampleMessage({ steps: 12, galore: true });
    await widget.renderModel(mimeModel(TELEMETRY_MIME_TYPE, clone(message)));
    expect(plotlyCalls).toHaveLength(3);
    expect(plotlyCalls.map((c) => c.node.className)).toEqual([
      'jp-GaloreLab-chart jp-GaloreLab-lossChart',
      'jp-GaloreLab-chart jp-GaloreLab-memoryChart',
      'jp-GaloreLab-chart jp-GaloreLab-throughputChart'
    ]);
    const node = widget.node;
    expect(node.dataset).toMatchObject({ status: 'running', step: '12', rendered: '12', runId: 'run-test' });
    expect(node.querySelector('.jp-GaloreLab-dashboardTitle')!.textContent).toBe('GaLore Lab training · tiny-qwen2 · GaLore r=8, gap 5, scale 0.25 · wasm');
    expect(node.querySelector('.jp-GaloreLab-summary')!.textContent).toBe(summaryText(message));
    expect((node.querySelector('.jp-GaloreLab-notice') as HTMLElement).hidden).toBe(true);
    // an update re-renders the same chart nodes (in place)
    const nodes = plotlyCalls.map((c) => c.node);
    await widget.renderModel(mimeModel(TELEMETRY_MIME_TYPE, clone(sampleMessage({ steps: 13, galore: true }))));
    expect(plotlyCalls.slice(3).map((c) => c.node)).toEqual(nodes);
    expect(node.dataset.step).toBe('13');
  });

  it.each<[string, unknown, RegExp]>([
    ['a string', 'not telemetry', /^This training telemetry cannot be shown\.message: expected an object, got the string "not telemetry"$/],
    ['a wrong schema', { schema: 'x', version: 1 }, /message\.schema: expected "galore-lab\.telemetry", got the string "x"/],
    ['a bad step', (() => { const m = clone(sampleMessage({ steps: 3 })) as any; m.steps[1].loss = null; return m; })(), /message\.steps\[1\]\.loss: expected a finite number, got null/],
    ['a newer version', { schema: 'galore-lab.telemetry', version: 7 }, /^This training telemetry is newer than this extension\.this telemetry uses schema version 7/]
  ])('shows a readable notice for %s and draws nothing', async (_label, data, expected) => {
    const widget = dashboard();
    await widget.renderModel(mimeModel(TELEMETRY_MIME_TYPE, data));
    const notice = widget.node.querySelector('.jp-GaloreLab-notice') as HTMLElement;
    expect(notice.hidden).toBe(false);
    expect(notice.textContent).toMatch(expected);
    expect((widget.node.querySelector('.jp-GaloreLab-charts') as HTMLElement).hidden).toBe(true);
    expect(widget.node.dataset.status).toBe('invalid');
    expect(plotlyCalls).toHaveLength(0);
  });

  it('inserts nothing from the data as HTML', async () => {
    const evil = '<img src=x onerror="globalThis.__pwned = 1"><script>globalThis.__pwned = 2</script>';
    const rec = sampleRecorder({ steps: 4, galore: true, run: { model: { name: evil, parameters: 1, trainableParameters: 1, layers: 2, hiddenSize: 8 } } });
    rec.finish('failed', evil);
    const widget = dashboard();
    document.body.append(widget.node);
    await widget.renderModel(mimeModel(TELEMETRY_MIME_TYPE, clone(rec.message())));
    expect(widget.node.querySelectorAll('img, script')).toHaveLength(0);
    expect(widget.node.querySelector('.jp-GaloreLab-dashboardTitle')!.textContent).toContain(evil);
    expect(widget.node.querySelector('.jp-GaloreLab-summary')!.textContent).toContain(`failed: ${evil}`);
    // malformed data with HTML in it: shown as text in the notice
    await widget.renderModel(mimeModel(TELEMETRY_MIME_TYPE, { schema: evil }));
    expect(widget.node.querySelectorAll('img, script')).toHaveLength(0);
    expect(widget.node.querySelector('.jp-GaloreLab-noticeDetail')!.textContent).toContain('<img src=x');
    expect((globalThis as any).__pwned).toBeUndefined();
    widget.node.remove();
  });

  it('escapes data-derived text handed to plotly', () => {
    const message = clone(sampleMessage({ steps: 3 }));
    message.latest.memory!.device!.label = '<b>GPU</b>';
    message.memory.forEach((m) => (m.device!.label = '<b>GPU</b>'));
    const traces = memoryTraces(message, currentChartTheme()) as { name: string; hovertemplate: string }[];
    const device = traces[traces.length - 1];
    expect(device.name).toBe('&lt;b&gt;GPU&lt;/b&gt;');
    expect(device.hovertemplate).not.toContain('<b>');
  });

  it('draws the min-max band of downsampled steps and the GPU share of this process', () => {
    const long = sampleMessage({ steps: 2000, limits: { stepCapacity: 16 } });
    const traces = lossTraces(long, currentChartTheme()) as { name?: string; fill?: string }[];
    expect(traces.map((t) => t.name)).toEqual([undefined, 'min–max', 'loss']);
    expect(lossTraces(sampleMessage({ steps: 5 }), currentChartTheme())).toHaveLength(1);
    const gpu = clone(sampleMessage({ steps: 2 }));
    for (const m of gpu.memory) m.device = { kind: 'gpu', label: 'GPU 0 memory', usedBytes: 8 * 2 ** 30, totalBytes: 80 * 2 ** 30, processBytes: 2 ** 30, source: 'nvidia-smi' };
    const memory = memoryTraces(gpu, currentChartTheme()) as { name: string; y: number[] }[];
    expect(memory[memory.length - 1]).toMatchObject({ name: 'GPU 0 memory', y: [1024, 1024] });
  });
});

describe('plotly renderer', () => {
  it('checks figures', () => {
    expect(parsePlotlyFigure({ data: [{ y: [1, 2] }] })).toEqual({ ok: true, figure: { data: [{ y: [1, 2] }], layout: {}, config: {}, frames: null } });
    expect(parsePlotlyFigure({ data: 5 })).toEqual({ ok: false, problem: '"data": expected an array of traces' });
    expect(parsePlotlyFigure({ data: [1] })).toEqual({ ok: false, problem: '"data[0]": expected a trace object' });
    expect(parsePlotlyFigure({ data: [], layout: [] })).toEqual({ ok: false, problem: '"layout": expected an object' });
    expect(parsePlotlyFigure(null)).toMatchObject({ ok: false });
  });

  it('renders a figure, or a notice for bad data', async () => {
    const renderer = new PlotlyRenderer({ mimeType: PLOTLY_MIME_TYPE, sanitizer: {} as any, resolver: null, linkHandler: null, latexTypesetter: null });
    await renderer.renderModel(mimeModel(PLOTLY_MIME_TYPE, { data: [{ y: [1, 3] }], layout: { title: { text: 't' } } }));
    expect(plotlyCalls).toHaveLength(1);
    expect(plotlyCalls[0].layout).toMatchObject({ title: { text: 't' }, height: 360 });
    expect(renderer.node.dataset.rendered).toBe('true');
    await renderer.renderModel(mimeModel(PLOTLY_MIME_TYPE, { data: '<img src=x>' }));
    expect(plotlyCalls).toHaveLength(1);
    expect(renderer.node.querySelector('.jp-GaloreLab-notice')!.textContent).toBe('This plotly figure cannot be shown."data": expected an array of traces');
    expect(renderer.node.querySelectorAll('img')).toHaveLength(0);
  });
});

describe('telemetry store and the views it feeds', () => {
  it('keeps runs per kernel, the newest snapshot of each, and the last problem', () => {
    const store = new TelemetryStore();
    const changes: unknown[] = [];
    store.changed.connect((_, change) => changes.push(change));
    const a = clone(sampleMessage({ steps: 3 }));
    const b = clone(sampleMessage({ steps: 5, run: { runId: 'run-b', startedAt: '2026-11-01T11:00:00.000Z' } }));
    expect(store.ingest('k1', a)).toBe(true);
    expect(store.ingest('k1', b)).toBe(true);
    expect(store.ingest('k2', a)).toBe(true);
    expect(store.runs('k1').map((r) => r.runId)).toEqual(['run-test', 'run-b']);
    expect(store.latest('k1')!.runId).toBe('run-b');
    // an older snapshot of a run never replaces a newer one
    const older = clone(a);
    older.updatedAt = '2000-01-01T00:00:00.000Z';
    older.latest.step!.step = 1;
    store.ingest('k1', older);
    expect(store.runs('k1')[0].message.latest.step!.step).toBe(3);
    expect(store.ingest('k1', { schema: 'nope' })).toBe(false);
    expect(store.problem('k1')).toMatch(/message\.schema/);
    expect(store.runs('k1')).toHaveLength(2);
    store.ingest('k1', b);
    expect(store.problem('k1')).toBeNull();
    expect(store.runs(null)).toEqual([]);
    expect(changes).toHaveLength(5); // the older snapshot changed nothing
  });

  it('formats the status bar and the rank table', () => {
    const store = new TelemetryStore();
    store.ingest('k', clone(sampleMessage({ steps: 7, galore: true })));
    expect(statusText(store.latest('k')!)).toBe('GaLore step 7/7 · 64.0 MiB');
    const paused = sampleRecorder({ steps: 2, run: { runId: 'run-p' } });
    paused.setStatus('paused');
    store.ingest('k', clone(paused.message()));
    expect(statusText(store.latest('k')!)).toBe('GaLore step 2/2 (paused) · 64.0 MiB');
    const sub = sampleMessage({ steps: 6, galore: true }).subspaces!;
    const rows = rankRows(sub.latest);
    expect(rows.map((r) => r.layer)).toEqual(['0', '1']);
    expect(rows[0].modules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    expect(rows[1].cells.map((c) => c!.rank)).toEqual([8, 8, 8, 8, 8, 8, 8]);
    expect(weightLabel(sub.latest[0])).toBe('L0 q_proj');
  });

  it('lines runs up on one clock in the memory timeline, names escaped', () => {
    const a = clone(sampleMessage({ steps: 4 }));
    const b = clone(sampleMessage({ steps: 4, run: { runId: 'run-<b>', startedAt: '2026-11-01T10:01:00.000Z' } }));
    const traces = timelineTraces([a, b]) as { name: string; x: number[] }[];
    expect(traces).toHaveLength(4);
    expect(traces[0].x[0]).toBeCloseTo(0.5, 3); // the fake clock ticks 250 ms per call
    expect(traces[2].x[0]).toBeCloseTo(60.5, 3);
    expect(traces[2].name).toBe('run-&lt;b&gt; (GaLore r=8): wasm heap (CPU memory)');
  });

  it('checks control replies', () => {
    expect(parseControlReply({ ok: true, runId: 'r', command: 'pause', status: 'paused', updateIntervalMs: 1000 })).toMatchObject({ ok: true, status: 'paused' });
    expect(parseControlReply({ ok: false, runId: 'r', command: 'pause', reason: 'gone' })).toEqual({ ok: false, runId: 'r', command: 'pause', reason: 'gone' });
    expect(parseControlReply('junk')).toMatchObject({ ok: false, reason: expect.stringMatching(/does not understand/) });
  });
});
