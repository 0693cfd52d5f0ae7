/**
 * What the router did in one forward pass, per routed module: the share of
 * routing slots each expert received and the mean entropy of the router's
 * distributions. Plain numbers (no tensors), for notebooks and telemetry.
 */

/** Routing of one module in one forward pass. */
export interface ModuleRouting {
  /** Full module name, e.g. `model.layers.0.mlp.up_proj`. */
  name: string;
  /** Share of the routing slots (tokens * top_k) each expert received; sums to 1. */
  load: number[];
  /** Mean router entropy over the tokens, in nats (log(num_experts) = uniform). */
  entropy: number;
}

/** Routing of every module in one forward pass, with the losses of that pass when it was a training step. */
export interface ExpertRoutingStats {
  numExperts: number;
  topK: number;
  /** Tokens routed per module in the pass (batch * sequence length). */
  tokens: number;
  modules: ModuleRouting[];
  /** The language-model loss (mean token cross-entropy), when the pass was a training step. */
  lmLoss: number | null;
  /** The load-balancing loss, mean over modules (before its coefficient). */
  loadBalanceLoss: number | null;
  /** The contrastive loss, mean over modules (before its coefficient); null when off or undefined this step. */
  contrastiveLoss: number | null;
}

/**
 * Decoder layer of a module name, or null.
 *
 * @example
 * layerOfModule('model.layers.3.self_attn.q_proj'); // 3
 */
export function layerOfModule(name: string): number | null {
  const m = /(?:^|\.)layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Expert load per decoder layer: the mean of the layer's modules' load
 * vectors (expert e of one module is unrelated to expert e of another; the
 * mean shows how even the layer's routing is, sorted per module from the
 * busiest expert down, so "expert 1" is each module's busiest).
 *
 * @example
 * layerLoadRanked(stats); // [{ layer: 0, load: [0.41, 0.28, 0.19, 0.12] }, ...]
 */
export function layerLoadRanked(stats: ExpertRoutingStats): { layer: number | null; load: number[] }[] {
  const byLayer = new Map<number | null, number[][]>();
  for (const m of stats.modules) {
    const layer = layerOfModule(m.name);
    const list = byLayer.get(layer) ?? [];
    list.push([...m.load].sort((a, b) => b - a));
    byLayer.set(layer, list);
  }
  return [...byLayer].map(([layer, loads]) => ({
    layer,
    load: loads[0].map((_, e) => loads.reduce((s, l) => s + l[e], 0) / loads.length),
  }));
}

/**
 * Mean routing entropy per decoder layer (nats).
 *
 * @example
 * layerEntropy(stats); // [{ layer: 0, entropy: 1.31 }, ...]
 */
export function layerEntropy(stats: ExpertRoutingStats): { layer: number | null; entropy: number }[] {
  const byLayer = new Map<number | null, number[]>();
  for (const m of stats.modules) {
    const layer = layerOfModule(m.name);
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), m.entropy]);
  }
  return [...byLayer].map(([layer, xs]) => ({ layer, entropy: xs.reduce((a, b) => a + b, 0) / xs.length }));
}

/**
 * Sums routing statistics of several passes (load and entropy weighted by tokens).
 *
 * @example
 * const overall = mergeRoutingStats([statsBatch1, statsBatch2]);
 */
export function mergeRoutingStats(all: ExpertRoutingStats[]): ExpertRoutingStats {
  if (all.length === 0) throw new Error('mergeRoutingStats: nothing to merge');
  const first = all[0];
  const tokens = all.reduce((n, s) => n + s.tokens, 0);
  const modules = first.modules.map((m, i) => {
    const load = m.load.map((_, e) => all.reduce((s, st) => s + st.modules[i].load[e] * st.tokens, 0) / tokens);
    const entropy = all.reduce((s, st) => s + st.modules[i].entropy * st.tokens, 0) / tokens;
    return { name: m.name, load, entropy };
  });
  const mean = (pick: (s: ExpertRoutingStats) => number | null): number | null => {
    const xs = all.map(pick).filter((x): x is number => x !== null);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  return {
    numExperts: first.numExperts, topK: first.topK, tokens, modules,
    lmLoss: mean((s) => s.lmLoss), loadBalanceLoss: mean((s) => s.loadBalanceLoss), contrastiveLoss: mean((s) => s.contrastiveLoss),
  };
}
