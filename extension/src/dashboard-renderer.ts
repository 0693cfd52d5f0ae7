/**
 * The live training dashboard: a MIME renderer for
 * `application/vnd.galore-lab.telemetry+json`. The kernel replaces the output
 * in place (`display_id`) while training runs; JupyterLab then calls
 * `renderModel` again on this same widget, and the charts are updated with
 * `Plotly.react` (no flicker, zoom kept).
 *
 * Charts: loss (with the min-max band of downsampled steps), memory
 * breakdown as a stacked area of the ledger parts with the measured figures
 * as lines on top, and tokens/s; for a mixture of experts (LoRA-MoE) also
 * the expert load per routed module and the routing entropy per layer
 * (`expert-routing-view.ts`). Nothing from the data is inserted as HTML:
 * text goes through `textContent`, chart labels through `plotlyText`.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { expertLoadLayout, expertLoadTraces, routingEntropyLayout, routingEntropyTraces, routingSummary } from './expert-routing-view';
import { PLOT_CONFIG, loadPlotly, observeResize, plotlyText, toMiB, type PlotlyApi } from './plotly';
import {
  TELEMETRY_MIME_TYPE,
  formatBytes,
  latestMemoryFigure,
  methodLabel,
  parseTelemetry,
  type MemoryParts,
  type TelemetryMessage
} from './telemetry';
import { baseLayout, currentChartTheme, onThemeChange, type ChartTheme } from './theme';

const PART_LABELS: [keyof MemoryParts, string][] = [
  ['weights', 'weights'],
  ['gradients', 'gradients'],
  ['optimizerStates', 'optimizer'],
  ['activations', 'activations'],
  ['workspace', 'workspace']
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The loss chart's traces. */
export function lossTraces(message: TelemetryMessage, theme: ChartTheme): unknown[] {
  const steps = message.steps.map((s) => s.step);
  const traces: unknown[] = [];
  if (message.steps.some((s) => s.count > 1)) {
    traces.push(
      { x: steps, y: message.steps.map((s) => s.lossMax), mode: 'lines', line: { width: 0 }, hoverinfo: 'skip', showlegend: false, type: 'scatter' },
      {
        x: steps,
        y: message.steps.map((s) => s.lossMin),
        mode: 'lines',
        line: { width: 0 },
        fill: 'tonexty',
        fillcolor: theme.series.band,
        name: 'min–max',
        hoverinfo: 'skip',
        type: 'scatter'
      }
    );
  }
  traces.push({
    x: steps,
    y: message.steps.map((s) => s.loss),
    mode: message.steps.length < 30 ? 'lines+markers' : 'lines',
    line: { color: theme.series.loss, width: 2 },
    marker: { size: 4 },
    name: 'loss',
    type: 'scatter',
    hovertemplate: 'step %{x}<br>loss %{y:.4f}<extra></extra>'
  });
  return traces;
}

