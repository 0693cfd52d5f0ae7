/**
 * For the extension's renderer tests without a browser (happy-dom): plotly.js
 * replaced by a recorder, and a ResizeObserver that observes nothing. Use it
 * from the test file's mock of the plotly loader:
 *
 *   vi.mock('../../extension/src/plotly', async (importOriginal) => ({
 *     ...(await importOriginal<typeof import('../../extension/src/plotly')>()),
 *     loadPlotly: async () => (await import('./helpers/fake-plotly')).fakePlotly,
 *   }));
 */

/** One `Plotly.react` call. */
export interface PlotlyCall {
  node: HTMLElement;
  data: any[];
  layout: Record<string, any>;
}

/** Every `Plotly.react` call, in order. */
export const plotlyCalls: PlotlyCall[] = [];
/** Every node given to `Plotly.purge`, in order. */
export const purged: HTMLElement[] = [];

/** The parts of plotly.js the extension uses, recording instead of drawing. */
export const fakePlotly = {
  react: async (node: HTMLElement, data: any[], layout: Record<string, any>) => {
    plotlyCalls.push({ node, data, layout });
  },
  purge: (node: HTMLElement) => void purged.push(node),
  Plots: { resize: () => undefined },
};

/** Forget the recorded calls (call in `beforeEach`). */
export function clearPlotlyRecords(): void {
  plotlyCalls.length = 0;
  purged.length = 0;
}

/** happy-dom has no ResizeObserver; the dashboard only needs one to exist. */
export function stubResizeObserver(): void {
  (globalThis as any).ResizeObserver ??= class {
    observe(): void {}
    disconnect(): void {}
  };
}
