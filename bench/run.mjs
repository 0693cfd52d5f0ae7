#!/usr/bin/env node
// `npm run bench` (after `npm run build`): runs every benchmark listed in
// BENCHMARKS, one child process each, collects the JSON line each prints on
// stdout, prints one summary table and writes out/bench/results.json.
//
//   node bench/run.mjs [--steps 12] [--warmup 3] [--only NAME[,NAME]]
//                      [--require-peer] [--no-peer] [--out out/bench/results.json]
//
// A benchmark module is a script `bench/NAME.mjs` that accepts --steps,
// --warmup and --no-peer, and prints one JSON line
//   {"bench": NAME, "rows": [{"name", "config", "ours_ms", "ref_ms", "ref",
//    "ratio", "goal", "later_goal", "check"}], "peer_required_ok": bool, ...}
// (ref_ms/ratio null when there is no reference; goal null when none is set).
// To add one, write the script and add an entry below.
//
// Exit status: 0 when every benchmark ran (even without the PyTorch peer, or
// above a goal); 1 when a benchmark failed; with --require-peer also 1 when the
// peer is missing, failed, or disagrees with us on the same weights and rows.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The benchmarks this runner knows, in the order they run. */
const BENCHMARKS = [
  {
    name: 'training-step',
    script: 'bench/training-step.mjs',
    usesPeer: true,
    what: 'full fine-tuning step (AdamW) of a tiny Qwen2, ours vs PyTorch',
  },
  {
    name: 'method-steps',
    script: 'bench/method-steps.mjs',
    usesPeer: false,
    what: 'step time of full AdamW, 8-bit AdamW, LoRA, GaLore (32/8-bit, layer-wise), ratio to full AdamW',
  },
  {
    name: 'galore-svd',
    script: 'bench/galore-svd.mjs',
    usesPeer: false,
    what: 'GaLore subspace: randomized top-64 of a 1024x1024 gradient vs exact',
  },
  {
    name: 'qwen2-0.5b-wasm',
    script: 'bench/qwen2-0.5b-wasm.mjs',
    usesPeer: false,
    what: 'Qwen2-0.5B full-parameter 8-bit GaLore step in the wasm heap: step time, peak heap vs the ledger',
  },
];

const PEER_INSTALL = 'apt-get update && apt-get install -y python3-torch libopenblas0-pthread';

function parse() {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    options: {
      steps: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '3' },
      only: { type: 'string' },
      'require-peer': { type: 'boolean', default: false },
      'no-peer': { type: 'boolean', default: false },
      out: { type: 'string', default: 'out/bench/results.json' },
      python: { type: 'string', default: process.env.GALORE_LAB_PYTHON || '/usr/bin/python3' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (v.help) {
    console.log('usage: node bench/run.mjs [--steps N] [--warmup W] [--only NAME[,NAME]] [--require-peer] [--no-peer] [--out FILE]\n' +
      'benchmarks: ' + BENCHMARKS.map((b) => `${b.name} (${b.what})`).join('; '));
    process.exit(0);
  }
  for (const k of ['steps', 'warmup']) {
    const n = Number(v[k]);
    if (!Number.isInteger(n) || n < (k === 'steps' ? 1 : 0)) {
      console.error(`--${k} must be a ${k === 'steps' ? 'positive' : 'non-negative'} integer, got ${v[k]}`);
      process.exit(1);
    }
  }
  return v;
}

/** Whether the PyTorch peer can run here: {ok, reason}. */
function probePeer(python) {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { ok: false, reason: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `${python} -c "import torch" failed (${r.status === null ? `signal ${r.signal}` : `exit ${r.status}`}): ${(r.stderr || '').trim().split('\n').pop() || 'no message'}` };
  return { ok: true, torch: r.stdout.trim() };
}

/** Run one benchmark script; resolve with its parsed JSON result(s) or an error. */
function runBenchmark(b, args) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, b.script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.on('error', (e) => resolve({ error: String(e), ms: Date.now() - t0 }));
    child.on('close', (code, signal) => {
      const results = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        try { results.push(JSON.parse(line)); } catch { /* not a result line */ }
      }
      const ms = Date.now() - t0;
      if (code !== 0) resolve({ error: `${b.script} exited with ${code ?? signal}`, results, ms });
      else if (results.length === 0) resolve({ error: `${b.script} printed no JSON result line`, ms });
      else resolve({ results, ms });
    });
  });
}

const fmt = (x, d = 1) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));