/** The memory chart's traces: stacked ledger parts, measured lines on top (MiB). */
export function memoryTraces(message: TelemetryMessage, theme: ChartTheme): unknown[] {
  const x = message.memory.map((m) => m.step);
  const traces: unknown[] = [];
  for (const [key, label] of PART_LABELS) {
    const values = message.memory.map((m) => toMiB(m.parts[key]));
    if (values.every((v) => !v)) continue;
    const live = key === 'optimizerStates' && message.memory.some((m) => m.partSources.optimizerStates === 'live');
    traces.push({
      x,
      y: values,
      name: label,
      legendgroup: 'ledger',
      legendgrouptitle: { text: 'ledger (stacked)' },
      type: 'scatter',
      mode: 'lines',
      stackgroup: 'ledger',
      line: { width: 0.5, color: theme.series[key] },
      hovertemplate: `${label}${live ? ' (measured live)' : ' (ledger)'}: %{y:.2f} MiB<extra></extra>`
    });
  }
  traces.push({
    x,
    y: message.memory.map((m) => toMiB(m.tensorBytes)),
    name: 'tensors',
    legendgroup: 'measured',
    legendgrouptitle: { text: 'measured' },
    type: 'scatter',
    mode: 'lines',
    line: { color: theme.series.measured, width: 2 },
    hovertemplate: 'backend tensors: %{y:.2f} MiB<extra></extra>'
  });
  const device = message.memory.filter((m) => m.device);
  if (device.length > 0) {
    const label = device[device.length - 1].device!.label;
    traces.push({
      x: device.map((m) => m.step),
      y: device.map((m) => toMiB(m.device!.kind === 'gpu' && m.device!.processBytes !== null ? m.device!.processBytes : m.device!.usedBytes)),
      name: plotlyText(label),
      legendgroup: 'measured',
      type: 'scatter',
      mode: 'lines',
      line: { color: theme.series.device, width: 2, dash: 'dot' },
      hovertemplate: `${plotlyText(label)}: %{y:.1f} MiB<extra></extra>`
    });
  }
  return traces;
}

/** The throughput chart's traces. */
export function throughputTraces(message: TelemetryMessage, theme: ChartTheme): unknown[] {
  return [
    {
      x: message.steps.map((s) => s.step),
      y: message.steps.map((s) => s.tokensPerSecond),
      name: 'tokens/s',
      type: 'scatter',
      mode: message.steps.length < 30 ? 'lines+markers' : 'lines',
      marker: { size: 4 },
      line: { color: theme.series.throughput, width: 2 },
      hovertemplate: 'step %{x}<br>%{y:.0f} tokens/s<extra></extra>'
    }
  ];
}

/** The one-line summary above the charts. */
export function summaryText(message: TelemetryMessage): string {
  const step = message.latest.step;
  const parts = [`step ${step?.step ?? 0}${message.run.totalSteps ? `/${message.run.totalSteps}` : ''}`];
  if (step) parts.push(`loss ${step.loss.toFixed(4)}`);
  if (step?.tokensPerSecond) parts.push(`${Math.round(step.tokensPerSecond)} tokens/s`);
  const memory = latestMemoryFigure(message);
  if (memory) parts.push(`${formatBytes(memory.bytes)} ${memory.label}`);
  if (message.history.stepsSeen > message.steps.length) parts.push(`${message.history.stepsSeen} steps shown as ${message.steps.length} points`);
  return parts.join(' · ');
}

/** The DOM event the dashboard's buttons dispatch; the `cell-controls` plugin answers it. */
export const CONTROL_EVENT = 'galore-lab-control';

/** Detail of {@link CONTROL_EVENT}; a handler sets `handled`. */
export interface ControlEventDetail {
  runId: string;
  commTarget: string;
  command: 'pause' | 'resume' | 'stop';
  handled: boolean;
}

/**
 * The dashboard widget (one per output).
 */
