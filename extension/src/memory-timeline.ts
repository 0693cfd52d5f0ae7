/**
 * The memory timeline of the "Training monitor": every run of the current
 * kernel on one wall-clock axis, each as its device figure (GPU memory, the
 * wasm heap or the process RSS, as labelled by the kernel) and its backend
 * tensor bytes.
 */
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { PLOT_CONFIG, loadPlotly, observeResize, plotlyText, toMiB, type PlotlyApi } from './plotly';
import { methodLabel, type TelemetryMessage } from './telemetry';
import { baseLayout, currentChartTheme } from './theme';

const RUN_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/**
 * The traces of the timeline (exported for tests): x is seconds since the
 * first run of the kernel started, so runs line up on one clock.
 */
export function timelineTraces(messages: TelemetryMessage[]): unknown[] {
  const traces: unknown[] = [];
  const starts = messages.map((m) => Date.parse(m.run.startedAt)).filter((t) => Number.isFinite(t));
  const origin = starts.length ? Math.min(...starts) : 0;
  messages.forEach((message, i) => {
    const color = RUN_COLORS[i % RUN_COLORS.length];
    const start = Date.parse(message.run.startedAt);
    if (!Number.isFinite(start) || message.memory.length === 0) return;
    const seconds = (elapsedMs: number) => (start - origin + elapsedMs) / 1000;
    const x = message.memory.map((m) => seconds(m.elapsedMs));
    const name = plotlyText(`${message.run.runId} (${methodLabel(message.run).split(',')[0]})`);
    const device = message.memory.filter((m) => m.device);
    if (device.length > 0) {
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x: device.map((m) => seconds(m.elapsedMs)),
        y: device.map((m) => toMiB(m.device!.kind === 'gpu' && m.device!.processBytes !== null ? m.device!.processBytes : m.device!.usedBytes)),
        name: `${name}: ${plotlyText(device[device.length - 1].device!.label)}`,
        line: { color, width: 2 },
        hovertemplate: '%{x:.1f} s: %{y:.1f} MiB<extra>%{fullData.name}</extra>'
      });
    }
    traces.push({
      type: 'scatter',
      mode: 'lines',
      x,
      y: message.memory.map((m) => toMiB(m.tensorBytes)),
      name: `${name}: tensors`,
      line: { color, width: 1.5, dash: 'dot' },
      hovertemplate: '%{x:.1f} s: %{y:.1f} MiB<extra>%{fullData.name}</extra>'
    });
  });
  return traces;
}

/** The timeline widget; call {@link setRuns} with the kernel's runs. */
export class MemoryTimeline extends Widget {
  private readonly chart = document.createElement('div');
  private readonly empty = document.createElement('div');
  private messages: TelemetryMessage[] = [];
  private plotly: PlotlyApi | null = null;
  private readonly stopObserving: () => void;

  constructor() {
    super();
    this.addClass('jp-GaloreLab-memoryTimeline');
    this.stopObserving = observeResize(this.node, () => {
      if (this.plotly && this.isVisible && !this.chart.hidden) this.plotly.Plots.resize(this.chart);
    });
    const title = document.createElement('h3');
    title.className = 'jp-GaloreLab-sectionTitle';
    title.textContent = 'Memory across runs of this kernel';
    this.chart.className = 'jp-GaloreLab-chart';
    this.empty.className = 'jp-GaloreLab-empty';
    this.node.append(title, this.empty, this.chart);
    this.setRuns([]);
  }

  setRuns(messages: TelemetryMessage[]): void {
    this.messages = messages;
    const has = messages.some((m) => m.memory.length > 0);
    this.empty.hidden = has;
    this.chart.hidden = !has;
    this.empty.textContent = 'No memory samples yet.';
    this.node.dataset.runs = String(messages.length);
    void this.draw();
  }

  redraw(): void {
    void this.draw();
  }

  protected onAfterShow(_msg: Message): void {
    void this.draw();
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.stopObserving();
    this.plotly?.purge(this.chart);
    super.dispose();
  }

  private async draw(): Promise<void> {
    const messages = this.messages;
    if (!this.isVisible || !messages.some((m) => m.memory.length > 0)) return;
    this.plotly ??= await loadPlotly();
    if (messages !== this.messages || this.isDisposed) return;
    const theme = currentChartTheme();
    const layout = baseLayout(theme, 'MiB by seconds since the first run (solid: device, dotted: tensors)');
    layout.height = 280;
    layout.margin = { l: 48, r: 12, t: 32, b: 30 };
    layout.legend = { orientation: 'h', y: -0.15, yanchor: 'top', font: { size: 9 } };
    await this.plotly.react(this.chart, timelineTraces(messages), layout, PLOT_CONFIG);
  }
}
