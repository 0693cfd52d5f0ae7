/**
 * plotly.js, loaded on first use (a separate chunk of ~4.6 MB, so JupyterLab
 * starts as fast without it), and helpers shared by the charts.
 */

/** The part of plotly.js we use. */
export interface PlotlyApi {
  react(root: HTMLElement, data: unknown[], layout: Record<string, unknown>, config?: Record<string, unknown>): Promise<unknown>;
  purge(root: HTMLElement): void;
  Plots: { resize(root: HTMLElement): void };
}

let loading: Promise<PlotlyApi> | null = null;

/** Loads plotly.js once (later calls share the same promise). */
export function loadPlotly(): Promise<PlotlyApi> {
  loading ??= import(/* webpackChunkName: "plotly" */ 'plotly.js-dist-min').then(
    (module: { default?: PlotlyApi } & PlotlyApi) => (module.default ?? module) as PlotlyApi
  );
  return loading;
}

/**
 * Makes text from telemetry safe to hand to plotly, which interprets a few
 * HTML-like tags (`<b>`, `<a href>`, `<br>`) in titles, legends and hover
 * text: `<`, `>` and `&` become entities that plotly shows literally.
 */
export function plotlyText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Bytes to MiB for chart axes. */
export function toMiB(bytes: number | null | undefined): number | null {
  return bytes === null || bytes === undefined ? null : bytes / 1048576;
}

/** Standard plotly config for our charts. */
export const PLOT_CONFIG: Record<string, unknown> = {
  responsive: false,
  displaylogo: false,
  modeBarButtonsToRemove: ['lasso2d', 'select2d', 'toImage'],
};

/**
 * Resizes plots when their node changes size (notebook width, side panel
 * drag), at most once per animation frame.
 */
export function observeResize(node: HTMLElement, resize: () => void): () => void {
  let frame = 0;
  const observer = new ResizeObserver(() => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      resize();
    });
  });
  observer.observe(node);
  return () => {
    observer.disconnect();
    if (frame) cancelAnimationFrame(frame);
  };
}