export class TelemetryDashboard extends Widget implements IRenderMime.IRenderer {
  private readonly mimeType: string;
  private readonly header = el('div', 'jp-GaloreLab-dashboardHeader');
  private readonly heading = el('span', 'jp-GaloreLab-dashboardTitle');
  private readonly status = el('span', 'jp-GaloreLab-status');
  private readonly buttons = el('span', 'jp-GaloreLab-cellControls');
  private readonly pauseButton = el('button', 'jp-Button jp-mod-styled jp-GaloreLab-button jp-GaloreLab-cellPause', 'Pause');
  private readonly stopButton = el('button', 'jp-Button jp-mod-styled jp-GaloreLab-button jp-GaloreLab-cellStop', 'Stop');
  private readonly summary = el('div', 'jp-GaloreLab-summary');
  private readonly notice = el('div', 'jp-GaloreLab-notice');
  private readonly charts = el('div', 'jp-GaloreLab-charts');
  private readonly lossNode = el('div', 'jp-GaloreLab-chart jp-GaloreLab-lossChart');
  private readonly memoryNode = el('div', 'jp-GaloreLab-chart jp-GaloreLab-memoryChart');
  private readonly throughputNode = el('div', 'jp-GaloreLab-chart jp-GaloreLab-throughputChart');
  private readonly routingNote = el('div', 'jp-GaloreLab-routingSummary');
  private readonly expertLoadNode = el('div', 'jp-GaloreLab-chart jp-GaloreLab-expertLoadChart');
  private readonly routingEntropyNode = el('div', 'jp-GaloreLab-chart jp-GaloreLab-routingEntropyChart');
  private message: TelemetryMessage | null = null;
  private plotly: PlotlyApi | null = null;
  private readonly stopObserving: (() => void)[] = [];

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass('jp-GaloreLab-dashboard');
    this.pauseButton.type = 'button';
    this.stopButton.type = 'button';
    this.buttons.append(this.pauseButton, this.stopButton);
    this.buttons.hidden = true;
    this.pauseButton.addEventListener('click', () => this.control(this.message?.status === 'paused' ? 'resume' : 'pause'));
    this.stopButton.addEventListener('click', () => this.control('stop'));
    this.header.append(this.heading, this.status, this.buttons);
    this.charts.append(this.lossNode, this.throughputNode, this.memoryNode, this.expertLoadNode, this.routingEntropyNode);
    this.node.append(this.header, this.summary, this.routingNote, this.notice, this.charts);
    this.notice.hidden = true;
    this.routingNote.hidden = true;
    this.expertLoadNode.hidden = true;
    this.routingEntropyNode.hidden = true;
    this.stopObserving.push(
      onThemeChange(() => void this.draw()),
      observeResize(this.charts, () => this.resizeCharts())
    );
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const parsed = parseTelemetry(model.data[this.mimeType]);
    if (!parsed.ok) {
      this.showNotice(
        parsed.kind === 'newer-version' ? 'This training telemetry is newer than this extension.' : 'This training telemetry cannot be shown.',
        parsed.problem
      );
      return;
    }
    this.message = parsed.message;
    this.notice.hidden = true;
    this.charts.hidden = false;
    this.updateText(parsed.message);
    await this.draw();
  }

  dispose(): void {
    if (this.isDisposed) return;
    for (const stop of this.stopObserving) stop();
    if (this.plotly) for (const node of this.chartNodes()) this.plotly.purge(node);
    super.dispose();
  }

  /** Asks the page (the cell-controls plugin) to send a control request for this run. */
  private control(command: ControlEventDetail['command']): void {
    const message = this.message;
    const target = message?.run.controls?.commTarget;
    if (!message || !target) return;
    const detail: ControlEventDetail = { runId: message.run.runId, commTarget: target, command, handled: false };
    this.node.dispatchEvent(new CustomEvent<ControlEventDetail>(CONTROL_EVENT, { bubbles: true, detail }));
    if (!detail.handled) {
      this.buttons.title = 'Run controls need a notebook with a live kernel';
      this.buttons.hidden = true;
    }
  }

  private showNotice(headline: string, detail: string): void {
    this.message = null;
    this.buttons.hidden = true;
    this.node.dataset.status = 'invalid';
    this.heading.textContent = 'GaLore Lab training';
    this.status.textContent = '';
    this.summary.textContent = '';
    this.notice.replaceChildren(el('strong', '', headline), el('div', 'jp-GaloreLab-noticeDetail', detail));
    this.notice.hidden = false;
    this.charts.hidden = true;
  }

  private updateText(message: TelemetryMessage): void {
    const run = message.run;
    this.heading.textContent = `GaLore Lab training · ${run.model.name} · ${methodLabel(run)} · ${run.backend}`;
    this.heading.title = `run ${run.runId}, optimizer ${run.optimizer}, device ${run.device.name}, started ${run.startedAt}`;
    this.status.textContent = message.status;
    this.status.dataset.status = message.status;
    const live = !message.end && (message.status === 'running' || message.status === 'paused');
    this.buttons.hidden = !(live && message.run.controls);
    this.pauseButton.textContent = message.status === 'paused' ? 'Resume' : 'Pause';
    const end = message.end?.reason ? ` · ${message.end.status}: ${message.end.reason}` : '';
    this.summary.textContent = summaryText(message) + end;
    const routing = routingSummary(message);
    this.routingNote.textContent = routing ?? '';
    this.routingNote.hidden = routing === null;
    this.node.dataset.runId = run.runId;
    this.node.dataset.status = message.status;
    this.node.dataset.step = String(message.latest.step?.step ?? 0);
  }

  private async draw(): Promise<void> {
    const message = this.message;
    if (!message) return;
    try {
      this.plotly ??= await loadPlotly();
    } catch (error) {
      this.showNotice('The charts could not be loaded.', String(error));
      return;
    }
    if (message !== this.message || this.isDisposed) return; // a newer message arrived meanwhile
    const theme = currentChartTheme();
    const plotly = this.plotly;
    const xaxis = (title: string) => ({ ...(baseLayout(theme, '').xaxis as object), title: { text: title } });
    const loss = baseLayout(theme, 'Loss');
    loss.xaxis = xaxis('step');
    const memory = baseLayout(theme, 'Memory (MiB): ledger parts at a step\'s peak, measured at its end');
    memory.xaxis = xaxis('step');
    memory.legend = { orientation: 'v', x: 1.02, xanchor: 'left', y: 1, font: { size: 10 }, groupclick: 'toggleitem' };
    memory.margin = { l: 48, r: 8, t: 32, b: 40 };
    const throughput = baseLayout(theme, 'Throughput (tokens/s)');
    throughput.xaxis = xaxis('step');
    const drawing = [
      plotly.react(this.lossNode, lossTraces(message, theme), loss, PLOT_CONFIG),
      plotly.react(this.memoryNode, memoryTraces(message, theme), memory, PLOT_CONFIG),
      plotly.react(this.throughputNode, throughputTraces(message, theme), throughput, PLOT_CONFIG)
    ];
    const routing = message.routing;
    const wasRouted = !this.expertLoadNode.hidden;
    this.expertLoadNode.hidden = !routing;
    this.routingEntropyNode.hidden = !routing;
    if (routing) {
      drawing.push(
        plotly.react(this.expertLoadNode, expertLoadTraces(message, theme), expertLoadLayout(routing, theme), PLOT_CONFIG),
        plotly.react(this.routingEntropyNode, routingEntropyTraces(message, theme), routingEntropyLayout(theme), PLOT_CONFIG)
      );
    } else if (wasRouted) {
      plotly.purge(this.expertLoadNode);
      plotly.purge(this.routingEntropyNode);
    }
    await Promise.all(drawing);
    this.node.dataset.rendered = String(message.latest.step?.step ?? 0);
  }

  private resizeCharts(): void {
    if (!this.plotly || !this.message || !this.isAttached) return;
    for (const node of this.chartNodes()) {
      if (!node.hidden && node.offsetParent !== null) this.plotly.Plots.resize(node);
    }
  }

  private chartNodes(): HTMLElement[] {
    return [this.lossNode, this.memoryNode, this.throughputNode, this.expertLoadNode, this.routingEntropyNode];
  }
}

/** The MIME extension that renders telemetry. */
export const dashboardRendererExtension: IRenderMime.IExtension = {
  id: 'galore-lab-jupyterlab:telemetry-dashboard',
  description: 'Live GaLore Lab training dashboard (loss, memory, tokens/s, expert routing)',
  rendererFactory: {
    safe: true,
    mimeTypes: [TELEMETRY_MIME_TYPE],
    defaultRank: 10,
    createRenderer: (options) => new TelemetryDashboard(options)
  },
  rank: 10,
  dataType: 'json'
};
