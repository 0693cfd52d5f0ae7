/**
 * Plain-text renderings of memory ledgers: methods side by side, and one
 * method's optimizer state per weight kind.
 */
import type { MemoryLedger, ParameterLedgerRow } from './memory-ledger';

export type ByteUnit = 'B' | 'KiB' | 'MiB' | 'GiB';
const UNIT_BYTES: Record<ByteUnit, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** The largest binary unit in which `n` bytes is at least 1 (B for n < 1024). */
export function unitFor(n: number): ByteUnit {
  if (n >= UNIT_BYTES.GiB) return 'GiB';
  if (n >= UNIT_BYTES.MiB) return 'MiB';
  if (n >= UNIT_BYTES.KiB) return 'KiB';
  return 'B';
}

/**
 * Bytes in a fixed unit: 3 decimals for GiB, 1 for MiB/KiB, none for B.
 *
 * @example
 * bytesIn(1536 * 1024 ** 2, 'GiB'); // "1.500 GiB"
 */
export function bytesIn(n: number, unit: ByteUnit): string {
  const digits = unit === 'GiB' ? 3 : unit === 'B' ? 0 : 1;
  return `${(n / UNIT_BYTES[unit]).toFixed(digits)} ${unit}`;
}

/** Aligned text table: first column left-aligned, the others right-aligned. */
export function alignedTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Ledgers side by side: one column per ledger, one row per part, in the unit
 * of the largest total (or `unit`).
 *
 * @example
 * console.log(ledgerTable([memoryLedger(cfg, 'full'), memoryLedger(cfg, 'galore', { rank: 128 })]));
 */
export function ledgerTable(ledgers: MemoryLedger[], unit?: ByteUnit): string {
  if (ledgers.length === 0) return '';
  const u = unit ?? unitFor(Math.max(...ledgers.map((l) => l.total)));
  const b = (f: (l: MemoryLedger) => number) => ledgers.map((l) => bytesIn(f(l), u));
  const rows: string[][] = [
    ['trainable parameters', ...ledgers.map((l) => l.trainableParams.toLocaleString('en-US'))],
    ['weights', ...b((l) => l.weights)],
    ['gradients', ...b((l) => l.gradients)],
    ['optimizer states', ...b((l) => l.optimizerStates)],
    ['  moments', ...b((l) => l.optimizerBreakdown.moments)],
    ['  8-bit absmax scales', ...b((l) => l.optimizerBreakdown.scales)],
    ['  GaLore projection matrices', ...b((l) => l.optimizerBreakdown.projectors)],
    ['  of which outside GaLore (embedding, norms, biases)', ...ledgers.map((l) => (l.method === 'galore' ? bytesIn(l.optimizerBreakdown.unprojected, u) : '-'))],
    ['  of which in JS memory (8-bit codes)', ...b((l) => l.optimizerBreakdown.hostResident)],
    ['  less than full AdamW', ...ledgers.map((l) => pct(l.optimizerStateReduction))],
    [`activations saved for backward`, ...b((l) => l.activations.total)],
    ['  of which weight copies (wasm tape)', ...b((l) => l.activations.weightCopies)],
    ['  of which attention [T, T] per head', ...b((l) => l.activations.attentionScores)],
    ['  of which cross-entropy [B*T, V]', ...b((l) => l.activations.crossEntropy)],
    ['backward workspace', ...b((l) => l.backwardWorkspace)],
    ['optimizer step temporaries', ...b((l) => l.stepWorkspace)],
    ['peak at the end of the backward pass', ...b((l) => l.phases.forwardBackward)],
    ['peak while the optimizer steps', ...b((l) => l.phases.optimizerStep)],
    ['total (peak of a training step on the backend)', ...b((l) => l.total)],
    ['process total (+ JS-side states, workers)', ...b((l) => l.processTotal)],
  ];
  const first = ledgers[0];
  return `${alignedTable([`batch ${first.batchSize} x ${first.seqLen} tokens`, ...ledgers.map((l) => l.label)], rows)}`;
}

/** Weight names with the layer index replaced by `*`, so the 24 copies of a module share a row. */
const kindOf = (name: string) => name.replace(/^(base_model\.model\.)?model\.layers\.\d+\./, 'layers.*.').replace(/^model\./, '');

/**
 * One ledger's weights grouped by kind (`layers.*.mlp.up_proj.weight` x L):
 * shape, how many, state kind, GaLore factor and moment shapes, bytes of
 * state per weight and in all.
 *
 * @example
 * console.log(parameterTable(memoryLedger(cfg, 'galore', { rank: 128 })));
 */
export function parameterTable(ledger: MemoryLedger, unit?: ByteUnit): string {
  const groups = new Map<string, ParameterLedgerRow[]>();
  for (const r of ledger.params) {
    const k = kindOf(r.name);
    const g = groups.get(k);
    if (g) g.push(r); else groups.set(k, [r]);
  }
  const u = unit ?? unitFor(ledger.optimizerStates);
  const fmt = (s?: number[] | number[][]) => (s === undefined ? '-' : Array.isArray(s[0]) ? (s as number[][]).map((x) => `[${x.join(', ')}]`).join(' + ') : `[${(s as number[]).join(', ')}]`);
  const rows = [...groups].map(([k, rs]) => {
    const r = rs[0];
    return [k, `[${r.shape.join(', ')}]`, String(rs.length), r.stateKind, fmt(r.projectors), fmt(r.moments),
      r.stateBytes.toLocaleString('en-US'), bytesIn(rs.reduce((a, x) => a + x.stateBytes, 0), u)];
  });
  return alignedTable(['weight', 'shape', 'count', 'state', 'projector', 'moments', 'state bytes each', 'state in all'], rows);
}
