/**
 * The subspace-rank widget of the "Training monitor": for a GaLore run,
 *
 * - a heatmap of every projected weight (rows, grouped by layer) over the
 *   subspace refreshes (columns), coloured by captured gradient energy or by
 *   overlap with the previous subspace;
 * - the singular-value spectrum of a selected weight (click a heatmap row or
 *   pick it in the list), with the rank cut-off marked;
 * - the current rank of every weight, per layer, as a table.
 *
 * All labels are set with `textContent` or escaped for plotly.
 */
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { PLOT_CONFIG, loadPlotly, observeResize, plotlyText, type PlotlyApi } from './plotly';
import type { SubspaceEvent, TelemetryMessage } from './telemetry';
import { baseLayout, currentChartTheme } from './theme';

type Metric = 'energy' | 'overlap';

const MODULE_COLUMNS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** The row label of a weight, e.g. `L3 down_proj`. */
export function weightLabel(event: Pick<SubspaceEvent, 'layer' | 'module'>): string {
  return event.layer === null ? event.module : `L${event.layer} ${event.module}`;
}

/** Rows of the rank table: one per layer, rank per module (null where the module is not projected). */
export function rankRows(latest: SubspaceEvent[]): { layer: string; modules: string[]; cells: (SubspaceEvent | null)[] }[] {
  const modules = [...MODULE_COLUMNS.filter((m) => latest.some((e) => e.module === m)), ...new Set(latest.map((e) => e.module).filter((m) => !MODULE_COLUMNS.includes(m)))];
  const layers = [...new Set(latest.map((e) => e.layer))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  return layers.map((layer) => ({
    layer: layer === null ? 'other' : String(layer),
    modules,
    cells: modules.map((m) => latest.find((e) => e.layer === layer && e.module === m) ?? null)
  }));
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The widget; call {@link setRun} with the selected run's message. */
export class SubspaceRankWidget extends Widget {
  private readonly empty = el('div', 'jp-GaloreLab-empty');
  private readonly body = el('div', 'jp-GaloreLab-subspaceBody');
  private readonly metricSelect = el('select', 'jp-GaloreLab-metricSelect');
  private readonly weightSelect = el('select', 'jp-GaloreLab-weightSelect');
  private readonly heatmap = el('div', 'jp-GaloreLab-chart jp-GaloreLab-heatmap');
  private readonly spectrum = el('div', 'jp-GaloreLab-chart jp-GaloreLab-spectrum');
  private readonly table = el('table', 'jp-GaloreLab-rankTable');
  private message: TelemetryMessage | null = null;
  private selected: string | null = null;
  private plotly: PlotlyApi | null = null;
  private clickHooked = false;
  private readonly stopObserving: () => void;

  constructor() {
    super();
    this.addClass('jp-GaloreLab-subspaces');
    this.stopObserving = observeResize(this.node, () => {
      if (!this.plotly || !this.isVisible || this.body.hidden) return;
      this.plotly.Plots.resize(this.heatmap);
      this.plotly.Plots.resize(this.spectrum);
    });
    const title = el('h3', 'jp-GaloreLab-sectionTitle', 'GaLore subspaces');
    for (const [value, label] of [
      ['energy', 'captured energy'],
      ['overlap', 'overlap with previous subspace']
    ]) {
      const option = el('option', '', label);
      option.value = value;
      this.metricSelect.append(option);
    }
    this.metricSelect.addEventListener('change', () => void this.draw());
    this.weightSelect.addEventListener('change', () => {
      this.selected = this.weightSelect.value;
      void this.draw();
    });
    const metricRow = el('label', 'jp-GaloreLab-field', 'Heatmap: ');
    metricRow.append(this.metricSelect);
    const weightRow = el('label', 'jp-GaloreLab-field', 'Spectrum of: ');
    weightRow.append(this.weightSelect);
    const rankTitle = el('h4', 'jp-GaloreLab-subTitle', 'Current rank per layer');
    this.body.append(metricRow, this.heatmap, weightRow, this.spectrum, rankTitle, this.table);
    this.node.append(title, this.empty, this.body);
    this.showEmpty('No run selected.');
  }

  /** Shows the subspaces of `message` (or a note when it has none). */
  setRun(message: TelemetryMessage | null): void {
    this.message = message;
    if (!message) return this.showEmpty('No run selected.');
    if (!message.subspaces || message.subspaces.latest.length === 0) {
      return this.showEmpty(
        message.run.method === 'galore'
          ? 'No subspace refresh yet: GaLore computes the first subspaces at the first step.'
          : `No GaLore subspaces: this run trains with ${message.run.method === 'lora' ? 'LoRA' : 'full fine-tuning'}.`
      );
    }
    this.empty.hidden = true;
    this.body.hidden = false;
    const weights = message.subspaces.latest;
    if (!this.selected || !weights.some((w) => w.weight === this.selected)) this.selected = weights[0].weight;
    this.fillWeightSelect(weights);
    this.fillRankTable(weights);
    void this.draw();
  }

  /** Redraws the charts (after a resize or theme change). */
  redraw(): void {
    void this.draw();
  }

  private showEmpty(text: string): void {
    this.empty.textContent = text;
    this.empty.hidden = false;
    this.body.hidden = true;
    this.node.dataset.weights = '0';
  }

  private fillWeightSelect(weights: SubspaceEvent[]): void {
    const names = weights.map((w) => w.weight);
    const current = [...this.weightSelect.options].map((o) => o.value);
    if (current.length !== names.length || current.some((v, i) => v !== names[i])) {
      this.weightSelect.replaceChildren(
        ...weights.map((w) => {
          const option = el('option', '', `${weightLabel(w)} (${w.shape[0]}×${w.shape[1]})`);
          option.value = w.weight;
          return option;
        })
      );
    }
    this.weightSelect.value = this.selected ?? '';
  }

  private fillRankTable(weights: SubspaceEvent[]): void {
    const rows = rankRows(weights);
    const head = el('tr', '');
    head.append(el('th', '', 'layer'), ...(rows[0]?.modules ?? []).map((m) => el('th', '', m)));
    const body = rows.map((row) => {
      const tr = el('tr', '');
      tr.dataset.layer = row.layer;
      tr.append(el('th', '', row.layer));
      for (const cell of row.cells) {
        const td = el('td', 'jp-GaloreLab-rankCell', cell ? String(cell.rank) : '–');
        if (cell) {
          td.title = `${cell.weight}\nrank ${cell.rank} of ${Math.min(...cell.shape)} (${cell.side})\ncaptured energy ${cell.energyCaptured.toFixed(3)}\noverlap ${cell.overlap === null ? '– (first refresh)' : cell.overlap.toFixed(3)}\nrefreshed at step ${cell.step}`;
          td.dataset.rank = String(cell.rank);
          // shade by captured energy
          td.style.setProperty('--jp-GaloreLab-energy', String(Math.max(0, Math.min(1, cell.energyCaptured))));
        }
        tr.append(td);
      }
      return tr;
    });
    const thead = el('thead', '');
    thead.append(head);
    const tbody = el('tbody', '');
    tbody.append(...body);
    this.table.replaceChildren(thead, tbody);
    this.node.dataset.weights = String(weights.length);
  }

  private async draw(): Promise<void> {
    const message = this.message;
    const subspaces = message?.subspaces;
    if (!message || !subspaces || subspaces.latest.length === 0 || !this.isVisible) return;
    this.plotly ??= await loadPlotly();
    if (message !== this.message || this.isDisposed) return;
    const theme = currentChartTheme();
    const metric = this.metricSelect.value as Metric;
    const labels = subspaces.latest.map((e) => plotlyText(weightLabel(e)));
    const z = metric === 'energy' ? subspaces.energy : subspaces.overlap;
    const heatLayout = baseLayout(theme, metric === 'energy' ? 'Captured gradient energy per refresh' : 'Overlap with the previous subspace');
    heatLayout.height = Math.min(640, 90 + 13 * labels.length);
    heatLayout.margin = { l: 96, r: 8, t: 32, b: 40 };
    heatLayout.xaxis = { ...(heatLayout.xaxis as object), title: { text: 'refresh at step' }, type: 'category' };
    heatLayout.yaxis = { ...(heatLayout.yaxis as object), autorange: 'reversed', type: 'category', tickfont: { size: 9 } };
    await this.plotly.react(
      this.heatmap,
      [
        {
          type: 'heatmap',
          z,
          x: subspaces.refreshSteps.map(String),
          y: labels,
          zmin: 0,
          zmax: 1,
          colorscale: theme.heatmap,
          hoverongaps: false,
          colorbar: { thickness: 10, len: 0.9 },
          hovertemplate: `%{y}<br>step %{x}<br>${metric} %{z:.3f}<extra></extra>`
        }
      ],
      heatLayout,
      PLOT_CONFIG
    );
    if (!this.clickHooked) {
      const node = this.heatmap as HTMLElement & { on?: (event: string, cb: (e: { points?: { pointNumber?: [number, number] | number }[] }) => void) => void };
      node.on?.('plotly_click', (event) => {
        const point = event.points?.[0]?.pointNumber;
        const row = Array.isArray(point) ? point[0] : undefined;
        const weight = row !== undefined ? this.message?.subspaces?.latest[row]?.weight : undefined;
        if (weight) {
          this.selected = weight;
          this.weightSelect.value = weight;
          void this.draw();
        }
      });
      this.clickHooked = true;
    }

    const chosen = subspaces.latest.find((e) => e.weight === this.selected) ?? subspaces.latest[0];
    const specLayout = baseLayout(theme, `Singular values of ${plotlyText(weightLabel(chosen))} (step ${chosen.step})`);
    specLayout.height = 220;
    specLayout.yaxis = { ...(specLayout.yaxis as object), type: 'log', title: { text: 'σ' } };
    specLayout.xaxis = { ...(specLayout.xaxis as object), title: { text: 'index' }, dtick: 1 };
    specLayout.shapes =
      chosen.rank < chosen.singularValues.length
        ? [{ type: 'line', x0: chosen.rank + 0.5, x1: chosen.rank + 0.5, yref: 'paper', y0: 0, y1: 1, line: { color: theme.mutedColor, dash: 'dash', width: 1 } }]
        : [];
    specLayout.annotations = [
      {
        text: `rank ${chosen.rank} · energy ${chosen.energyCaptured.toFixed(3)}`,
        xref: 'paper',
        yref: 'paper',
        x: 1,
        y: 1.02,
        xanchor: 'right',
        yanchor: 'bottom',
        showarrow: false,
        font: { size: 10, color: theme.mutedColor }
      }
    ];
    await this.plotly.react(
      this.spectrum,
      [
        {
          type: 'bar',
          x: chosen.singularValues.map((_, i) => i + 1),
          y: chosen.singularValues,
          marker: { color: chosen.singularValues.map((_, i) => (i < chosen.rank ? theme.series.loss : theme.gridColor)) },
          hovertemplate: 'σ%{x} = %{y:.4g}<extra></extra>'
        }
      ],
      specLayout,
      PLOT_CONFIG
    );
    this.node.dataset.rendered = String(subspaces.refreshesSeen);
  }

  protected onAfterShow(_msg: Message): void {
    void this.draw();
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.stopObserving();
    if (this.plotly) {
      this.plotly.purge(this.heatmap);
      this.plotly.purge(this.spectrum);
    }
    super.dispose();
  }
}
