/**
 * The GaLore Lab extension in a real JupyterLab 4 (our frontend build served
 * by Debian's jupyter_server + jupyterlab_server) in headless Chromium, with
 * our kernel training the embedded tiny model from a notebook cell.
 *
 * Prerequisites (CI installs them; elsewhere the suite is skipped with the
 * reason): apt-get install chromium python3-jupyter-server python3-jupyterlab-server.
 * Screenshots go to out/extension-screenshots (GALORE_LAB_SCREENSHOTS).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleErrors,
  IN_CI,
  ensureBuilt,
  launchBrowser,
  missingPrerequisites,
  notebook,
  openNotebook,
  runCell,
  shot,
  startLab,
  type Lab
} from './helpers/lab-harness';

const SETUP_AND_TRAIN = `import { loadPretrained, trainModel, readSftJsonl, galoreAdamW, tinyBasePath, datasetSplitPath, displayMimeBundle } from 'galore-lab';
import { liveDashboard, telemetryBundle } from 'galore-lab/dist/telemetry';
const pretrained = await loadPretrained(tinyBasePath());
const model = pretrained.model;
const examples = readSftJsonl(datasetSplitPath('train'), pretrained.tokenizer).slice(0, 64);
const optimizer = galoreAdamW({ rank: 8, update_proj_gap: 10 });
const dash = liveDashboard({ model, optimizer, name: 'tiny-qwen2', steps: 60, batchSize: 1, seqLen: 96, updateIntervalMs: 150 });
const result = await dash.watch(trainModel(model, optimizer, examples, { steps: 60, batchSize: 1, seqLen: 96, lr: 1e-3, progress: false, ...dash.trainOptions }));`;

// \`{ model }\` naming a variable declared in an earlier cell fails in the kernel (ReferenceError), so: \`model: model\`.
const LONG_RUN = `const optimizer2 = galoreAdamW({ rank: 4, update_proj_gap: 5 });
const dash2 = liveDashboard({ model: model, optimizer: optimizer2, name: 'tiny-qwen2', steps: 1000, batchSize: 1, seqLen: 96, updateIntervalMs: 200 });
const result2 = await dash2.watch(trainModel(model, optimizer2, examples, { steps: 1000, batchSize: 1, seqLen: 96, lr: 1e-4, progress: false, ...dash2.trainOptions }));`;

const BAD_DATA = `displayMimeBundle({ 'application/vnd.galore-lab.telemetry+json': { schema: 'galore-lab.telemetry', version: 1, run: { runId: 'x' } }, 'text/plain': 'malformed telemetry' });
displayMimeBundle({ 'application/vnd.galore-lab.telemetry+json': { schema: 'galore-lab.telemetry', version: 2, whatever: [] }, 'text/plain': 'future telemetry' });
const evil = dash.message();
evil.run.runId = 'run-evil';
evil.run.model.name = '<img src=x onerror="window.__galorePwned = 1">';
displayMimeBundle(telemetryBundle(evil));
displayMimeBundle({ 'application/vnd.plotly.v1+json': { data: [{ y: [1, 3, 2], type: 'scatter', name: 'a plotly trace' }], layout: { title: { text: 'plotly from galore-lab' } } }, 'text/plain': 'figure' });
displayMimeBundle({ 'application/vnd.plotly.v1+json': { data: 5 }, 'text/plain': 'bad figure' });`;

const missing = missingPrerequisites();

/** Polls `read` until `done` holds, collecting every distinct value seen. */
async function watch<T>(page: Page, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (!seen.length || JSON.stringify(seen[seen.length - 1]) !== JSON.stringify(value)) seen.push(value);
    if (done(value)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out; values seen: ${JSON.stringify(seen)}`);
    await page.waitForTimeout(100);
  }
}

describe('GaLore Lab extension in JupyterLab 4 (headless Chromium)', () => {
  it('has its prerequisites (Chromium, Debian jupyter_server + jupyterlab_server, playwright-core)', () => {
    if (missing && IN_CI) throw new Error(`CI must provide: ${missing}`);
  });

  describe.skipIf(Boolean(missing))(missing ? `skipped: ${missing}` : 'with our kernel', () => {
    let lab: Lab;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    const consoleErrors = new ConsoleErrors();

    beforeAll(async () => {
      await ensureBuilt();
      lab = await startLab({ 'train.ipynb': notebook([SETUP_AND_TRAIN, LONG_RUN, BAD_DATA]) });
      ({ context, page, profile } = await launchBrowser());
      consoleErrors.watch(page);
      await openNotebook(page, lab, 'train.ipynb');
    }, 300_000);

    afterAll(async () => {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
      await lab?.stop();
    });

    const dashboardState = (index: number) =>
      page.evaluate((i) => {
        const d = document.querySelectorAll<HTMLElement>('.jp-GaloreLab-dashboard')[i];
        return d ? { status: d.dataset.status ?? '', step: Number(d.dataset.step ?? -1), rendered: Number(d.dataset.rendered ?? -1) } : null;
      }, index);
    /** The README screenshots: a tall window, the file browser collapsed, the side panel widened. */
    const screenshots = async (suffix: string) => {
      await page.setViewportSize({ width: 1600, height: 1450 });
      await page.evaluate(() => {
        const shell = (window as any).jupyterapp.shell;
        shell.collapseLeft();
        shell._hsplitPanel?.setRelativeSizes([0, 0.6, 0.4]);
      });
      await page.waitForTimeout(800);
      await page.locator('.jp-GaloreLab-dashboard').first().screenshot({ path: shot(`dashboard${suffix}.png`) });
      await page.locator('#galore-lab-training-monitor').screenshot({ path: shot(`training-monitor${suffix}.png`) });
      await page.screenshot({ path: shot(`lab${suffix}.png`) });
      await page.setViewportSize({ width: 1440, height: 960 });
    };
    const statusBarText = () => page.evaluate(() => document.querySelector('.jp-GaloreLab-statusItem')?.textContent ?? '');

    it('trains in a cell: the dashboard appears and updates live, the status bar follows, the side panel shows per-layer ranks', async () => {
      await runCell(page, 0);
      await page.waitForSelector('.jp-GaloreLab-dashboard', { timeout: 120_000 });
      const states = await watch(
        page,
        async () => ({ ...(await dashboardState(0)), bar: await statusBarText() }),
        (s) => s.status === 'finished' && s.rendered === 60,
        120_000
      );
      // updated in place while training: several distinct steps shown (and drawn) before the end
      const running = states.filter((s) => s.status === 'running');
      expect(new Set(running.map((s) => s.step)).size, JSON.stringify(states)).toBeGreaterThanOrEqual(3);
      expect(new Set(running.map((s) => s.rendered).filter((n) => n! > 0)).size, JSON.stringify(states)).toBeGreaterThanOrEqual(2);
      // the status bar followed the run step by step
      const barTexts = new Set(running.map((s) => s.bar).filter((t) => /^GaLore step \d+\/60 · [\d.]+ MiB$/.test(t)));
      expect(barTexts.size, JSON.stringify(states)).toBeGreaterThanOrEqual(3);
      expect(await page.locator('.jp-GaloreLab-dashboard').count()).toBe(1);
      await expect.poll(statusBarText, { timeout: 15_000 }).toMatch(/^GaLore step 60\/60 \(finished\) · \d+(\.\d+)? MiB$/);
      await expect.poll(() => page.locator('.jp-GaloreLab-lossChart .main-svg').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await expect.poll(() => page.locator('.jp-GaloreLab-memoryChart .main-svg').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      const header = await page.locator('.jp-GaloreLab-dashboard .jp-GaloreLab-summary').first().textContent();
      expect(header).toMatch(/step 60\/60 · loss \d+\.\d{4} · \d+ tokens\/s · [\d.]+ MiB wasm heap \(CPU memory\)/);

      await page.evaluate(() => (window as any).jupyterapp.commands.execute('galore-lab:open-training-monitor'));
      const monitor = page.locator('#galore-lab-training-monitor');
      await expect.poll(() => monitor.isVisible(), { timeout: 15_000 }).toBe(true);
      await expect.poll(() => monitor.locator('.jp-GaloreLab-subspaces').getAttribute('data-weights'), { timeout: 15_000 }).toBe('28');
      const rows = await monitor.locator('.jp-GaloreLab-rankTable tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [tr.querySelector('th')?.textContent, ...[...tr.querySelectorAll('td')].map((td) => td.textContent)])
      );
      expect(rows).toEqual([0, 1, 2, 3].map((layer) => [String(layer), '8', '8', '8', '8', '8', '8', '8']));
      await expect.poll(() => monitor.locator('.jp-GaloreLab-heatmap .main-svg').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await expect.poll(() => monitor.locator('.jp-GaloreLab-spectrum .main-svg').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(await monitor.locator('.jp-GaloreLab-memoryTimeline').getAttribute('data-runs')).toBe('1');
      await screenshots('');
      expect(consoleErrors.errors).toEqual([]);
    }, 240_000);

    it('pauses a run from its dashboard, resumes, re-rates and stops it from the side panel', async () => {
      await runCell(page, 1);
      await watch(page, () => dashboardState(1), (s) => s?.status === 'running' && s.step >= 2, 120_000);
      const monitor = page.locator('#galore-lab-training-monitor');
      const pause = monitor.locator('.jp-GaloreLab-pause');
      await expect.poll(() => pause.isEnabled(), { timeout: 15_000 }).toBe(true);
      // pause from the dashboard in the cell (the finished run's dashboard has no buttons)
      expect(await page.locator('.jp-GaloreLab-dashboard').nth(0).locator('.jp-GaloreLab-cellControls').isVisible()).toBe(false);
      const cellPause = page.locator('.jp-GaloreLab-dashboard').nth(1).locator('.jp-GaloreLab-cellPause');
      await expect.poll(() => cellPause.isVisible(), { timeout: 15_000 }).toBe(true);
      await cellPause.click();
      await watch(page, () => dashboardState(1), (s) => s?.status === 'paused', 30_000);
      await expect.poll(() => cellPause.textContent(), { timeout: 15_000 }).toBe('Resume');
      await expect.poll(statusBarText, { timeout: 15_000 }).toMatch(/\(paused\)/);
      await page.waitForTimeout(1200); // the step in progress when pausing may still finish
      const pausedAt = (await dashboardState(1))!.step;
      await page.waitForTimeout(2000);
      expect((await dashboardState(1))!.step).toBe(pausedAt);
      await expect.poll(() => pause.textContent(), { timeout: 15_000 }).toBe('Resume');
      await page.screenshot({ path: shot('paused.png') });
      await pause.click(); // resume from the side panel
      await watch(page, () => dashboardState(1), (s) => s?.status === 'running' && s.step > pausedAt + 1, 60_000);
      await monitor.locator('.jp-GaloreLab-rateSelect').selectOption('1000');
      await expect.poll(() => monitor.locator('.jp-GaloreLab-controlNote').textContent(), { timeout: 20_000 }).toBe('set-rate: run is running');
      await monitor.locator('.jp-GaloreLab-stop').click();
      const final = await watch(page, () => dashboardState(1), (s) => s?.status === 'stopped', 60_000);
      expect(final[final.length - 1]!.step).toBeLessThan(1000);
      const summary = await page.locator('.jp-GaloreLab-dashboard').nth(1).locator('.jp-GaloreLab-summary').textContent();
      expect(summary).toMatch(/stopped: stopped from the training monitor$/);
      await expect.poll(() => monitor.locator('.jp-GaloreLab-memoryTimeline').getAttribute('data-runs'), { timeout: 15_000 }).toBe('2');
      // the cell finishes normally: the kernel goes idle
      await page.waitForFunction(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle', null, { timeout: 30_000 });
      expect(consoleErrors.errors).toEqual([]);
    }, 240_000);

    it('shows readable notices for malformed and newer telemetry, inserts nothing from the data as HTML, renders plotly figures', async () => {
      await runCell(page, 2);
      await expect.poll(() => page.locator('.jp-GaloreLab-dashboard[data-status="invalid"]').count(), { timeout: 60_000 }).toBe(2);
      const notices = await page.locator('.jp-GaloreLab-dashboard[data-status="invalid"] .jp-GaloreLab-notice').allTextContents();
      expect(notices[0]).toBe('This training telemetry cannot be shown.message.history: expected an object, got nothing (the field is missing)');
      expect(notices[1]).toMatch(/^This training telemetry is newer than this extension\.this telemetry uses schema version 2, but this reader understands version 1/);
      const evil = page.locator('.jp-GaloreLab-dashboard[data-run-id="run-evil"]');
      await expect.poll(() => evil.count(), { timeout: 30_000 }).toBe(1);
      expect(await evil.locator('.jp-GaloreLab-dashboardTitle').textContent()).toContain('<img src=x onerror="window.__galorePwned = 1">');
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(await page.evaluate(() => (window as any).__galorePwned)).toBeUndefined();
      await expect.poll(() => page.locator('.jp-GaloreLab-plotly[data-rendered="true"] .main-svg').count(), { timeout: 30_000 }).toBeGreaterThan(0);
      expect(await page.locator('.jp-GaloreLab-plotly .gtitle').first().textContent()).toBe('plotly from galore-lab');
      expect(await page.locator('.jp-GaloreLab-plotly .jp-GaloreLab-notice:not([hidden])').allTextContents()).toEqual([
        'This plotly figure cannot be shown."data": expected an array of traces'
      ]);
      // the side panel follows the newest run, escaped there too
      await expect.poll(() => page.locator('#galore-lab-training-monitor .jp-GaloreLab-summary').textContent(), { timeout: 15_000 }).toContain('<img src=x');
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(consoleErrors.errors).toEqual([]);
    }, 120_000);

    it('follows the dark theme', async () => {
      const titleFill = () =>
        page.evaluate(() => {
          const title = document.querySelector('.jp-GaloreLab-dashboard .jp-GaloreLab-lossChart .gtitle');
          return title ? getComputedStyle(title).fill : '';
        });
      const light = await titleFill();
      await page.evaluate(() => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
      await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
      await expect.poll(titleFill, { timeout: 20_000 }).not.toBe(light);
      await page.evaluate(() => {
        const cells = (window as any).jupyterapp.shell.currentWidget.content;
        cells.activeCellIndex = 0;
        cells.scrollToItem(0);
      });
      await page.evaluate(() => (window as any).jupyterapp.commands.execute('galore-lab:open-training-monitor'));
      await screenshots('-dark');
      expect(consoleErrors.errors).toEqual([]);
    }, 120_000);
  });
});
