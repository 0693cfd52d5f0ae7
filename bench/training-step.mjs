#!/usr/bin/env node
// Benchmark "training-step": the median time of one full fine-tuning step
// (forward, backward, gradient clipping, AdamW) of a tiny Qwen2 model, with
// this project (through its CLI, `galore-lab init` + `galore-lab train`) and
// with the PyTorch peer bench/torch_peer.py, started from the same weights
// and trained on the same token rows.
//
//   node bench/training-step.mjs [--steps 12] [--warmup 3] [--no-peer]
//        [--cli kernel-lib/dist/cli/main.js] [--python /usr/bin/python3]
//        [--work out/bench/training-step] [--verbose]
//
// Prints one JSON line on stdout (the result bench/run.mjs collects); progress
// and diagnostics go to stderr. Exit status: 0 when our side ran (the peer may
// have failed: see `peer.error`), 2 when the CLI is missing, 1 on other errors.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The configuration of issue 2 ("Performance, measured"). */
export const MODEL_CONFIG = {
  model_type: 'qwen2',
  vocab_size: 2048,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  max_position_embeddings: 512,
  tie_word_embeddings: false,
};
export const TRAIN = { batchSize: 4, seqLen: 128, lr: 1e-4, seed: 0 };
/** The issue's goal for the ratio ours / PyTorch, and the later one. */
export const GOAL_RATIO = 4;
export const LATER_GOAL_RATIO = 1.5;
/** Torch intra-op threads and OpenBLAS threads of the peer (TOOLCHAIN.md: never 2 and 2). */
export const PEER_THREADS = { torch: 1, openblas: 2 };

export function describeConfig(c = MODEL_CONFIG, t = TRAIN) {
  return `qwen2 L${c.num_hidden_layers} d${c.hidden_size} h${c.num_attention_heads}/kv${c.num_key_value_heads} ` +
    `ff${c.intermediate_size} V${c.vocab_size}, batch ${t.batchSize} x seq ${t.seqLen}, f32`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const log = (msg) => process.stderr.write(`[training-step] ${msg}\n`);

/** Deterministic random token rows (mulberry32), so every run trains on the same data. */
export function randomRows(rows, len, vocab, seed) {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => Math.floor(next() * vocab)));
}

/** Run a command; resolve with {code, stdout, stderr, ms}. stderr is echoed when `echo` is set. */
function run(cmd, args, { env, echo = false, cwd = ROOT } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; if (echo) process.stderr.write(d); });
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: stderr + String(e), ms: Date.now() - t0 }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), signal, stdout, stderr, ms: Date.now() - t0 }));
  });
}

const tail = (s, n = 1500) => (s.length > n ? '...' + s.slice(-n) : s).trim();

function fail(code, msg) {
  log(msg);
  process.exit(code);
}

