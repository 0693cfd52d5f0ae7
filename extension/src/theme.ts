/**
 * Chart colours from the active JupyterLab theme (its CSS variables), and a
 * way to hear about theme changes (JupyterLab marks the body with
 * `data-jp-theme-light` / `data-jp-theme-name`).
 */

/** Colours and fonts a chart needs. */
export interface ChartTheme {
  dark: boolean;
  font: string;
  fontColor: string;
  mutedColor: string;
  gridColor: string;
  background: string;
  /** Series colours, readable on light and dark backgrounds. */
  series: {
    weights: string;
    gradients: string;
    optimizerStates: string;
    activations: string;
    workspace: string;
    loss: string;
    band: string;
    throughput: string;
    measured: string;
    device: string;
  };
  /** Colour scale of the subspace heatmap. */
  heatmap: [number, string][];
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const value = style.getPropertyValue(name).trim();
  return value || fallback;
}

/** The chart theme for the current JupyterLab theme. */
export function currentChartTheme(): ChartTheme {
  const body = document.body;
  const style = getComputedStyle(body);
  const dark = body.dataset.jpThemeLight === 'false';
  const fontColor = cssVar(style, '--jp-ui-font-color1', dark ? '#e0e0e0' : '#212121');
  return {
    dark,
    font: cssVar(style, '--jp-ui-font-family', 'system-ui, sans-serif'),
    fontColor,
    mutedColor: cssVar(style, '--jp-ui-font-color2', dark ? '#bdbdbd' : '#616161'),
    gridColor: cssVar(style, '--jp-border-color2', dark ? '#424242' : '#e0e0e0'),
    background: cssVar(style, '--jp-layout-color0', dark ? '#111111' : '#ffffff'),
    series: dark
      ? {
          weights: '#6b9bd1',
          gradients: '#f5a04a',
          optimizerStates: '#6cc06a',
          activations: '#ef7a7c',
          workspace: '#c39bd3',
          loss: '#64b5f6',
          band: 'rgba(100, 181, 246, 0.25)',
          throughput: '#81c784',
          measured: fontColor,
          device: '#ffd54f'
        }
      : {
          weights: '#4c78a8',
          gradients: '#f58518',
          optimizerStates: '#54a24b',
          activations: '#e45756',
          workspace: '#b279a2',
          loss: '#1f77b4',
          band: 'rgba(31, 119, 180, 0.18)',
          throughput: '#2e7d32',
          measured: fontColor,
          device: '#8d6e00'
        },
    heatmap: dark
      ? [
          [0, '#1a1a2e'],
          [0.5, '#3f6ea6'],
          [1, '#f5e663']
        ]
      : [
          [0, '#f7fbff'],
          [0.5, '#6baed6'],
          [1, '#08306b']
        ]
  };
}

/** A plotly layout base for the theme. */
export function baseLayout(theme: ChartTheme, title: string): Record<string, unknown> {
  return {
    title: { text: title, font: { size: 13, color: theme.fontColor }, x: 0.02, xanchor: 'left' },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: theme.font, color: theme.fontColor, size: 11 },
    margin: { l: 56, r: 16, t: 32, b: 40 },
    legend: { orientation: 'h', y: -0.3, font: { size: 10 } },
    xaxis: { gridcolor: theme.gridColor, zerolinecolor: theme.gridColor, linecolor: theme.gridColor },
    yaxis: { gridcolor: theme.gridColor, zerolinecolor: theme.gridColor, linecolor: theme.gridColor },
    hoverlabel: { font: { family: theme.font } }
  };
}

/** Calls `callback` when the JupyterLab theme changes; returns a function that stops listening. */
export function onThemeChange(callback: () => void): () => void {
  const observer = new MutationObserver(() => callback());
  observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name'] });
  return () => observer.disconnect();
}
