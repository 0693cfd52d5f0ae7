#!/usr/bin/env node
/**
 * The curated notebooks: built from their sources, executed headless with the
 * GaLore Lab kernel, checked.
 *
 * Each notebook is written as `notebooks/src/NN-name.md`: Markdown, where every
 * ```ts fence is a code cell and the text between fences is a Markdown cell
 * (`<!-- cell -->` on its own line splits Markdown into two cells). This file
 * turns a source into `notebooks/NN-name.ipynb` (nbformat 4.5, kernelspec
 * galore-lab, stable cell ids) and executes it with Debian's nbclient, so the
 * committed notebook carries real outputs and execution counts.
 *
 *   node scripts/run-notebooks.mjs                  build + execute every notebook in place
 *   node scripts/run-notebooks.mjs --only 01,06     just these (by number or name)
 *   node scripts/run-notebooks.mjs --build-only     write the .ipynb files without outputs
 *   node scripts/run-notebooks.mjs --check          committed notebooks match their sources and carry outputs
 *
 * Needs `npm run build` (the kernel and the library from kernel-lib/dist) and
 * `apt-get install python3-nbclient python3-jupyter-client` (/usr/bin/python3).
 * tests/notebooks/notebooks.test.ts imports the functions below.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NOTEBOOK_DIR = join(REPO_ROOT, 'notebooks');
export const SOURCE_DIR = join(NOTEBOOK_DIR, 'src');
export const EXECUTOR = join(REPO_ROOT, 'tests', 'notebooks', 'execute_notebook.py');
export const PYTHON = '/usr/bin/python3';

/**
 * The curated notebooks and their time budgets (seconds, kernel start
 * included). A run past its budget fails. Budgets are about twice what a run
 * takes on the 2-core development machine under load; all six add up to
 * under six minutes.
 */
export const NOTEBOOKS = [
  { name: '01-quick-start', budgetS: 60 },
  { name: '02-data', budgetS: 60 },
  { name: '03-galore-vs-lora-vs-full', budgetS: 150 },
  { name: '04-memory', budgetS: 120 },
  { name: '05-inside-galore', budgetS: 120 },
  { name: '06-metrics', budgetS: 30 },
  { name: '07-lora-moe', budgetS: 120 },
  { name: '08-adapter-heads', budgetS: 150 },
  { name: '09-multimodal-peft', budgetS: 150 },
];

export const KERNELSPEC = { name: 'galore-lab', display_name: 'TypeScript (GaLore Lab)', language: 'typescript' };