/** Our side: init a model folder, train it through the CLI, read the step log. */
async function runOurs(opts, work) {
  const cli = path.resolve(ROOT, opts.cli);
  if (!fs.existsSync(cli)) {
    const src = path.join(ROOT, 'kernel-lib/src/cli/main.ts');
    fail(2, `the project's CLI ${opts.cli} is missing. ` +
      (fs.existsSync(src)
        ? 'Build it first: `npm run build` (`npm run bench` builds before benchmarking).'
        : 'kernel-lib/src/cli/main.ts does not exist yet, so there is nothing to build; ' +
          'point --cli (or GALORE_LAB_CLI) at a CLI that implements `init` and `train`.'));
  }
  const cfgFile = path.join(work, 'config.json');
  const modelDir = path.join(work, 'model');
  const dataFile = path.join(work, 'data.jsonl');
  const logFile = path.join(work, 'train-log.jsonl');
  const outDir = path.join(work, 'train-out');
  fs.writeFileSync(cfgFile, JSON.stringify(MODEL_CONFIG, null, 2) + '\n');
  // One batch of rows: every step trains on the same TRAIN.batchSize rows in both
  // implementations (in any order), so the runner can check they compute the same losses.
  const rows = randomRows(TRAIN.batchSize, TRAIN.seqLen, MODEL_CONFIG.vocab_size, TRAIN.seed + 1);
  fs.writeFileSync(dataFile, rows.map((ids) => JSON.stringify({ input_ids: ids })).join('\n') + '\n');
  fs.rmSync(modelDir, { recursive: true, force: true });
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.rmSync(logFile, { force: true });

  const node = process.execPath;
  const init = await run(node, [cli, 'init', '--config', cfgFile, '--out', modelDir, '--seed', String(TRAIN.seed)], { echo: opts.verbose });
  if (init.code !== 0) fail(1, `\`galore-lab init\` failed (exit ${init.code}):\n${tail(init.stderr || init.stdout)}`);
  const parameters = Number((/([\d,]+) parameters/.exec(init.stdout)?.[1] ?? '').replace(/,/g, '')) || null;

  const total = opts.steps + opts.warmup;
  log(`ours: ${total} steps (${opts.warmup} warm-up) through ${opts.cli} train --method full ...`);
  const train = await run(node, [cli, 'train', '--model', modelDir, '--data', dataFile, '--method', 'full',
    '--out', outDir, '--steps', String(total), '--batch-size', String(TRAIN.batchSize), '--seq-len', String(TRAIN.seqLen),
    '--lr', String(TRAIN.lr), '--seed', String(TRAIN.seed), '--log', logFile], { echo: opts.verbose });
  if (train.code !== 0) fail(1, `\`galore-lab train\` failed (exit ${train.code}):\n${tail(train.stderr || train.stdout)}`);
  if (!fs.existsSync(logFile)) fail(1, `\`galore-lab train\` wrote no log at ${logFile}`);
  const records = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  if (records.length !== total) fail(1, `the training log has ${records.length} steps, expected ${total}`);
  for (const key of ['time_ms', 'loss', 'grad_norm']) {
    if (!records.every((r) => typeof r[key] === 'number')) fail(1, `the training log lacks a numeric "${key}" on some step`);
  }
  const timed = records.slice(opts.warmup).map((r) => r.time_ms);
  const last = records[records.length - 1];
  return {
    median_step_ms: round(median(timed)),
    mean_step_ms: round(timed.reduce((a, b) => a + b, 0) / timed.length),
    min_step_ms: Math.min(...timed),
    steps: timed.length,
    warmup: opts.warmup,
    parameters,
    step_ms: records.map((r) => r.time_ms),
    loss: records.map((r) => round(r.loss, 6)),
    grad_norm: records.map((r) => round(r.grad_norm, 6)),
    memory_bytes: last.memory ?? null,
    wasm_heap_bytes: last.wasm_heap ?? null,
    process_ms: train.ms,
    files: { config: cfgFile, model: modelDir, data: dataFile },
  };
}

/** The PyTorch peer on the same weights and rows. Never throws: failures come back as {error}. */
async function runPeer(opts, ours) {
  const args = [path.join(ROOT, 'bench/torch_peer.py'), '--config', ours.files.config,
    '--weights', path.join(ours.files.model, 'model.safetensors'), '--data', ours.files.data,
    '--steps', String(opts.steps), '--warmup', String(opts.warmup),
    '--batch-size', String(TRAIN.batchSize), '--seq-len', String(TRAIN.seqLen), '--lr', String(TRAIN.lr),
    '--seed', String(TRAIN.seed), '--threads', String(PEER_THREADS.torch)];
  if (!fs.existsSync(args[4])) return { error: `${args[4]} not found: the peer reads the weights our init wrote as model.safetensors` };
  log(`peer: ${opts.steps + opts.warmup} steps with ${opts.python} bench/torch_peer.py (torch ${PEER_THREADS.torch} thread, OpenBLAS ${PEER_THREADS.openblas}) ...`);
  const r = await run(opts.python, args, {
    env: { OPENBLAS_NUM_THREADS: String(PEER_THREADS.openblas), OMP_NUM_THREADS: String(PEER_THREADS.torch) }, echo: opts.verbose,
  });
  if (r.code !== 0) {
    const hint = r.code === 3 || /No module named .?torch/.test(r.stderr)
      ? ' (install: apt-get update && apt-get install -y python3-torch libopenblas0-pthread)' : '';
    return { error: `torch_peer.py failed (exit ${r.code})${hint}: ${tail(r.stderr, 600)}` };
  }
  try {
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    const peer = JSON.parse(line);
    if (!peer.blas || !/openblas|mkl/i.test(peer.blas)) {
      peer.warning = `torch is not using OpenBLAS (BLAS: ${peer.blas ?? 'unknown'}); reference BLAS is 20-35x slower: apt-get install -y libopenblas0-pthread`;
    }
    return peer;
  } catch (e) {
    return { error: `torch_peer.py printed no JSON result: ${tail(r.stdout, 300)}` };
  }
}

