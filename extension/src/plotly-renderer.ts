/**
 * A renderer for `application/vnd.plotly.v1+json` (plotly's own MIME type:
 * `{ data, layout, config?, frames? }`), so galore-lab's other plots show in
 * JupyterLab with no other extension installed. Theme-aware where the figure
 * leaves colours open; resizes with the notebook.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { PLOT_CONFIG, loadPlotly, observeResize, type PlotlyApi } from './plotly';
import { currentChartTheme, onThemeChange } from './theme';

/** The plotly MIME type. */
export const PLOTLY_MIME_TYPE = 'application/vnd.plotly.v1+json';

/** A figure as plotly's MIME type carries it. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  config: Record<string, unknown>;
  frames: unknown[] | null;
}

/**
 * Checks a plotly MIME payload; returns the figure or a readable problem.
 *
 * @example
 * parsePlotlyFigure({ data: [{ y: [1, 2] }] }); // { ok: true, figure: { data: [...], layout: {}, config: {}, frames: null } }
 */
export function parsePlotlyFigure(value: unknown): { ok: true; figure: PlotlyFigure } | { ok: false; problem: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'expected an object with a "data" array' };
  const o = value as Record<string, unknown>;
  if (!Array.isArray(o.data)) return { ok: false, problem: '"data": expected an array of traces' };
  const bad = o.data.findIndex((t) => t === null || typeof t !== 'object' || Array.isArray(t));
  if (bad >= 0) return { ok: false, problem: `"data[${bad}]": expected a trace object` };
  const objectOr = (v: unknown, name: string): Record<string, unknown> | string => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) return `"${name}": expected an object`;
    return v as Record<string, unknown>;
  };
  const layout = objectOr(o.layout, 'layout');
  if (typeof layout === 'string') return { ok: false, problem: layout };
  const config = objectOr(o.config, 'config');
  if (typeof config === 'string') return { ok: false, problem: config };
  if (o.frames !== undefined && o.frames !== null && !Array.isArray(o.frames)) return { ok: false, problem: '"frames": expected an array' };
  return { ok: true, figure: { data: o.data as Record<string, unknown>[], layout, config, frames: (o.frames as unknown[] | undefined) ?? null } };
}

/** Renders one plotly figure. */
export class PlotlyRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly mimeType: string;
  private readonly plot = document.createElement('div');
  private readonly notice = document.createElement('div');
  private figure: PlotlyFigure | null = null;
  private plotly: PlotlyApi | null = null;
  private readonly stops: (() => void)[] = [];

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass('jp-GaloreLab-plotly');
    this.notice.className = 'jp-GaloreLab-notice';
    this.notice.hidden = true;
    this.plot.className = 'jp-GaloreLab-plotlyFigure';
    this.node.append(this.notice, this.plot);
    this.stops.push(
      onThemeChange(() => void this.draw()),
      observeResize(this.node, () => {
        if (this.plotly && this.figure && this.isAttached) this.plotly.Plots.resize(this.plot);
      })
    );
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const parsed = parsePlotlyFigure(model.data[this.mimeType]);
    if (!parsed.ok) {
      this.figure = null;
      this.plot.hidden = true;
      this.notice.replaceChildren();
      const strong = document.createElement('strong');
      strong.textContent = 'This plotly figure cannot be shown.';
      const detail = document.createElement('div');
      detail.textContent = parsed.problem;
      this.notice.append(strong, detail);
      this.notice.hidden = false;
      return;
    }
    this.figure = parsed.figure;
    this.notice.hidden = true;
    this.plot.hidden = false;
    await this.draw();
  }

  dispose(): void {
    if (this.isDisposed) return;
    for (const stop of this.stops) stop();
    this.plotly?.purge(this.plot);
    super.dispose();
  }

  private async draw(): Promise<void> {
    const figure = this.figure;
    if (!figure) return;
    this.plotly ??= await loadPlotly();
    const theme = currentChartTheme();
    const layout: Record<string, unknown> = {
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      ...figure.layout,
      font: { family: theme.font, color: theme.fontColor, ...(figure.layout.font as object | undefined) }
    };
    if (figure.layout.height === undefined && !figure.layout.autosize) layout.height = 360;
    await this.plotly.react(this.plot, figure.data, layout, { ...PLOT_CONFIG, ...figure.config });
    this.node.dataset.rendered = 'true';
  }
}

/** The MIME extension that renders plotly figures. */
export const plotlyRendererExtension: IRenderMime.IExtension = {
  id: 'galore-lab-jupyterlab:plotly',
  description: 'Renders application/vnd.plotly.v1+json figures',
  rendererFactory: {
    safe: true,
    mimeTypes: [PLOTLY_MIME_TYPE],
    defaultRank: 20,
    createRenderer: (options) => new PlotlyRenderer(options)
  },
  rank: 20,
  dataType: 'json'
};
