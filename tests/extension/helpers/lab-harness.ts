/**
 * A real JupyterLab 4 for browser tests: our frontend build (extension/host)
 * served by Debian's jupyter_server + jupyterlab_server, the prebuilt GaLore
 * Lab extension installed with `installExtensionCommand --prefix`, our kernel
 * installed with `installKernelCommand --prefix`, and headless Chromium
 * driven by playwright-core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { installKernelCommand } from '../../../kernel-lib/src/cli/install-kernel-command';
import { installExtensionCommand } from '../../../kernel-lib/src/telemetry/install-extension-command';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const KERNEL_LIB = join(REPO_ROOT, 'kernel-lib');
export const EXTENSION = join(REPO_ROOT, 'extension');
export const HOST = join(EXTENSION, 'host');
export const LABEXTENSION = join(KERNEL_LIB, 'dist', 'labextension');
export const CHROMIUM = process.env.GALORE_LAB_CHROMIUM ?? '/usr/bin/chromium';
export const PYTHON = '/usr/bin/python3';
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';
/** Where screenshots go (out/ is ignored by git). */
export const SCREENSHOTS = process.env.GALORE_LAB_SCREENSHOTS ?? join(REPO_ROOT, 'out', 'extension-screenshots');

/** Why the browser tests cannot run here, or undefined. Under CI this is a failure. */
export function missingPrerequisites(): string | undefined {
  const problems: string[] = [];
  if (!existsSync(CHROMIUM)) problems.push(`${CHROMIUM} not found (apt-get install chromium)`);
  if (!existsSync(PYTHON)) problems.push(`${PYTHON} not found`);
  else {
    const probe = spawnSync(PYTHON, ['-c', 'import jupyter_server, jupyterlab_server'], { encoding: 'utf8' });
    if (probe.status !== 0) problems.push(`${PYTHON} cannot import jupyter_server and jupyterlab_server (apt-get install python3-jupyter-server python3-jupyterlab-server)`);
  }
  try {
    require.resolve('playwright-core', { paths: [REPO_ROOT] });
  } catch {
    problems.push('playwright-core is not installed (npm ci)');
  }
  return problems.length ? problems.join('; ') : undefined;
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string): void => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
}

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function run(command: string, args: string[], what: string): void {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  if (result.status !== 0) throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${result.stdout}\n${result.stderr}`);
  console.log(`[lab-harness] ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Builds what is missing or older than its sources: the library (`dist`),
 * the prebuilt extension (`kernel-lib/dist/labextension`) and the test
 * frontend (`extension/host/build`). Test files share a lock.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), `galore-lab-extension-build-${createHash('sha1').update(REPO_ROOT).digest('hex').slice(0, 10)}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 5 minutes for the build lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    if (mtime(join(KERNEL_LIB, 'dist', 'index.js')) < newestMtime([join(KERNEL_LIB, 'src')])) run(npm, ['run', 'build', '-w', 'galore-lab'], 'building galore-lab');
    const extSources = [join(EXTENSION, 'src'), join(EXTENSION, 'style'), join(EXTENSION, 'package.json'), join(HOST, 'package.json'), join(KERNEL_LIB, 'src', 'telemetry', 'schema.ts')];
    if (mtime(join(LABEXTENSION, 'package.json')) < newestMtime(extSources)) run(npm, ['run', 'build', '-w', 'galore-lab-jupyterlab'], 'building the labextension');
    const hostSources = ['package.json', 'build-host.js', 'bootstrap.js', 'publicpath.js'].map((f) => join(HOST, f));
    if (mtime(join(HOST, 'build', 'static', 'bundle.js')) < newestMtime(hostSources)) run(process.execPath, [join(HOST, 'build-host.js')], 'building the JupyterLab test frontend');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A notebook cell's source. */
export function notebook(cells: string[]): string {
  return JSON.stringify(
    {
      cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
      metadata: { kernelspec: { name: 'galore-lab', display_name: 'TypeScript (GaLore Lab)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A running JupyterLab with our extension and kernel. */
export interface Lab {
  root: string;
  notebookDir: string;
  url: string;
  token: string;
  server: ChildProcess;
  serverLog(): string;
  stop(): Promise<void>;
}

/** Installs kernel and extension into a temporary prefix and starts the server. */
export async function startLab(files: Record<string, string>): Promise<Lab> {
  const root = mkdtempSync(join(tmpdir(), 'galore-lab-ui-'));
  const prefix = join(root, 'prefix');
  const notebookDir = join(root, 'notebooks');
  for (const dir of ['config', 'data', 'runtime', 'state', 'notebooks']) mkdirSync(join(root, dir), { recursive: true });
  const lines: string[] = [];
  if ((await installKernelCommand(['--prefix', prefix, '--name', 'galore-lab'], (l) => lines.push(l))) !== 0) throw new Error(`install-kernel failed:\n${lines.join('\n')}`);
  if ((await installExtensionCommand(['--prefix', prefix, '--source', LABEXTENSION], (l) => lines.push(l))) !== 0) throw new Error(`install-extension failed:\n${lines.join('\n')}`);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(notebookDir, name), content);
  const port = await freePort();
  const token = createHash('sha1').update(root).digest('hex');
  const share = join(prefix, 'share', 'jupyter');
  const env = {
    ...process.env,
    JUPYTER_CONFIG_DIR: join(root, 'config'),
    JUPYTER_DATA_DIR: join(root, 'data'),
    JUPYTER_RUNTIME_DIR: join(root, 'runtime'),
    JUPYTER_PATH: share,
    JUPYTER_PLATFORM_DIRS: '0',
    JUPYTER_NO_CONFIG: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    GALORE_LAB_LABEXTENSIONS: join(share, 'labextensions'),
    GALORE_LAB_LAB_STATE: join(root, 'state'),
    GALORE_LAB_KERNEL_LOG: join(root, 'kernel.log')
  };
  let log = '';
  const server = spawn(
    PYTHON,
    [join(HOST, 'server.py'), `--port=${port}`, '--ip=127.0.0.1', `--ServerApp.token=${token}`, `--ServerApp.root_dir=${notebookDir}`, '--no-browser', '--allow-root', '--ServerApp.open_browser=False'],
    { cwd: notebookDir, env, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the Jupyter server exited (${server.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the Jupyter server did not answer within 30 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    root,
    notebookDir,
    url,
    token,
    server,
    serverLog: () => log,
    async stop() {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            server.kill('SIGKILL');
            resolve(undefined);
          }, 5000);
          server.once('exit', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      }
      rmSync(root, { recursive: true, force: true });
    }
  };
}

/** Console messages that are errors, minus the two harmless 404s of a 4.x frontend on jupyter_server 1.23. */
export class ConsoleErrors {
  readonly errors: string[] = [];

  watch(page: Page): void {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error') return;
      const where = message.location().url ?? '';
      const text = message.text();
      if (/\/api\/(me|events\/subscribe)\b/.test(where) || /\/api\/(me|events\/subscribe)\b/.test(text)) return;
      this.errors.push(`${text}${where ? ` (${where})` : ''}`);
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught: ${error.message}`));
  }
}

