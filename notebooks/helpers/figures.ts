/**
 * Figures for the curated notebooks: a plotly figure (`{data, layout}`, the
 * library's `PlotlyFigure`) displayed as one MIME bundle with three
 * representations:
 *
 * - `application/vnd.plotly.v1+json`: interactive where a plotly renderer is
 *   installed (JupyterLab with the plotly extension);
 * - `image/svg+xml`: a static drawing made here, which JupyterLab, nbconvert
 *   and GitHub show without any extension;
 * - `text/plain`: a short summary for consoles.
 *
 * The SVG drawing covers what the notebooks use: line/marker traces
 * (`scatter`), bars (`bar`, grouped or stacked) and histograms (`histogram`,
 * binned here). It is a notebook helper, not part of the library.
 *
 * @example
 * import { figure, lineFigure } from './helpers/figures';
 * figure(lineFigure([{ name: 'loss', x: [1, 2, 3], y: [3, 2.5, 2.2] }], { title: 'loss', xTitle: 'step' }))
 */
import type { PlotlyFigure } from 'galore-lab';

type Trace = Record<string, unknown>;

/** Plotly's default colour sequence, so the SVG and the interactive figure agree. */
const COLORS = ['#636efa', '#ef553b', '#00cc96', '#ab63fa', '#ffa15a', '#19d3f3', '#ff6692', '#b6e880', '#ff97ff', '#fecb52'];

/** One line of a line chart. */
export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Dashed line (e.g. a reference or a baseline). */
  dash?: boolean;
  /** Draw markers too. */
  markers?: boolean;
}

/** Axis titles and options of a line chart. */
export interface LineFigureOptions {
  title: string;
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic y axis. */
  logY?: boolean;
}

/**
 * A line chart as a plotly figure.
 *
 * @example
 * lineFigure([{ name: 'AdamW', x: [1, 2], y: [4.6, 4.4] }], { title: 'training loss', xTitle: 'step', yTitle: 'loss' });
 */
export function lineFigure(series: LineSeries[], options: LineFigureOptions): PlotlyFigure {
  return {
    data: series.map((s, i) => ({
      type: 'scatter',
      mode: s.markers ? 'lines+markers' : 'lines',
      name: s.name,
      x: s.x,
      y: s.y,
      line: { color: COLORS[i % COLORS.length], ...(s.dash ? { dash: 'dash' } : {}) },
    })),
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: options.xTitle ?? '' } },
      yaxis: { title: { text: options.yTitle ?? '' }, ...(options.logY ? { type: 'log' } : {}) },
    },
  };
}

/** Size of the static drawing. */
export interface FigureOptions {
  width?: number;
  height?: number;
}

/**
 * The displayable figure: plotly JSON, an SVG drawing and a text summary in
 * one bundle. Use it as a cell's last value or pass it to `display(...)`.
 */
export function figure(fig: PlotlyFigure, options: FigureOptions = {}): { [key: symbol]: () => Record<string, unknown>; toString(): string } {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  return {
    [Symbol.for('Jupyter.display')]: () => ({
      'application/vnd.plotly.v1+json': { data: fig.data, layout: { ...fig.layout, width, height } },
      'image/svg+xml': svgOf(fig, width, height),
      'text/plain': textOf(fig),
    }),
    toString: () => textOf(fig),
  };
}

const esc = (s: unknown): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const titleOf = (x: unknown): string => {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object' && typeof (x as { text?: unknown }).text === 'string') return (x as { text: string }).text;
  return '';
};

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1).replace('e+', 'e').replace('.0e', 'e');
  if (a >= 100) return v.toFixed(0);
  return Number(v.toPrecision(3)).toString();
}

