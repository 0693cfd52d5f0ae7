/**
 * The `routing` part of a telemetry message: how a mixture of experts
 * (LoRA-MoE, `kernel-lib/src/moe`) routes tokens while it trains. Added to
 * schema version 1 as an optional field (a message without it reads as
 * `routing: null`; readers that do not know it ignore it), so older messages
 * and older readers keep working. Browser-safe, like `schema.ts`.
 *
 * - `load` / `meanLoad`: per routed module, the share of routing slots
 *   (tokens x top_k) each expert received, at the latest step and averaged
 *   over all recorded steps. Expert e of one module is unrelated to expert e
 *   of another module.
 * - `history`: per step (downsampled like the loss), the mean router entropy
 *   (overall and per decoder layer), the mean share of each module's busiest
 *   expert, and the auxiliary losses.
 */
import { SchemaProblem, array, nonNegative, num, numOrNull, object, str } from './schema-checks';

/** Routing at one step, or the mean of `count` consecutive steps once downsampled. */
export interface RoutingPoint {
  step: number;
  /** Mean router entropy over the routed modules (nats; log(numExperts) = uniform routing). */
  entropy: number;
  /** Mean router entropy per decoder layer (index = layer), null for a layer without routed modules. */
  entropyByLayer: (number | null)[];
  /** Share of the slots taken by each module's busiest expert, averaged over modules (1 / numExperts when even, 1 / topK at most for top-k). */
  maxLoad: number;
  /** Load-balancing loss (mean over modules, before its coefficient). */
  loadBalanceLoss: number | null;
  /** Contrastive routing loss (mean over modules, before its coefficient); null when off. */
  contrastiveLoss: number | null;
  count: number;
}

/** Expert routing of a run (see the module comment). */
export interface ExpertRoutingSummary {
  numExperts: number;
  topK: number;
  /** Routed module names, the rows of `load` and `meanLoad` (e.g. `model.layers.0.mlp.up_proj`). */
  modules: string[];
  /** Decoder layer of each module, or null. */
  layers: (number | null)[];
  /** Step of `load`. */
  step: number;
  /** Latest step: share of routing slots per expert, [module][expert]. */
  load: number[][];
  /** Averaged over every recorded step, [module][expert]. */
  meanLoad: number[][];
  history: RoutingPoint[];
  /** Steps recorded in all (more than `history.length` once downsampled). */
  stepsSeen: number;
}

function numbers(value: unknown, path: string, length: number): number[] {
  const a = array(value, path, length);
  if (a.length !== length) throw new SchemaProblem(`${path}: has ${a.length} entries, expected ${length} (one per expert)`);
  return a.map((v, i) => nonNegative(v, `${path}[${i}]`));
}

function loadMatrix(value: unknown, path: string, rows: number, experts: number): number[][] {
  const m = array(value, path, rows);
  if (m.length !== rows) throw new SchemaProblem(`${path}: has ${m.length} rows, expected one per routed module (${rows})`);
  return m.map((row, i) => numbers(row, `${path}[${i}]`, experts));
}

function checkPoint(value: unknown, path: string): RoutingPoint {
  const o = object(value, path);
  return {
    step: nonNegative(o.step, `${path}.step`),
    entropy: nonNegative(o.entropy, `${path}.entropy`),
    entropyByLayer: array(o.entropyByLayer, `${path}.entropyByLayer`, 10_000).map((v, i) => (v === null ? null : nonNegative(v, `${path}.entropyByLayer[${i}]`))),
    maxLoad: nonNegative(o.maxLoad, `${path}.maxLoad`),
    loadBalanceLoss: numOrNull(o.loadBalanceLoss, `${path}.loadBalanceLoss`),
    contrastiveLoss: numOrNull(o.contrastiveLoss, `${path}.contrastiveLoss`),
    count: nonNegative(o.count, `${path}.count`),
  };
}

/**
 * Checks a message's `routing` field (missing reads as null); throws a
 * `SchemaProblem` naming the bad field.
 *
 * @example
 * checkExpertRouting(message.routing, 'message.routing'); // ExpertRoutingSummary | null
 */
export function checkExpertRouting(value: unknown, path: string): ExpertRoutingSummary | null {
  if (value === undefined || value === null) return null;
  const o = object(value, path);
  const numExperts = num(o.numExperts, `${path}.numExperts`);
  if (!Number.isInteger(numExperts) || numExperts < 1 || numExperts > 1024) throw new SchemaProblem(`${path}.numExperts: expected an integer in [1, 1024], got ${numExperts}`);
  const topK = num(o.topK, `${path}.topK`);
  if (!Number.isInteger(topK) || topK < 1 || topK > numExperts) throw new SchemaProblem(`${path}.topK: expected an integer in [1, ${numExperts}], got ${topK}`);
  const modules = array(o.modules, `${path}.modules`, 10_000).map((m, i) => str(m, `${path}.modules[${i}]`, 500));
  const layers = array(o.layers, `${path}.layers`, 10_000).map((l, i) => (l === null ? null : nonNegative(l, `${path}.layers[${i}]`)));
  if (layers.length !== modules.length) throw new SchemaProblem(`${path}.layers: has ${layers.length} entries, expected one per routed module (${modules.length})`);
  return {
    numExperts,
    topK,
    modules,
    layers,
    step: nonNegative(o.step, `${path}.step`),
    load: loadMatrix(o.load, `${path}.load`, modules.length, numExperts),
    meanLoad: loadMatrix(o.meanLoad, `${path}.meanLoad`, modules.length, numExperts),
    history: array(o.history, `${path}.history`).map((p, i) => checkPoint(p, `${path}.history[${i}]`)),
    stepsSeen: nonNegative(o.stepsSeen, `${path}.stepsSeen`),
  };
}

/**
 * A one-line description of a run's routing, for text summaries.
 *
 * @example
 * routingLine(message.routing!); // '4 experts, top-2, 28 routed modules: entropy 1.21 nats (uniform 1.39), busiest expert 38% of slots'
 */
export function routingLine(r: ExpertRoutingSummary): string {
  const last = r.history[r.history.length - 1];
  const busiest = r.load.length ? r.load.reduce((s, row) => s + Math.max(...row), 0) / r.load.length : 0;
  const entropy = last ? `entropy ${last.entropy.toFixed(2)} nats (uniform ${Math.log(r.numExperts).toFixed(2)}), ` : '';
  return `${r.numExperts} experts, top-${r.topK}, ${r.modules.length} routed module${r.modules.length === 1 ? '' : 's'}: ${entropy}busiest expert ${(100 * busiest).toFixed(0)}% of slots`;
}
