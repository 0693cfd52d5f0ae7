/**
 * The MIME bundle of a telemetry message: the message itself under
 * `application/vnd.galore-lab.telemetry+json` (rendered live by the GaLore
 * Lab JupyterLab extension) plus `text/plain` and `text/html` summaries for
 * every other frontend (GitHub, nbviewer, VS Code, consoles, nbconvert).
 * The HTML is built from escaped text and numbers only.
 */
import { escapeHtml, richMimeBundle } from '../display/mime-bundle';
import type { MimeBundle } from '../display/kernel-hook';
import { routingLine } from './expert-routing-schema';
import { TELEMETRY_MIME_TYPE, formatBytes, latestMemoryFigure, methodLabel, type TelemetryMessage } from './schema';

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function progress(message: TelemetryMessage): string {
  const step = message.latest.step?.step ?? 0;
  return message.run.totalSteps ? `${step}/${message.run.totalSteps}` : String(step);
}

function subspaceLine(message: TelemetryMessage): string | null {
  const s = message.subspaces;
  if (!s || s.latest.length === 0) return null;
  const energies = s.latest.map((e) => e.energyCaptured);
  const mean = energies.reduce((a, b) => a + b, 0) / energies.length;
  const ranks = [...new Set(s.latest.map((e) => e.rank))].sort((a, b) => a - b);
  return `${s.latest.length} GaLore weights, rank ${ranks.join('/')}, ${s.refreshesSeen} refresh${s.refreshesSeen === 1 ? '' : 'es'}, mean captured energy ${fixed(mean, 3)}`;
}

/**
 * The plain-text summary of a message (a few lines).
 *
 * @example
 * telemetryText(message);
 * // 'GaLore Lab training: tiny-qwen2, GaLore r=8 (running)\nstep 12/20  loss 3.2104  lr 1.00e-3  ...'
 */
export function telemetryText(message: TelemetryMessage): string {
  const run = message.run;
  const last = message.latest.step;
  const memory = latestMemoryFigure(message);
  const lines = [
    `GaLore Lab training: ${run.model.name}, ${methodLabel(run)} (${message.status})`,
    `step ${progress(message)}  loss ${fixed(last?.loss, 4)}  lr ${last ? last.lr.toExponential(2) : '–'}  grad norm ${fixed(last?.gradNorm, 3)}  tokens/s ${fixed(last?.tokensPerSecond, 0)}`,
  ];
  if (memory) lines.push(`memory: ${formatBytes(memory.bytes)} ${memory.label}; tensors ${formatBytes(memory.tensorBytes)} (${run.backend} backend)`);
  const sub = subspaceLine(message);
  if (sub) lines.push(sub);
  if (message.routing) lines.push(`routing: ${routingLine(message.routing)}`);
  if (message.end) lines.push(`${message.end.status} after ${message.end.step} steps in ${fixed(message.end.elapsedMs / 1000, 1)} s${message.end.reason ? `: ${message.end.reason}` : ''}`);
  return lines.join('\n');
}

/** A loss sparkline as inline SVG (numbers only). */
function lossSparkline(message: TelemetryMessage, width = 240, height = 48): string {
  const points = message.steps;
  if (points.length < 2) return '';
  const xs = points.map((p) => p.step);
  const ys = points.map((p) => p.loss);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 > x0 ? ((x - x0) / (x1 - x0)) * (width - 4) + 2 : width / 2);
  const sy = (y: number) => (y1 > y0 ? height - 2 - ((y - y0) / (y1 - y0)) * (height - 4) : height / 2);
  const path = points.map((p) => `${sx(p.step).toFixed(1)},${sy(p.loss).toFixed(1)}`).join(' ');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="loss curve"><polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${path}"/></svg>`;
}

/**
 * The HTML summary of a message: a small table and a loss sparkline.
 *
 * @example
 * telemetryHtml(message); // '<div class="galore-lab-telemetry-summary">...'
 */
export function telemetryHtml(message: TelemetryMessage): string {
  const run = message.run;
  const last = message.latest.step;
  const memory = latestMemoryFigure(message);
  const rows: [string, string][] = [
    ['run', `${run.model.name} · ${methodLabel(run)} · ${run.optimizer}`],
    ['status', message.status],
    ['step', progress(message)],
    ['loss', fixed(last?.loss, 4)],
    ['learning rate', last ? last.lr.toExponential(2) : '–'],
    ['tokens/s', fixed(last?.tokensPerSecond, 0)],
  ];
  if (memory) rows.push([memory.label, formatBytes(memory.bytes)], ['tensors', formatBytes(memory.tensorBytes)]);
  const sub = subspaceLine(message);
  if (sub) rows.push(['subspaces', sub]);
  if (message.routing) rows.push(['routing', routingLine(message.routing)]);
  if (message.end?.reason) rows.push(['ended', `${message.end.status}: ${message.end.reason}`]);
  const body = rows.map(([k, v]) => `<tr><th style="text-align:left;padding-right:1em">${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`).join('');
  return (
    `<div class="galore-lab-telemetry-summary"><b>GaLore Lab training</b> ` +
    `<small>(install the GaLore Lab JupyterLab extension for the live dashboard)</small>` +
    `<table>${body}</table>${lossSparkline(message)}</div>`
  );
}

/**
 * The full MIME bundle of a message: the JSON message plus text and HTML fallbacks.
 *
 * @example
 * displayMimeBundle(telemetryBundle(recorder.message()), { displayId: true });
 */
export function telemetryBundle(message: TelemetryMessage): MimeBundle {
  return richMimeBundle({ mimeType: TELEMETRY_MIME_TYPE, data: message, text: telemetryText(message), html: telemetryHtml(message) });
}