/** Splits a notebook source into cells: `[{ type: 'markdown' | 'code', source }]`. */
export function parseNotebookSource(text, file = 'notebook source') {
  const cells = [];
  let markdown = [];
  const flushMarkdown = () => {
    while (markdown.length > 0 && markdown[0].trim() === '') markdown.shift();
    while (markdown.length > 0 && markdown[markdown.length - 1].trim() === '') markdown.pop();
    if (markdown.length > 0) cells.push({ type: 'markdown', source: markdown.join('\n') });
    markdown = [];
  };
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let code = null;
  let codeStart = 0;
  let inMarkdownFence = false;
  lines.forEach((line, i) => {
    if (code !== null) {
      if (line.trimEnd() === '```') {
        const source = code.join('\n').replace(/\s+$/, '');
        if (source === '') throw new Error(`${file}:${codeStart}: empty code cell`);
        cells.push({ type: 'code', source });
        code = null;
      } else code.push(line);
      return;
    }
    if (!inMarkdownFence && /^```(ts|typescript)\s*$/.test(line)) {
      flushMarkdown();
      code = [];
      codeStart = i + 1;
      return;
    }
    if (line.startsWith('```')) inMarkdownFence = !inMarkdownFence;
    if (!inMarkdownFence && line.trim() === '<!-- cell -->') {
      flushMarkdown();
      return;
    }
    markdown.push(line);
  });
  if (code !== null) throw new Error(`${file}:${codeStart}: code cell opened here is never closed`);
  if (inMarkdownFence) throw new Error(`${file}: a Markdown code fence is never closed`);
  flushMarkdown();
  return cells;
}

/** nbformat keeps multi-line strings as lists of lines, each but the last ending in "\n". */
function toLines(text) {
  const parts = text.split('\n');
  return parts.map((p, i) => (i < parts.length - 1 ? `${p}\n` : p)).filter((p) => p !== '');
}

function joinLines(value) {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}

/** The notebook (nbformat 4.5 JSON, no outputs) a source describes. */
export function buildNotebook(name) {
  const file = join(SOURCE_DIR, `${name}.md`);
  const cells = parseNotebookSource(readFileSync(file, 'utf8'), file).map((cell, i) => {
    const id = `${name.slice(0, 2)}-${String(i + 1).padStart(3, '0')}`;
    if (cell.type === 'markdown') return { cell_type: 'markdown', id, metadata: {}, source: toLines(cell.source) };
    return { cell_type: 'code', execution_count: null, id, metadata: {}, outputs: [], source: toLines(cell.source) };
  });
  return {
    cells,
    metadata: {
      kernelspec: { ...KERNELSPEC },
      language_info: { file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

/** JSON as nbformat writes it (sorted keys, one-space indent, trailing newline). */
export function serializeNotebook(notebook) {
  return `${JSON.stringify(sortKeys(notebook), null, 1)}\n`;
}

/** Where a notebook lives in the repository. */
export function notebookPath(name) {
  return join(NOTEBOOK_DIR, `${name}.ipynb`);
}

/** `error` outputs of an executed notebook: `[{ cell, ename, evalue }]`. */
export function errorOutputs(notebook) {
  const out = [];
  notebook.cells.forEach((cell, index) => {
    for (const o of cell.outputs ?? []) {
      if (o.output_type === 'error') out.push({ cell: index, ename: o.ename, evalue: o.evalue });
    }
  });
  return out;
}

/**
 * What is wrong with a committed notebook: cells that differ from its source,
 * a code cell that was never executed (or executed out of order), error
 * outputs, a wrong kernelspec. An empty list means it is in order.
 */
export function checkCommittedNotebook(name) {
  const problems = [];
  const path = notebookPath(name);
  if (!existsSync(path)) return [`${path} does not exist (node scripts/run-notebooks.mjs --only ${name.slice(0, 2)})`];
  const committed = JSON.parse(readFileSync(path, 'utf8'));
  const built = buildNotebook(name);
  const spec = committed.metadata?.kernelspec ?? {};
  if (spec.name !== KERNELSPEC.name || spec.display_name !== KERNELSPEC.display_name || spec.language !== KERNELSPEC.language) {
    problems.push(`kernelspec is ${JSON.stringify(spec)}; expected ${JSON.stringify(KERNELSPEC)}`);
  }
  if (committed.nbformat !== 4) problems.push(`nbformat ${committed.nbformat}; expected 4`);
  if (committed.cells.length !== built.cells.length) {
    problems.push(`${committed.cells.length} cells; its source has ${built.cells.length} (rebuild and execute it)`);
  }
  const n = Math.min(committed.cells.length, built.cells.length);
  for (let i = 0; i < n; i++) {
    const a = committed.cells[i];
    const b = built.cells[i];
    if (a.cell_type !== b.cell_type || joinLines(a.source) !== joinLines(b.source)) {
      problems.push(`cell ${i + 1} differs from notebooks/src/${name}.md (rebuild and execute it)`);
    }
  }
  let count = 0;
  committed.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    count += 1;
    if (cell.execution_count !== count) problems.push(`code cell ${i + 1} has execution_count ${cell.execution_count}; expected ${count}`);
  });
  for (const e of errorOutputs(committed)) problems.push(`cell ${e.cell + 1} shows an error: ${e.ename}: ${e.evalue}`);
  return problems;
}

/** Why Debian's Python cannot execute notebooks here, or undefined when it can. */
export function missingPrerequisites() {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3)`;
  const probe = spawnSync(PYTHON, ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `${PYTHON} cannot import nbclient, nbformat, jupyter_client (apt-get install python3-nbclient python3-jupyter-client): ${probe.stderr.trim().split('\n').pop()}`;
  }
  for (const built of ['kernel-lib/dist/index.js', 'kernel-lib/dist/kernel/main.js', 'kernel-lib/dist/cli/main.js']) {
    if (!existsSync(join(REPO_ROOT, built))) return `${built} is missing (npm run build)`;
  }
  return undefined;
}

/**
 * Environment for a Jupyter confined to `root` (its data, runtime and config
 * folders) that finds kernelspecs under `prefix` and logs our kernel to
 * root/kernel.log. Shared with the kernel tests' harness.
 */
export function isolatedJupyterEnv(root, prefix) {
  return {
    ...process.env,
    JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
    JUPYTER_DATA_DIR: join(root, 'data'),
    JUPYTER_RUNTIME_DIR: join(root, 'runtime'),
    JUPYTER_CONFIG_DIR: join(root, 'config'),
    JUPYTER_PLATFORM_DIRS: '0',
    PYTHONDONTWRITEBYTECODE: '1',
    GALORE_LAB_KERNEL_LOG: join(root, 'kernel.log'),
  };
}

/**
 * A throwaway Jupyter installation with our kernel installed by
 * `galore-lab install-kernel --prefix`. Returns its environment and a cleanup.
 */
export function jupyterWithKernel() {
  const root = mkdtempSync(join(tmpdir(), 'galore-notebooks-'));
  const prefix = join(root, 'prefix');
  for (const dir of ['data', 'runtime', 'config']) mkdirSync(join(root, dir), { recursive: true });
  const install = spawnSync(process.execPath, [join(REPO_ROOT, 'kernel-lib', 'dist', 'cli', 'main.js'), 'install-kernel', '--prefix', prefix], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`install-kernel failed:\n${install.stdout}${install.stderr}`);
  const env = isolatedJupyterEnv(root, prefix);
  return { root, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Executes `input` into `output` with the kernel started in `notebooks/`.
 * Resolves with the executor's summary `{ ok, seconds, cells, error }` plus
 * `timedOut`, `stderr` and the process's `code`; the process is killed at
 * `budgetS`.
 */
export function executeNotebook(input, output, { env, budgetS }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(PYTHON, [EXECUTOR, input, output, NOTEBOOK_DIR, String(budgetS)], { cwd: NOTEBOOK_DIR, env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, budgetS * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let summary;
      try {
        summary = JSON.parse(last);
      } catch {
        summary = { ok: false, seconds: (Date.now() - started) / 1000, cells: [], error: `executor printed no summary:\n${stdout}\n${stderr}` };
      }
      resolve({ ...summary, ok: summary.ok && code === 0 && !timedOut, timedOut, code, stderr });
    });
  });
}

function selected(only) {
  if (!only) return NOTEBOOKS;
  const wanted = only.split(',').map((s) => s.trim()).filter(Boolean);
  const list = NOTEBOOKS.filter((nb) => wanted.some((w) => nb.name === w || nb.name.startsWith(`${w}-`)));
  if (list.length !== wanted.length) throw new Error(`--only ${only}: unknown notebook; choose from ${NOTEBOOKS.map((n) => n.name).join(', ')}`);
  return list;
}

async function main(argv) {
  const args = { only: undefined, buildOnly: false, check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') args.only = argv[++i];
    else if (argv[i] === '--build-only') args.buildOnly = true;
    else if (argv[i] === '--check') args.check = true;
    else throw new Error(`unknown argument ${argv[i]} (use --only LIST, --build-only or --check)`);
  }
  const list = selected(args.only);
  const sources = readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.md')).map((f) => basename(f, '.md'));
  const unlisted = sources.filter((s) => !NOTEBOOKS.some((n) => n.name === s));
  if (unlisted.length > 0) console.warn(`not in NOTEBOOKS (not built): ${unlisted.join(', ')}`);

  if (args.check) {
    let bad = 0;
    for (const { name } of list) {
      const problems = checkCommittedNotebook(name);
      console.log(`${name}: ${problems.length === 0 ? 'ok' : problems.join('; ')}`);
      if (problems.length > 0) bad++;
    }
    return bad === 0 ? 0 : 1;
  }
  if (args.buildOnly) {
    for (const { name } of list) {
      writeFileSync(notebookPath(name), serializeNotebook(buildNotebook(name)));
      console.log(`built ${notebookPath(name)}`);
    }
    return 0;
  }
  const missing = missingPrerequisites();
  if (missing) throw new Error(missing);
  const jupyter = jupyterWithKernel();
  let failures = 0;
  try {
    for (const { name, budgetS } of list) {
      const input = join(jupyter.root, `${name}.ipynb`);
      const output = join(jupyter.root, `${name}.executed.ipynb`);
      writeFileSync(input, serializeNotebook(buildNotebook(name)));
      const result = await executeNotebook(input, output, { env: jupyter.env, budgetS });
      const errors = existsSync(output) ? errorOutputs(JSON.parse(readFileSync(output, 'utf8'))) : [];
      if (result.ok && errors.length === 0) {
        renameSync(output, notebookPath(name));
        const slowest = [...result.cells].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, s]) => `cell ${c + 1} ${s.toFixed(1)} s`).join(', ');
        console.log(`${name}: ${result.seconds.toFixed(1)} s (budget ${budgetS} s; slowest: ${slowest})`);
      } else {
        failures++;
        console.log(`${name}: FAILED after ${result.seconds.toFixed(1)} s${result.timedOut ? ` (past its ${budgetS} s budget)` : ''}`);
        if (result.error) console.log(result.error);
        for (const e of errors) console.log(`  cell ${e.cell + 1}: ${e.ename}: ${e.evalue}`);
        if (existsSync(output)) console.log(`  partial output kept in ${output}`);
      }
    }
  } finally {
    if (failures === 0) jupyter.cleanup();
    else console.log(`kernel log: ${join(jupyter.root, 'kernel.log')}`);
  }
  return failures === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