/** Same weights and rows, so both must see the same loss and gradient norm at step 1. */
function checkSameModel(ours, peer) {
  const rel = (a, b) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
  const lossDiff = rel(ours.loss[0], peer.loss[0]);
  const normDiff = rel(ours.grad_norm[0], peer.grad_norm[0]);
  const n = Math.min(ours.loss.length, peer.loss.length);
  let maxLossDiff = 0;
  for (let i = 0; i < n; i++) maxLossDiff = Math.max(maxLossDiff, Math.abs(ours.loss[i] - peer.loss[i]));
  const sameParams = ours.parameters === null || ours.parameters === peer.parameters;
  const ok = lossDiff < 1e-3 && normDiff < 1e-2 && sameParams;
  return {
    ok,
    parameters: { ours: ours.parameters, peer: peer.parameters },
    step1_loss: { ours: ours.loss[0], peer: peer.loss[0], rel_diff: Number(lossDiff.toExponential(2)) },
    step1_grad_norm: { ours: ours.grad_norm[0], peer: peer.grad_norm[0], rel_diff: Number(normDiff.toExponential(2)) },
    // Later steps also depend on the CLI's optimizer defaults (weight decay, schedule): informational.
    max_abs_loss_diff_all_steps: Number(maxLossDiff.toExponential(2)),
  };
}

export async function main(argv = process.argv.slice(2)) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '3' },
      'no-peer': { type: 'boolean', default: false },
      cli: { type: 'string', default: process.env.GALORE_LAB_CLI || 'kernel-lib/dist/cli/main.js' },
      python: { type: 'string', default: process.env.GALORE_LAB_PYTHON || '/usr/bin/python3' },
      work: { type: 'string', default: 'out/bench/training-step' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const opts = { ...v, steps: Number(v.steps), warmup: Number(v.warmup) };
  if (!Number.isInteger(opts.steps) || opts.steps < 1) fail(1, `--steps must be a positive integer, got ${v.steps}`);
  if (!Number.isInteger(opts.warmup) || opts.warmup < 0) fail(1, `--warmup must be a non-negative integer, got ${v.warmup}`);
  const work = path.resolve(ROOT, opts.work);
  fs.mkdirSync(work, { recursive: true });

  const ours = await runOurs(opts, work);
  log(`ours: median ${ours.median_step_ms} ms/step`);
  const peer = opts['no-peer'] ? { error: 'skipped (--no-peer)' } : await runPeer(opts, ours);
  if (peer.error) log(`peer: ${peer.error}`);
  else log(`peer: median ${peer.median_step_ms} ms/step${peer.warning ? ` (warning: ${peer.warning})` : ''}`);
  const check = peer.error ? null : checkSameModel(ours, peer);
  if (check && !check.ok) log(`WARNING: ours and the peer disagree on the same weights and rows: ${JSON.stringify(check)}`);

  const ratio = peer.error ? null : round(ours.median_step_ms / peer.median_step_ms, 2);
  const result = {
    bench: 'training-step',
    rows: [{
      name: 'full AdamW step',
      config: describeConfig(),
      ours_ms: ours.median_step_ms,
      ref_ms: peer.error ? null : peer.median_step_ms,
      ref: `PyTorch ${peer.torch ?? ''} (torch ${PEER_THREADS.torch} thread, OpenBLAS ${PEER_THREADS.openblas})`.replace('  ', ' '),
      ratio,
      goal: GOAL_RATIO,
      later_goal: LATER_GOAL_RATIO,
      check: check ? (check.ok ? 'same loss' : 'LOSS MISMATCH') : null,
      ours_min_ms: ours.min_step_ms,
      ref_min_ms: peer.error ? null : peer.min_step_ms,
    }],
    peer_required_ok: !peer.error && !!check?.ok,
    config: MODEL_CONFIG,
    train: { ...TRAIN, method: 'full', steps: opts.steps, warmup: opts.warmup },
    ours: { ...ours, files: undefined },
    peer,
    check,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => fail(1, e.stack || String(e)));
}