/** About `count` round tick values covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Ticks of a log axis spanning 10^lo to 10^hi: powers of ten, plus 2 and 5 times them on short spans. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) for (const f of [1, 2, 5]) out.push(f * 10 ** d);
  const inside = out.filter((v) => Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9);
  const decades = inside.filter((v) => Number.isInteger(Math.round(Math.log10(v) * 1e6) / 1e6));
  if (decades.length >= 3) return decades.filter((_, i) => i % Math.ceil(decades.length / 8) === 0);
  return inside;
}

interface Bars {
  categories: string[];
  /** Per trace, the value per category (null: no bar). */
  values: (number | null)[][];
  stacked: boolean;
  /** Histogram bins: categories are bin centres, drawn as touching bars. */
  numeric?: { edges: number[] };
}

const colorOf = (t: Trace, i: number): string => {
  const line = t.line as { color?: unknown } | undefined;
  const marker = t.marker as { color?: unknown } | undefined;
  const c = line?.color ?? marker?.color;
  return typeof c === 'string' ? c : COLORS[i % COLORS.length];
};

function histogramBars(traces: Trace[]): Bars {
  const all = traces.flatMap((t) => (t.x as number[]) ?? []);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const bins = Math.max(1, Math.min(30, Math.ceil(Math.sqrt(all.length))));
  const width = hi > lo ? (hi - lo) / bins : 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const values = traces.map((t) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of (t.x as number[]) ?? []) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return counts;
  });
  return { categories: edges.slice(0, -1).map((e) => fmt(e + width / 2)), values, stacked: false, numeric: { edges } };
}

function barBars(traces: Trace[], barmode: unknown): Bars {
  const categories: string[] = [];
  for (const t of traces) for (const x of (t.x as unknown[]) ?? []) if (!categories.includes(String(x))) categories.push(String(x));
  const values = traces.map((t) => {
    const xs = ((t.x as unknown[]) ?? []).map(String);
    const ys = (t.y as number[]) ?? [];
    return categories.map((c) => {
      const i = xs.indexOf(c);
      return i >= 0 && typeof ys[i] === 'number' ? ys[i] : null;
    });
  });
  return { categories, values, stacked: barmode === 'stack' };
}

/**
 * An SVG drawing of a plotly figure (line, bar and histogram traces).
 *
 * @example
 * svgOf(lineFigure([{ name: 'a', x: [0, 1], y: [1, 0] }], { title: 'demo' }), 400, 240);
 */
