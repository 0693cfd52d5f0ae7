import { Qwen2Config, parameterCount, readQwen2Config } from '../model/config';
import { ledgerTable, parameterTable } from '../memory/ledger-table';
import { LEDGER_METHODS, LedgerMethod, LedgerOptimizer, MemoryLedger, MemoryLedgerOptions, memoryLedger } from '../memory/memory-ledger';
import { paperComparisonTable } from '../memory/paper-comparison';
import { REFERENCE_CONFIGS } from '../memory/reference-configs';
import { UsageError, numberFlag, parseCommandArgs, positiveInt } from './args';

const FLAGS = {
  model: { type: 'string' }, config: { type: 'string' }, preset: { type: 'string' },
  method: { type: 'string' }, optim: { type: 'string' }, layerwise: { type: 'boolean' },
  rank: { type: 'string' }, 'lora-r': { type: 'string' }, 'lora-target': { type: 'string', multiple: true }, dora: { type: 'boolean' },
  'batch-size': { type: 'string' }, 'seq-len': { type: 'string' },
  'per-param': { type: 'boolean' }, paper: { type: 'boolean' }, json: { type: 'boolean' },
  checkpointing: { type: 'boolean' }, 'loss-chunk': { type: 'string' }, 'galore-embedding': { type: 'boolean' },
} as const;

function loadConfig(v: Record<string, unknown>): { cfg: Qwen2Config; name: string } {
  const given = (['model', 'config', 'preset'] as const).filter((k) => v[k] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(`galore-lab memory: give exactly one of --model DIR, --config FILE or --preset ${Object.keys(REFERENCE_CONFIGS).join('|')}`);
  }
  const key = given[0];
  const value = String(v[key]);
  if (key === 'preset') {
    const cfg = REFERENCE_CONFIGS[value];
    if (!cfg) throw new UsageError(`galore-lab memory: unknown --preset "${value}" (known: ${Object.keys(REFERENCE_CONFIGS).join(', ')})`);
    return { cfg, name: value };
  }
  return { cfg: readQwen2Config(value), name: value };
}

/**
 * `galore-lab memory`: the memory ledger of a training method on a model's
 * config, as a table (or JSON). Without `--method`, full AdamW, full 8-bit
 * AdamW, LoRA, GaLore and 8-bit GaLore side by side (only `--optim`'s
 * variants when it is given).
 *
 *   galore-lab memory --preset qwen2-0.5b-instruct --rank 128 --paper
 *   galore-lab memory --model models/Qwen2-0.5B-Instruct --method galore --optim adamw8bit --layerwise --per-param
 *   galore-lab memory --config config.json --method lora --lora-r 16 --lora-target q_proj,v_proj --json
 */
export async function memoryCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, FLAGS, 'memory');
  const { cfg, name } = loadConfig(v);
  const method = v.method as string | undefined;
  if (method !== undefined && !LEDGER_METHODS.includes(method as LedgerMethod)) {
    throw new UsageError(`--method must be one of ${LEDGER_METHODS.join(', ')}, got "${method}"`);
  }
  const optim = v.optim as string | undefined;
  if (optim !== undefined && optim !== 'adamw' && optim !== 'adamw8bit') {
    throw new UsageError(`--optim must be adamw or adamw8bit, got "${optim}"`);
  }
  const targets = (v['lora-target'] as string[] | undefined)?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  const base: MemoryLedgerOptions = {
    layerwise: v.layerwise === true,
    rank: numberFlag(v, 'rank', 128, positiveInt, 'a positive integer'),
    loraR: numberFlag(v, 'lora-r', 8, positiveInt, 'a positive integer'),
    loraTargets: targets === undefined || targets.includes('all') || targets.includes('all-linear') ? 'all' : targets,
    dora: v.dora === true,
    batchSize: numberFlag(v, 'batch-size', 1, positiveInt, 'a positive integer'),
    seqLen: numberFlag(v, 'seq-len', 512, positiveInt, 'a positive integer'),
    checkpointing: v.checkpointing === true,
    lossChunk: v['loss-chunk'] === undefined ? undefined : numberFlag(v, 'loss-chunk', 1, positiveInt, 'a positive integer'),
    galoreEmbedding: v['galore-embedding'] === true,
  };
  const optims: LedgerOptimizer[] = optim ? [optim as LedgerOptimizer] : ['adamw', 'adamw8bit'];
  const plan: [LedgerMethod, LedgerOptimizer][] = method
    ? [[method as LedgerMethod, (optim ?? 'adamw') as LedgerOptimizer]]
    : [...optims.map((o): [LedgerMethod, LedgerOptimizer] => ['full', o]), ['lora', optims[0]], ...optims.map((o): [LedgerMethod, LedgerOptimizer] => ['galore', o])];
  let ledgers: MemoryLedger[];
  try {
    ledgers = plan.map(([m, o]) => memoryLedger(cfg, m, { ...base, optim: o }));
  } catch (e) {
    throw new UsageError(`galore-lab memory: ${(e as Error).message}`);
  }
  if (v.json) {
    out(JSON.stringify({ model: name, ledgers }, null, 2));
    return 0;
  }
  out(`Memory ledger of ${name} (${parameterCount(cfg).toLocaleString('en-US')} parameters)`);
  out('');
  out(ledgerTable(ledgers));
  if (v['per-param']) {
    for (const l of ledgers) {
      out('');
      out(`Optimizer state per weight: ${l.label}`);
      out(parameterTable(l));
    }
  }
  if (v.paper) {
    out('');
    out(paperComparisonTable(cfg, base.rank!, name));
  }
  out('');
  out('Assumptions:');
  const seen = new Set<string>();
  for (const l of ledgers) for (const a of l.assumptions) if (!seen.has(a)) { seen.add(a); out(`- ${a}`); }
  return 0;
}
