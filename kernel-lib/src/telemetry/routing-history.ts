/**
 * Bookkeeping for a mixture of experts' routing telemetry: the latest and
 * mean expert load per routed module, and a downsampled history of routing
 * entropy (overall and per layer), busiest-expert share and auxiliary losses.
 * Plain numbers only; `TelemetryRecorder` owns one.
 */
import { BucketHistory, roundSignificant, weightedMean } from './downsample';
import type { ExpertRoutingSummary, RoutingPoint } from './expert-routing-schema';

/** The routing of one training step (a LoRA-MoE's `routingStats()` plus the step). */
export interface RoutingInput {
  step: number;
  numExperts: number;
  topK: number;
  modules: { name: string; load: number[]; entropy: number }[];
  loadBalanceLoss: number | null;
  contrastiveLoss: number | null;
}

const layerOf = (name: string): number | null => {
  const m = /(?:^|\.)layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
};

const round = (v: number): number => roundSignificant(v, 4) ?? 0;

function mergePoints(a: RoutingPoint, b: RoutingPoint): RoutingPoint {
  const n = Math.max(a.entropyByLayer.length, b.entropyByLayer.length);
  return {
    step: b.step,
    entropy: weightedMean(a.entropy, a.count, b.entropy, b.count) as number,
    entropyByLayer: Array.from({ length: n }, (_, i) => weightedMean(a.entropyByLayer[i] ?? null, a.count, b.entropyByLayer[i] ?? null, b.count)),
    maxLoad: weightedMean(a.maxLoad, a.count, b.maxLoad, b.count) as number,
    loadBalanceLoss: weightedMean(a.loadBalanceLoss, a.count, b.loadBalanceLoss, b.count),
    contrastiveLoss: weightedMean(a.contrastiveLoss, a.count, b.contrastiveLoss, b.count),
    count: a.count + b.count,
  };
}

function roundPoint(p: RoutingPoint): RoutingPoint {
  return {
    ...p,
    entropy: round(p.entropy),
    entropyByLayer: p.entropyByLayer.map((v) => (v === null ? null : round(v))),
    maxLoad: round(p.maxLoad),
    loadBalanceLoss: p.loadBalanceLoss === null ? null : round(p.loadBalanceLoss),
    contrastiveLoss: p.contrastiveLoss === null ? null : round(p.contrastiveLoss),
  };
}

/**
 * Accumulates routing steps into an `ExpertRoutingSummary`.
 *
 * @example
 * const h = new RoutingHistory();
 * h.record({ step: 1, numExperts: 4, topK: 2, modules: moe.routingStats()!.modules, loadBalanceLoss: 1.02, contrastiveLoss: 2.3 });
 * h.summary()?.meanLoad;
 */
export class RoutingHistory {
  private readonly history: BucketHistory<RoutingPoint>;
  private readonly index = new Map<string, number>();
  private names: string[] = [];
  private latest: number[][] = [];
  private sums: number[][] = [];
  private counts: number[] = [];
  private experts = 0;
  private topK = 0;
  private lastStep = 0;

  constructor(capacity = 256) {
    this.history = new BucketHistory(capacity, mergePoints);
  }

  /** Records one step's routing. */
  record(input: RoutingInput): void {
    if (this.experts && (input.numExperts !== this.experts || input.topK !== this.topK)) {
      throw new Error(`RoutingHistory: ${input.numExperts} experts / top-${input.topK} after ${this.experts} / top-${this.topK}; one run has one routing shape`);
    }
    this.experts = input.numExperts;
    this.topK = input.topK;
    this.lastStep = input.step;
    const byLayer = new Map<number, number[]>();
    let entropy = 0;
    let maxLoad = 0;
    for (const m of input.modules) {
      if (m.load.length !== input.numExperts) throw new Error(`RoutingHistory: module ${m.name} has ${m.load.length} load shares for ${input.numExperts} experts`);
      let i = this.index.get(m.name);
      if (i === undefined) {
        i = this.names.length;
        this.index.set(m.name, i);
        this.names.push(m.name);
        this.sums.push(new Array<number>(input.numExperts).fill(0));
        this.latest.push(new Array<number>(input.numExperts).fill(0));
        this.counts.push(0);
      }
      this.latest[i] = m.load.slice();
      m.load.forEach((v, e) => { this.sums[i!][e] += v; });
      this.counts[i] += 1;
      entropy += m.entropy;
      maxLoad += Math.max(...m.load);
      const layer = layerOf(m.name);
      if (layer !== null) byLayer.set(layer, [...(byLayer.get(layer) ?? []), m.entropy]);
    }
    const n = Math.max(1, input.modules.length);
    const layers = byLayer.size ? Math.max(...byLayer.keys()) + 1 : 0;
    this.history.push({
      step: input.step,
      entropy: entropy / n,
      entropyByLayer: Array.from({ length: layers }, (_, l) => {
        const xs = byLayer.get(l);
        return xs ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
      }),
      maxLoad: maxLoad / n,
      loadBalanceLoss: input.loadBalanceLoss !== null && Number.isFinite(input.loadBalanceLoss) ? input.loadBalanceLoss : null,
      contrastiveLoss: input.contrastiveLoss !== null && Number.isFinite(input.contrastiveLoss) ? input.contrastiveLoss : null,
      count: 1,
    });
  }

  /** The summary for a message, or null before the first step. */
  summary(): ExpertRoutingSummary | null {
    if (this.names.length === 0) return null;
    return {
      numExperts: this.experts,
      topK: this.topK,
      modules: this.names.slice(),
      layers: this.names.map(layerOf),
      step: this.lastStep,
      load: this.latest.map((row) => row.map(round)),
      meanLoad: this.sums.map((row, i) => row.map((v) => round(v / Math.max(1, this.counts[i])))),
      history: this.history.points().map(roundPoint),
      stepsSeen: this.history.seen,
    };
  }
}
