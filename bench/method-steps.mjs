#!/usr/bin/env node
// Step time of each fine-tuning method on the same model and data, through the
// CLI, with the ratio to full AdamW measured in the same run (issue 3):
// full AdamW, LoRA r=8 (q_proj,v_proj and all linear), GaLore r=64 (32- and
// 8-bit states, layer-wise). Prints one JSON line for bench/run.mjs.
//
//   node bench/method-steps.mjs [--steps 12] [--warmup 3]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MODEL_CONFIG, TRAIN, describeConfig, randomRows } from './training-step.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'kernel-lib/dist/cli/main.js');
const log = (m) => process.stderr.write(`[method-steps] ${m}\n`);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

export const METHODS = [
  { name: 'full AdamW', flags: ['--method', 'full'] },
  { name: 'full 8-bit AdamW', flags: ['--method', 'full', '--optim', 'adamw8bit'] },
  { name: 'LoRA r=8 (q_proj, v_proj)', flags: ['--method', 'lora', '--lora-r', '8'] },
  { name: 'LoRA r=8 (all linear)', flags: ['--method', 'lora', '--lora-r', '8', '--lora-target', 'all-linear'] },
  { name: 'GaLore r=64', flags: ['--method', 'galore', '--rank', '64', '--update-proj-gap', '200'] },
  { name: 'GaLore r=64, 8-bit', flags: ['--method', 'galore', '--rank', '64', '--update-proj-gap', '200', '--optim', 'adamw8bit'] },
  { name: 'GaLore r=64, 8-bit, layer-wise', flags: ['--method', 'galore', '--rank', '64', '--update-proj-gap', '200', '--optim', 'adamw8bit', '--layerwise'] },
];

function main() {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '12' }, warmup: { type: 'string', default: '3' }, 'no-peer': { type: 'boolean' } } });
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  if (!fs.existsSync(CLI)) { log(`missing ${CLI}: run npm run build first`); process.exit(2); }
  const work = path.join(ROOT, 'out/bench/method-steps');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify(MODEL_CONFIG));
  const data = path.join(work, 'data.jsonl');
  fs.writeFileSync(data, randomRows(TRAIN.batchSize, TRAIN.seqLen, MODEL_CONFIG.vocab_size, TRAIN.seed + 1).map((ids) => JSON.stringify({ input_ids: ids })).join('\n') + '\n');
  const init = spawnSync(process.execPath, [CLI, 'init', '--config', path.join(work, 'config.json'), '--out', path.join(work, 'model'), '--seed', '0'], { encoding: 'utf8' });
  if (init.status !== 0) { log(`init failed: ${init.stderr}`); process.exit(1); }
  const results = [];
  for (const m of METHODS) {
    const logFile = path.join(work, `${results.length}.jsonl`);
    log(`${m.name}: ${steps + warmup} steps ...`);
    const r = spawnSync(process.execPath, [CLI, 'train', '--model', path.join(work, 'model'), '--data', data, '--out', path.join(work, `out-${results.length}`),
      '--steps', String(steps + warmup), '--batch-size', String(TRAIN.batchSize), '--seq-len', String(TRAIN.seqLen), '--lr', String(TRAIN.lr),
      '--seed', String(TRAIN.seed), '--log', logFile, '--quiet', ...m.flags], { encoding: 'utf8' });
    if (r.status !== 0) { log(`${m.name} failed: ${r.stderr}`); process.exit(1); }
    const recs = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    results.push({ ...m, ms: median(recs.slice(warmup).map((x) => x.time_ms)), memory: recs.at(-1).memory, workers: /worker thread/.test(r.stdout) });
  }
  const base = results[0].ms;
  const rows = results.map((x) => ({
    name: x.name + (x.workers ? ' (+1 worker)' : ''), config: describeConfig(), ours_ms: x.ms,
    ref_ms: x === results[0] ? null : base, ref: x === results[0] ? null : 'full AdamW (ours, same run)',
    ratio: x === results[0] ? null : Math.round((x.ms / base) * 100) / 100, goal: null, later_goal: null, check: null,
  }));
  process.stdout.write(JSON.stringify({ bench: 'method-steps', peer_required_ok: true, rows }) + '\n');
}

main();
