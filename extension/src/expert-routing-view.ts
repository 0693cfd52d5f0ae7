/**
 * The expert-routing charts of the training dashboard, drawn when a run
 * trains a mixture of experts (a LoRA-MoE: telemetry `routing` is set):
 *
 * - expert load: a heatmap with one row per routed module (`L0 q_proj`...)
 *   and one column per expert, coloured by the share of routing slots the
 *   expert received, averaged over the run (hover shows the latest step's
 *   share too); an even router paints every row the same colour;
 * - routing entropy over training: the mean router entropy per decoder layer,
 *   with the uniform-routing ceiling log(num_experts) dashed.
 *
 * Pure functions from a message to plotly traces and layouts, so they are
 * tested without a browser; `TelemetryDashboard` owns the nodes.
 */
import { plotlyText } from './plotly';
import type { ExpertRoutingSummary, TelemetryMessage } from './telemetry';
import { baseLayout, type ChartTheme } from './theme';

/** Short row label of a routed module: `L3 down_proj`. */
export function moduleLabel(name: string): string {
  const m = /(?:^|\.)layers\.(\d+)\.(?:[a-z_]+\.)*?([A-Za-z0-9_]+)$/.exec(name);
  return m ? `L${m[1]} ${m[2]}` : name;
}

/** Line colours for layers, readable on light and dark backgrounds. */
const LAYER_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b'];

/** The expert-load heatmap's traces (empty without routing). */
export function expertLoadTraces(message: TelemetryMessage, theme: ChartTheme): unknown[] {
  const r = message.routing;
  if (!r) return [];
  const labels = r.modules.map((m) => plotlyText(moduleLabel(m)));
  return [
    {
      type: 'heatmap',
      x: Array.from({ length: r.numExperts }, (_, e) => `expert ${e + 1}`),
      y: labels,
      z: r.meanLoad,
      customdata: r.load,
      zmin: 0,
      zmax: Math.max(1 / r.topK, ...r.meanLoad.flat()),
      colorscale: theme.heatmap,
      colorbar: { title: { text: 'share' }, thickness: 10 },
      hovertemplate: '%{y}, %{x}<br>mean share %{z:.1%}<br>latest %{customdata:.1%}<extra></extra>'
    }
  ];
}

/** The expert-load heatmap's layout. */
export function expertLoadLayout(routing: ExpertRoutingSummary, theme: ChartTheme): Record<string, unknown> {
  const layout = baseLayout(theme, `Expert load: share of routing slots (${routing.numExperts} experts, top-${routing.topK}; even = ${(100 / routing.numExperts).toFixed(0)}%)`);
  layout.yaxis = { ...(layout.yaxis as object), autorange: 'reversed', tickfont: { size: 9 }, automargin: true };
  layout.margin = { l: 80, r: 16, t: 32, b: 32 };
  return layout;
}

/** The routing-entropy chart's traces: one line per decoder layer, the uniform ceiling dashed. */
export function routingEntropyTraces(message: TelemetryMessage, theme: ChartTheme): unknown[] {
  const r = message.routing;
  if (!r || r.history.length === 0) return [];
  const steps = r.history.map((p) => p.step);
  const layers = Math.max(0, ...r.history.map((p) => p.entropyByLayer.length));
  const mode = r.history.length < 30 ? 'lines+markers' : 'lines';
  const traces: unknown[] = [];
  for (let l = 0; l < layers; l++) {
    const y = r.history.map((p) => p.entropyByLayer[l] ?? null);
    if (y.every((v) => v === null)) continue;
    traces.push({
      x: steps, y, type: 'scatter', mode, marker: { size: 4 }, name: `layer ${l}`,
      line: { color: LAYER_COLORS[l % LAYER_COLORS.length], width: 1.5 },
      hovertemplate: `layer ${l}, step %{x}<br>%{y:.3f} nats<extra></extra>`
    });
  }
  if (traces.length === 0) {
    traces.push({ x: steps, y: r.history.map((p) => p.entropy), type: 'scatter', mode, name: 'all modules', line: { color: theme.series.loss, width: 2 } });
  }
  const ceiling = Math.log(r.numExperts);
  traces.push({
    x: [steps[0], steps[steps.length - 1]], y: [ceiling, ceiling], type: 'scatter', mode: 'lines', name: 'uniform routing',
    line: { color: theme.mutedColor, width: 1, dash: 'dash' }, hovertemplate: `log ${r.numExperts} = ${ceiling.toFixed(3)} nats<extra></extra>`
  });
  return traces;
}

/** The routing-entropy chart's layout. */
export function routingEntropyLayout(theme: ChartTheme): Record<string, unknown> {
  const layout = baseLayout(theme, 'Routing entropy (nats, mean over each layer\'s modules)');
  layout.xaxis = { ...(layout.xaxis as object), title: { text: 'step' } };
  return layout;
}

/** The one-line routing summary under the dashboard's header, or null. */
export function routingSummary(message: TelemetryMessage): string | null {
  const r = message.routing;
  if (!r) return null;
  const last = r.history[r.history.length - 1];
  const parts = [`${r.numExperts} experts, top-${r.topK}, ${r.modules.length} routed modules`];
  if (last) {
    parts.push(`entropy ${last.entropy.toFixed(3)} / ${Math.log(r.numExperts).toFixed(3)} nats`);
    parts.push(`busiest expert ${(100 * last.maxLoad).toFixed(0)}% of slots`);
    if (last.loadBalanceLoss !== null) parts.push(`balance loss ${last.loadBalanceLoss.toFixed(3)}`);
    if (last.contrastiveLoss !== null) parts.push(`contrastive loss ${last.contrastiveLoss.toFixed(3)}`);
  }
  return parts.join(' · ');
}