function printTable(rows) {
  const header = ['benchmark', 'configuration', 'ours ms', 'ref ms', 'reference', 'ratio', 'goal', 'status', 'check'];
  const cells = rows.map((r) => [
    r.bench, r.error ? r.name : `${r.name}: ${r.config}`, fmt(r.ours_ms), fmt(r.ref_ms), r.ref ?? '-',
    r.ratio === null || r.ratio === undefined ? '-' : `${fmt(r.ratio, 2)}x`,
    r.goal ? `<= ${r.goal}x` + (r.later_goal ? ` (later ${r.later_goal}x)` : '') : '-',
    r.status, r.check ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const right = new Set([2, 3, 5]);
  const line = (c) => c.map((s, i) => (right.has(i) ? String(s).padStart(widths[i]) : String(s).padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

function statusOf(row) {
  if (row.error) return `FAILED: ${row.error}`;
  if (row.ratio === null || row.ratio === undefined) return row.goal ? 'no reference' : 'ok';
  if (!row.goal) return 'ok';
  if (row.later_goal && row.ratio <= row.later_goal) return 'meets later goal';
  return row.ratio <= row.goal ? 'meets goal' : 'above goal';
}

async function main() {
  const v = parse();
  const wanted = v.only ? v.only.split(',').map((s) => s.trim()).filter(Boolean) : null;
  if (wanted) {
    const unknown = wanted.filter((n) => !BENCHMARKS.some((b) => b.name === n));
    if (unknown.length) {
      console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
      process.exit(1);
    }
  }
  const selected = BENCHMARKS.filter((b) => !wanted || wanted.includes(b.name));

  let peer = { ok: false, reason: 'skipped (--no-peer)' };
  if (!v['no-peer'] && selected.some((b) => b.usesPeer)) {
    peer = probePeer(v.python);
    if (!peer.ok) {
      console.error(`PyTorch peer unavailable: ${peer.reason}\n` +
        `  install it with: ${PEER_INSTALL}\n  (Debian's torch is seen by /usr/bin/python3 only); reporting our timings alone.`);
    }
  }

  const started = new Date();
  const loadBefore = os.loadavg();
  const rows = [];
  const records = [];
  let failed = false;
  let peerProblem = !peer.ok;
  for (const b of selected) {
    const args = ['--steps', v.steps, '--warmup', v.warmup];
    if (b.usesPeer && !peer.ok) args.push('--no-peer');
    if (b.usesPeer && peer.ok) args.push('--python', v.python);
    console.error(`== ${b.name}: ${b.what}`);
    const r = await runBenchmark(b, args);
    records.push({ name: b.name, script: b.script, wall_ms: r.ms, error: r.error ?? null, results: r.results ?? [] });
    if (r.error) {
      failed = true;
      rows.push({ bench: b.name, name: b.what, config: '-', error: r.error });
    }
    for (const res of r.results ?? []) {
      if (b.usesPeer && !res.peer_required_ok) peerProblem = true;
      for (const row of res.rows ?? []) rows.push({ bench: res.bench ?? b.name, ...row });
    }
  }
  for (const row of rows) row.status = statusOf(row);

  console.log('');
  printTable(rows);
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`, node: process.version, loadavg_before: loadBefore.map((x) => Number(x.toFixed(2))),
    loadavg_after: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log(`\n${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadavg_before[0]} -> ${machine.loadavg_after[0]}` +
    `; steps ${v.steps} timed after ${v.warmup} warm-up, median per step` +
    (rows.some((r) => r.bench === 'qwen2-0.5b-wasm') ? ' (qwen2-0.5b-wasm: its own 5 steps, median of steps 2-5)' : ''));
  const busiest = Math.max(machine.loadavg_before[0], machine.loadavg_after[0]);
  if (busiest > 0.75 * machine.cores) {
    console.log(`warning: the machine was busy (load average up to ${busiest} on ${machine.cores} cores): other jobs take cores ` +
      `from the multi-threaded peer first, so ratios read lower than on a quiet machine; re-measure when it is idle`);
  }
  for (const r of rows) {
    if (r.ours_min_ms !== undefined && r.ref_min_ms) {
      console.log(`${r.bench}: fastest timed step ours ${fmt(r.ours_min_ms)} ms, reference ${fmt(r.ref_min_ms)} ms ` +
        `(${fmt(r.ours_min_ms / r.ref_min_ms, 2)}x); less sensitive to other jobs than the medians`);
    }
  }
  if (!peer.ok) console.log(`PyTorch peer: not run (${peer.reason}); install: ${PEER_INSTALL}`);

  const outFile = path.resolve(ROOT, v.out);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify({
    started: started.toISOString(), finished: new Date().toISOString(),
    options: { steps: Number(v.steps), warmup: Number(v.warmup), only: wanted, require_peer: v['require-peer'] },
    machine, peer, summary: rows, benchmarks: records,
  }, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), outFile) || outFile}`);

  if (failed) process.exit(1);
  if (v['require-peer'] && peerProblem) {
    console.error('--require-peer: the PyTorch peer did not run, or did not agree with us on the same weights and rows');
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
