// @vitest-environment happy-dom
/**
 * The dashboard's expert-routing charts without a browser: a LoRA-MoE
 * message adds the expert-load heatmap and the routing-entropy chart (and a
 * summary line); other messages leave them hidden and draw three charts as
 * before. plotly.js is replaced by a recorder.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { clearPlotlyRecords, plotlyCalls, purged, stubResizeObserver } from './helpers/fake-plotly';

vi.mock('galore-lab/dist/telemetry/schema', () => import('../../kernel-lib/src/telemetry/schema'));
vi.mock('../../extension/src/plotly', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../extension/src/plotly')>()),
  loadPlotly: async () => (await import('./helpers/fake-plotly')).fakePlotly
}));

stubResizeObserver();

const { TelemetryDashboard } = await import('../../extension/src/dashboard-renderer');
const { expertLoadTraces, moduleLabel, routingEntropyTraces, routingSummary } = await import('../../extension/src/expert-routing-view');
const { TELEMETRY_MIME_TYPE } = await import('../../kernel-lib/src/telemetry/schema');
const { currentChartTheme } = await import('../../extension/src/theme');
const { sampleMessage } = await import('../telemetry/fixtures');
const { routedMessage } = await import('../telemetry/routing-fixtures');

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const mimeModel = (data: unknown) => ({ trusted: false, data: { [TELEMETRY_MIME_TYPE]: data as any }, metadata: {}, setData: () => undefined });
const dashboard = () => new TelemetryDashboard({ mimeType: TELEMETRY_MIME_TYPE, sanitizer: {} as any, resolver: null, linkHandler: null, latexTypesetter: null });

beforeEach(clearPlotlyRecords);

describe('expert routing charts', () => {
  it('label modules by layer and short name', () => {
    expect(moduleLabel('model.layers.3.mlp.down_proj')).toBe('L3 down_proj');
    expect(moduleLabel('model.layers.12.self_attn.q_proj')).toBe('L12 q_proj');
    expect(moduleLabel('lm_head')).toBe('lm_head');
  });

  it('draw the mean load as a heatmap (modules x experts) with the latest load on hover', () => {
    const message = routedMessage(6);
    const [heatmap] = expertLoadTraces(message, currentChartTheme()) as any[];
    expect(heatmap.type).toBe('heatmap');
    expect(heatmap.y).toEqual(['L0 q_proj', 'L0 up_proj', 'L1 q_proj', 'L1 up_proj']);
    expect(heatmap.x).toEqual(['expert 1', 'expert 2', 'expert 3', 'expert 4']);
    expect(heatmap.z).toEqual(message.routing!.meanLoad);
    expect(heatmap.customdata).toEqual(message.routing!.load);
    expect(heatmap.zmax).toBe(0.7);
    expect(expertLoadTraces(sampleMessage({ steps: 2 }), currentChartTheme())).toEqual([]);
  });

  it('draw routing entropy per layer over the steps, with the uniform ceiling', () => {
    const message = routedMessage(5);
    const traces = routingEntropyTraces(message, currentChartTheme()) as any[];
    expect(traces.map((t) => t.name)).toEqual(['layer 0', 'layer 1', 'uniform routing']);
    expect(traces[0].x).toEqual([1, 2, 3, 4, 5]);
    expect(traces[1].y).toEqual(message.routing!.history.map((p) => p.entropyByLayer[1]));
    expect(traces[2].y).toEqual([Math.log(4), Math.log(4)]);
    expect(routingSummary(message)).toMatch(/^4 experts, top-2, 4 routed modules · entropy 1\.1\d\d \/ 1\.386 nats · busiest expert 55% of slots · balance loss 1\.020$/);
    expect(routingSummary(sampleMessage({ steps: 2 }))).toBeNull();
  });

  it('the dashboard shows them only for a routed run, and hides them again for one without routing', async () => {
    const widget = dashboard();
    await widget.renderModel(mimeModel(clone(routedMessage(4))));
    expect(plotlyCalls.map((c) => c.node.className)).toEqual([
      'jp-GaloreLab-chart jp-GaloreLab-lossChart',
      'jp-GaloreLab-chart jp-GaloreLab-memoryChart',
      'jp-GaloreLab-chart jp-GaloreLab-throughputChart',
      'jp-GaloreLab-chart jp-GaloreLab-expertLoadChart',
      'jp-GaloreLab-chart jp-GaloreLab-routingEntropyChart'
    ]);
    expect(plotlyCalls[3].layout.title.text).toBe('Expert load: share of routing slots (4 experts, top-2; even = 25%)');
    const note = widget.node.querySelector('.jp-GaloreLab-routingSummary') as HTMLElement;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toMatch(/^4 experts, top-2/);
    const load = widget.node.querySelector('.jp-GaloreLab-expertLoadChart') as HTMLElement;
    expect(load.hidden).toBe(false);

    plotlyCalls.length = 0;
    await widget.renderModel(mimeModel(clone(sampleMessage({ steps: 3 }))));
    expect(plotlyCalls).toHaveLength(3);
    expect(load.hidden).toBe(true);
    expect(note.hidden).toBe(true);
    expect(purged.map((n) => n.className)).toEqual(['jp-GaloreLab-chart jp-GaloreLab-expertLoadChart', 'jp-GaloreLab-chart jp-GaloreLab-routingEntropyChart']);
  });

  it('module names from the data reach plotly as text, never markup', () => {
    const message = clone(routedMessage(2)) as any;
    message.routing.modules[0] = 'model.layers.0.<b>x</b>';
    const [heatmap] = expertLoadTraces(message, currentChartTheme()) as any[];
    expect(heatmap.y[0]).toBe('model.layers.0.&lt;b&gt;x&lt;/b&gt;');
  });
});
