#!/usr/bin/env node
// Kernel start time and per-cell overhead: the GaLore Lab kernel beside stock
// tslab, started the same way and driven by the same minimal Jupyter client
// (ZeroMQ DEALER + SUB, signed messages). Needs `npm run build` first.
//
// usage: node bench/kernel-overhead.mjs [--cells 100] [--json]
//
// Start = spawn until a kernel_info_request got its reply and idle status.
// Per-cell overhead = wall time from sending `execute_request` for the trivial
// cell `1` until both its `execute_reply` and its `idle` status arrived (a
// cell lost by the kernel counts as lost after 15 s).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'kernel-lib', 'package.json'));
const wirePath = join(root, 'kernel-lib', 'dist', 'kernel', 'wire-message.js');
if (!existsSync(wirePath)) {
  console.error(`kernel-overhead: ${wirePath} is missing; run \`npm run build\` first`);
  process.exit(1);
}
const { createSigner, decodeMessage, encodeMessage, createHeader } = require(wirePath);
const zmq = createRequire(require.resolve('tslab/package.json'))('zeromq');
const tslabVersion = require('tslab/package.json').version;

const { values } = parseArgs({ options: { cells: { type: 'string', default: '100' }, json: { type: 'boolean' } } });
const CELLS = Number(values.cells);
const WARMUP = 5;
const CELL_TIMEOUT_MS = 15_000;

const kernels = [
  { name: 'galore-lab', argv: (conn) => [join(root, 'kernel-lib', 'dist', 'kernel', 'main.js'), conn] },
  { name: `tslab ${tslabVersion}`, argv: (conn) => [join(root, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', conn] },
];

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

class MiniClient {
  constructor(connection) {
    this.connection = connection;
    this.sign = createSigner(connection.key, connection.signature_scheme);
    this.session = randomUUID();
    this.waiters = new Map(); // msg_id -> { reply, idle, resolve }
    this.shell = new zmq.Dealer();
    this.iopub = new zmq.Subscriber();
    this.iopub.subscribe();
  }

  async connect() {
    const { ip, shell_port, iopub_port } = this.connection;
    this.shell.connect(`tcp://${ip}:${shell_port}`);
    this.iopub.connect(`tcp://${ip}:${iopub_port}`);
    this.pump(this.shell, (m) => this.settle(m.parent_header.msg_id, 'reply', m));
    this.pump(this.iopub, (m) => {
      if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') this.settle(m.parent_header.msg_id, 'idle', m);
    });
  }

  pump(socket, onMessage) {
    (async () => {
      try {
        for await (const frames of socket) {
          const decoded = decodeMessage(frames, this.sign);
          if (decoded.ok) onMessage(decoded.message);
        }
      } catch {
        // socket closed
      }
    })();
  }

  settle(msgId, part, message) {
    const waiter = this.waiters.get(msgId);
    if (!waiter) return;
    waiter[part] = message;
    if (waiter.reply && (waiter.idle || !waiter.needsIdle)) {
      this.waiters.delete(msgId);
      waiter.resolve(waiter.reply);
    }
  }

  /** Sends a shell request; resolves with its reply once reply (and idle, if asked) arrived. */
  request(msgType, content, { needsIdle = true, timeoutMs = CELL_TIMEOUT_MS } = {}) {
    const message = {
      identities: [],
      header: createHeader(msgType, this.session, 'bench'),
      parent_header: {},
      metadata: {},
      content,
      buffers: [],
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(message.header.msg_id);
        reject(new Error(`${msgType}: no ${needsIdle ? 'reply+idle' : 'reply'} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(message.header.msg_id, {
        needsIdle,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
      });
      this.shell.send(encodeMessage(message, this.sign)).catch(reject);
    });
  }

  close() {
    this.shell.close();
    this.iopub.close();
  }
}

async function measure(kernel) {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-bench-'));
  const connection = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: await freePort(),
    iopub_port: await freePort(),
    stdin_port: await freePort(),
    control_port: await freePort(),
    hb_port: await freePort(),
    key: randomUUID(),
    signature_scheme: 'hmac-sha256',
  };
  const connectionFile = join(dir, 'kernel.json');
  writeFileSync(connectionFile, JSON.stringify(connection));
  const started = performance.now();
  const child = spawn(process.execPath, kernel.argv(connectionFile), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const client = new MiniClient(connection);
  await client.connect();
  const result = { kernel: kernel.name };
  try {
    // Start: until a kernel_info_reply and its idle status arrived, i.e. shell and IOPub both work
    // (retrying while the kernel binds its sockets and our subscription reaches it).
    for (;;) {
      try {
        await client.request('kernel_info_request', {}, { needsIdle: true, timeoutMs: 250 });
        break;
      } catch (error) {
        if (performance.now() - started > 60_000) throw new Error(`no kernel_info_reply in 60 s: ${stderr.slice(-500)}`);
      }
    }
    result.startMs = performance.now() - started;
    const first = performance.now();
    await client.request('execute_request', { code: '1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    result.firstCellMs = performance.now() - first;
    result.startToFirstResultMs = performance.now() - started;
    const times = [];
    let lost = 0;
    for (let i = 0; i < WARMUP + CELLS; i++) {
      const t = performance.now();
      try {
        await client.request('execute_request', { code: '1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
        if (i >= WARMUP) times.push(performance.now() - t);
      } catch {
        lost += 1;
        if (lost >= 3) break;
      }
    }
    times.sort((a, b) => a - b);
    result.cells = times.length;
    result.lostCells = lost;
    result.medianCellMs = times.length ? times[Math.floor(times.length / 2)] : NaN;
    result.p90CellMs = times.length ? times[Math.floor(times.length * 0.9)] : NaN;
    try {
      await client.request('shutdown_request', { restart: false }, { needsIdle: false, timeoutMs: 2000 });
    } catch {
      // tslab may exit before replying
    }
  } catch (error) {
    result.error = error.message;
  } finally {
    client.close();
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 3000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.exitCode !== null) resolve();
    });
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

const results = [];
for (const kernel of kernels) results.push(await measure(kernel));

if (values.json) {
  console.log(JSON.stringify({ cells: CELLS, results }, null, 2));
} else {
  const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
  const rows = [['kernel', 'start (ready)', 'first cell', 'per-cell median', 'per-cell p90', 'cells ok/lost']];
  for (const r of results) {
    rows.push([r.kernel, ms(r.startMs), ms(r.firstCellMs), ms(r.medianCellMs), ms(r.p90CellMs), r.error ? `error: ${r.error}` : `${r.cells}/${r.lostCells}`]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  console.log(`Kernel overhead: trivial cell \`1\`, ${CELLS} cells after ${WARMUP} warm-up, send -> reply + idle (Node ${process.version})`);
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padEnd(widths[c])).join('  '));
}
process.exit(0);