/** Launches headless Chromium with a throwaway profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page; profile: string }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'galore-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 960 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, profile };
}

/** Opens a notebook and waits until its kernel is connected and idle (through the app object). */
export async function openNotebook(page: Page, lab: Lab, name: string): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/${encodeURIComponent(name)}?token=${lab.token}`);
  await page.waitForFunction(() => document.body.dataset.galoreLabRestored === 'true', null, { timeout: 60_000 });
  await page.waitForFunction(
    (path) => {
      const app = (window as unknown as { jupyterapp?: any }).jupyterapp;
      const panel = app?.shell.currentWidget;
      const kernel = panel?.sessionContext?.session?.kernel;
      return panel?.context?.path === path && kernel?.status === 'idle' && kernel?.connectionStatus === 'connected';
    },
    name,
    { timeout: 90_000 }
  );
}

/** Starts running the notebook's cell `index` through JupyterLab's commands (returns at once). */
export async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const app = (window as unknown as { jupyterapp: any }).jupyterapp;
    const panel = app.shell.currentWidget;
    panel.content.activeCellIndex = i;
    // The command resolves when the cell has finished; do not wait for it here.
    void app.commands.execute('notebook:run-cell');
  }, index);
}

/** The relative path of a screenshot, for messages. */
export function shot(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

export { relative };