export function svgOf(fig: PlotlyFigure, width: number, height: number): string {
  const traces = fig.data as Trace[];
  const layout = fig.layout as Record<string, unknown>;
  const xaxis = (layout.xaxis ?? {}) as Record<string, unknown>;
  const yaxis = (layout.yaxis ?? {}) as Record<string, unknown>;
  const logY = yaxis.type === 'log';
  const title = titleOf(layout.title);
  const named = traces.filter((t) => typeof t.name === 'string' && t.name !== '');
  const legendRows = named.length > 1 ? named.length : 0;
  const kind = traces.some((t) => t.type === 'histogram') ? 'histogram' : traces.some((t) => t.type === 'bar') ? 'bar' : 'scatter';
  const bars: Bars | null = kind === 'histogram' ? histogramBars(traces) : kind === 'bar' ? barBars(traces, layout.barmode) : null;
  const m = { left: 64, right: 16, top: title ? 34 : 12, bottom: xaxis.title ? 52 : 36 };
  const legendWidth = legendRows > 0 ? Math.min(220, 30 + 7 * Math.max(...named.map((t) => String(t.name).length))) : 0;
  m.right += legendWidth;
  // category labels that do not fit under their bar are drawn slanted, with room below the axis
  const longestLabel = bars && !bars.numeric ? Math.min(40, Math.max(...bars.categories.map((c) => c.length))) : 0;
  const rotate = bars !== null && !bars.numeric && longestLabel * 6.5 > (width - m.left - m.right) / Math.max(1, bars.categories.length);
  if (rotate) m.bottom += Math.round(longestLabel * 3);
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const parts: string[] = [];

  let yLo = Infinity;
  let yHi = -Infinity;
  if (kind === 'scatter') {
    for (const t of traces) for (const y of (t.y as number[]) ?? []) if (Number.isFinite(y) && (!logY || y > 0)) { yLo = Math.min(yLo, y); yHi = Math.max(yHi, y); }
  } else if (bars) {
    const b = bars;
    yLo = 0;
    yHi = 0;
    b.categories.forEach((_, c) => {
      const col = b.values.map((v) => v[c] ?? 0);
      yHi = Math.max(yHi, b.stacked ? col.reduce((a, x) => a + Math.max(0, x), 0) : Math.max(...col));
      yLo = Math.min(yLo, ...col);
    });
  }
  if (!Number.isFinite(yLo)) { yLo = 0; yHi = 1; }
  if (yHi === yLo) { yHi = yLo + (yLo === 0 ? 1 : Math.abs(yLo) * 0.1); }
  const ty = (v: number) => (logY ? Math.log10(v) : v);
  let lo = ty(yLo);
  let hi = ty(yHi);
  if (kind === 'scatter') { const pad = (hi - lo) * 0.05; lo -= pad; hi += pad; }
  const Y = (v: number) => m.top + ph - ((ty(v) - lo) / (hi - lo)) * ph;

  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  if (title) parts.push(`<text x="${m.left + pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  // y grid and ticks
  const yTicks = logY ? logTicks(lo, hi) : niceTicks(lo, hi, 6).filter((v) => v >= lo && v <= hi);
  for (const v of yTicks) {
    const y = Y(v);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${esc(fmt(v))}</text>`);
  }

  if (kind === 'scatter') {
    let xLo = Infinity;
    let xHi = -Infinity;
    for (const t of traces) for (const x of (t.x as number[]) ?? []) { xLo = Math.min(xLo, x); xHi = Math.max(xHi, x); }
    if (!Number.isFinite(xLo)) { xLo = 0; xHi = 1; }
    if (xHi === xLo) { xLo -= 1; xHi += 1; }
    const X = (v: number) => m.left + ((v - xLo) / (xHi - xLo)) * pw;
    for (const v of niceTicks(xLo, xHi, 6).filter((v) => v >= xLo && v <= xHi)) {
      parts.push(`<text x="${X(v).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle" font-size="11" fill="#444">${esc(fmt(v))}</text>`);
    }
    traces.forEach((t, i) => {
      const xs = (t.x as number[]) ?? [];
      const ys = (t.y as number[]) ?? [];
      const color = colorOf(t, i);
      const mode = String(t.mode ?? 'lines');
      const pts = xs.map((x, k) => [x, ys[k]] as const).filter(([, y]) => Number.isFinite(y) && (!logY || y > 0));
      const dash = (t.line as { dash?: string } | undefined)?.dash ? ' stroke-dasharray="6 4"' : '';
      if (mode.includes('lines') && pts.length > 1) {
        const d = pts.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join('');
        parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      }
      if (mode.includes('markers') || pts.length === 1) {
        for (const [x, y] of pts) parts.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${color}"/>`);
      }
    });
  } else if (bars) {
    const b = bars;
    const n = b.categories.length;
    const slot = pw / Math.max(1, n);
    const groups = b.stacked || b.numeric ? 1 : b.values.length;
    const barW = b.numeric ? slot : (slot * 0.8) / groups;
    const labelEvery = rotate ? Math.max(1, Math.ceil(n / Math.max(1, Math.floor(pw / 14)))) : Math.max(1, Math.ceil(n / Math.max(1, Math.floor(pw / 48))));
    b.categories.forEach((cat, c) => {
      let stackTop = 0;
      b.values.forEach((vals, i) => {
        const v = vals[c];
        if (v === null) return;
        const color = colorOf(traces[i], i);
        let x0: number;
        let top: number;
        let bottom: number;
        if (b.stacked) {
          x0 = m.left + c * slot + slot * 0.1;
          bottom = Y(stackTop);
          stackTop += v;
          top = Y(stackTop);
        } else {
          x0 = b.numeric ? m.left + c * slot : m.left + c * slot + slot * 0.1 + i * barW;
          top = Y(Math.max(0, v));
          bottom = Y(Math.min(0, v));
        }
        const w = b.stacked ? slot * 0.8 : barW;
        const opacity = b.numeric && b.values.length > 1 ? ' fill-opacity="0.6"' : '';
        parts.push(`<rect x="${x0.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0.5, w - (b.numeric ? 1 : 0)).toFixed(1)}" height="${Math.max(0, bottom - top).toFixed(1)}" fill="${color}"${opacity}/>`);
      });
      if (!b.numeric && c % labelEvery === 0) {
        const x = m.left + c * slot + slot / 2;
        const y = m.top + ph + 14;
        const label = cat.length > 40 ? `${cat.slice(0, 39)}…` : cat;
        parts.push(rotate
          ? `<text x="${x.toFixed(1)}" y="${y}" text-anchor="end" font-size="10" fill="#444" transform="rotate(-30 ${x.toFixed(1)} ${y})">${esc(label)}</text>`
          : `<text x="${x.toFixed(1)}" y="${y}" text-anchor="middle" font-size="11" fill="#444">${esc(label)}</text>`);
      }
    });
    if (b.numeric) {
      const edges = b.numeric.edges;
      const X = (v: number) => m.left + ((v - edges[0]) / (edges[edges.length - 1] - edges[0] || 1)) * pw;
      for (const v of niceTicks(edges[0], edges[edges.length - 1], 6).filter((v) => v >= edges[0] && v <= edges[edges.length - 1])) {
        parts.push(`<text x="${X(v).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle" font-size="11" fill="#444">${esc(fmt(v))}</text>`);
      }
    }
  }
  // axes and titles
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#888"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#888"/>`);
  const xTitle = titleOf(xaxis.title);
  const yTitle = titleOf(yaxis.title);
  if (xTitle) parts.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(xTitle)}</text>`);
  if (yTitle) parts.push(`<text x="14" y="${m.top + ph / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${m.top + ph / 2})">${esc(yTitle)}</text>`);
  // legend
  if (legendRows > 0) {
    const lx = width - legendWidth + 6;
    named.forEach((t, k) => {
      const i = traces.indexOf(t);
      const y = m.top + 8 + k * 18;
      parts.push(`<rect x="${lx}" y="${y - 8}" width="14" height="10" fill="${colorOf(t, i)}"/>`);
      parts.push(`<text x="${lx + 20}" y="${y + 1}" font-size="11">${esc(String(t.name).length > 28 ? `${String(t.name).slice(0, 27)}…` : t.name)}</text>`);
    });
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}

/** A few lines that say what the figure shows, for consoles. */
export function textOf(fig: PlotlyFigure): string {
  const lines = [titleOf((fig.layout as Record<string, unknown>).title) || 'figure'];
  for (const t of fig.data as Trace[]) {
    const name = String(t.name ?? t.type ?? 'trace');
    if (t.type === 'histogram') {
      const x = (t.x as number[]) ?? [];
      lines.push(`  ${name}: ${x.length} values, ${fmt(Math.min(...x))} to ${fmt(Math.max(...x))}`);
    } else if (t.type === 'bar') {
      const xs = (t.x as unknown[]) ?? [];
      const ys = (t.y as number[]) ?? [];
      lines.push(`  ${name}: ${xs.map((x, i) => `${String(x)} ${fmt(ys[i])}`).join(', ')}`);
    } else {
      const y = ((t.y as number[]) ?? []).filter(Number.isFinite);
      if (y.length === 0) lines.push(`  ${name}: no points`);
      else lines.push(`  ${name}: ${y.length} points, first ${fmt(y[0])}, last ${fmt(y[y.length - 1])}, min ${fmt(Math.min(...y))}, max ${fmt(Math.max(...y))}`);
    }
  }
  return lines.join('\n');
}
