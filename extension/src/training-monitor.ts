/**
 * The "Training monitor" side panel: for the active notebook's kernel, its
 * runs (pick one, or follow the latest), controls for a live run, the memory
 * timeline across runs and the GaLore subspace-rank widget; live while
 * training runs.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { MemoryTimeline } from './memory-timeline';
import { RunControls } from './run-controls-view';
import { OPEN_MONITOR_COMMAND } from './status-bar-item';
import { SubspaceRankWidget } from './subspace-widget';
import { methodLabel } from './telemetry';
import { kernelIdOf } from './telemetry-store-plugin';
import { ITelemetryStore, type RunRecord, type TelemetryStore } from './telemetry-store';
import { summaryText } from './dashboard-renderer';

const FOLLOW_LATEST = '';

const monitorIcon = new LabIcon({
  name: 'galore-lab-jupyterlab:monitor',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3V3zm4 12l4-5 3 3 5-7 1.6 1.2-6.4 9-3-3-3.6 4.5L7 15z"/></svg>'
});

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The header: which notebook and kernel, the run picker and the run's summary. */
class MonitorHeader extends Widget {
  readonly source = el('div', 'jp-GaloreLab-source');
  readonly runSelect = el('select', 'jp-GaloreLab-runSelect');
  readonly summary = el('div', 'jp-GaloreLab-summary');
  readonly notice = el('div', 'jp-GaloreLab-notice');

  constructor() {
    super();
    this.addClass('jp-GaloreLab-monitorHeader');
    const label = el('label', 'jp-GaloreLab-field', 'Run: ');
    label.append(this.runSelect);
    this.notice.hidden = true;
    this.node.append(el('h2', 'jp-GaloreLab-panelTitle', 'Training monitor'), this.source, label, this.summary, this.notice);
  }
}

/** The side panel. */
export class TrainingMonitor extends Panel {
  private readonly header = new MonitorHeader();
  private readonly controls = new RunControls();
  private readonly timeline = new MemoryTimeline();
  private readonly subspaces = new SubspaceRankWidget();
  private chosenRun = FOLLOW_LATEST;
  private frame = 0;
  private watched: NotebookPanel | null = null;

  constructor(private readonly store: TelemetryStore, private readonly tracker: INotebookTracker) {
    super();
    this.id = 'galore-lab-training-monitor';
    this.addClass('jp-GaloreLab-monitor');
    this.title.icon = monitorIcon;
    this.title.caption = 'Training monitor';
    for (const w of [this.header, this.controls, this.timeline, this.subspaces]) this.addWidget(w);
    this.header.runSelect.addEventListener('change', () => {
      this.chosenRun = this.header.runSelect.value;
      this.refresh();
    });
    store.changed.connect((_, change) => {
      if (change.kernelId === kernelIdOf(this.tracker.currentWidget)) this.scheduleRefresh();
    });
    tracker.currentChanged.connect(() => {
      this.chosenRun = FOLLOW_LATEST;
      this.watchCurrent();
      this.scheduleRefresh();
    });
    this.watchCurrent();
    this.refresh();
  }

  /** Redraws now (also called when the panel is shown). */
  refresh(): void {
    const panel = this.tracker.currentWidget;
    const kernel = panel?.sessionContext.session?.kernel ?? null;
    const kernelId = kernelIdOf(panel);
    const runs = this.store.runs(kernelId);
    this.header.source.textContent = panel
      ? `${panel.context.path} · ${panel.sessionContext.kernelDisplayName}${kernelId ? ` (${kernelId.slice(0, 8)})` : ''}`
      : 'Open a notebook to see its kernel\'s training runs.';
    this.fillRunSelect(runs);
    const run = this.selectedRun(runs, kernelId);
    const problem = this.store.problem(kernelId);
    this.header.notice.hidden = !problem;
    this.header.notice.textContent = problem ? `Invalid telemetry from this kernel: ${problem}` : '';
    if (run) {
      const m = run.message;
      this.header.summary.textContent = `${m.run.model.name} · ${methodLabel(m.run)} · ${m.status} · ${summaryText(m)}`;
    } else {
      this.header.summary.textContent = panel ? 'No training telemetry from this kernel yet: run a cell that trains with liveDashboard(...).' : '';
    }
    this.node.dataset.runs = String(runs.length);
    this.node.dataset.step = String(run?.message.latest.step?.step ?? '');
    this.controls.setRun(run, kernel);
    this.timeline.setRuns(runs.map((r) => r.message));
    this.subspaces.setRun(run?.message ?? null);
  }

  protected onAfterShow(_msg: Message): void {
    this.refresh();
  }

  protected onResize(_msg: Widget.ResizeMessage): void {
    this.timeline.redraw();
    this.subspaces.redraw();
  }

  private scheduleRefresh(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.refresh();
    });
  }

  private watchCurrent(): void {
    const panel = this.tracker.currentWidget;
    if (panel === this.watched) return;
    this.watched?.sessionContext.kernelChanged.disconnect(this.onKernelChanged, this);
    this.watched = panel;
    panel?.sessionContext.kernelChanged.connect(this.onKernelChanged, this);
  }

  private onKernelChanged(): void {
    this.scheduleRefresh();
  }

  private selectedRun(runs: RunRecord[], kernelId: string | null): RunRecord | null {
    if (this.chosenRun !== FOLLOW_LATEST) {
      const chosen = runs.find((r) => r.runId === this.chosenRun);
      if (chosen) return chosen;
    }
    // Follow the run that sent telemetry last (as the status bar does).
    return this.store.latest(kernelId);
  }

  private fillRunSelect(runs: RunRecord[]): void {
    const select = this.header.runSelect;
    const wanted = [FOLLOW_LATEST, ...runs.map((r) => r.runId)];
    const labels = ['latest run', ...runs.map((r) => `${new Date(r.message.run.startedAt).toLocaleTimeString()} · ${methodLabel(r.message.run)} · ${r.message.status}`)];
    const options = [...select.options];
    if (options.length !== wanted.length || options.some((o, i) => o.value !== wanted[i])) {
      select.replaceChildren(
        ...wanted.map((value, i) => {
          const option = el('option', '', labels[i]);
          option.value = value;
          return option;
        })
      );
    } else {
      options.forEach((o, i) => {
        if (o.textContent !== labels[i]) o.textContent = labels[i];
      });
    }
    select.value = runs.some((r) => r.runId === this.chosenRun) ? this.chosenRun : FOLLOW_LATEST;
  }
}

/** Adds the side panel and the command that opens it. */
export const trainingMonitorPlugin: JupyterFrontEndPlugin<void> = {
  id: 'galore-lab-jupyterlab:training-monitor',
  description: 'The "Training monitor" side panel: memory across runs, subspace ranks, run controls',
  autoStart: true,
  requires: [INotebookTracker, ITelemetryStore],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    store: TelemetryStore,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const monitor = new TrainingMonitor(store, tracker);
    app.shell.add(monitor, 'right', { rank: 900 });
    restorer?.add(monitor, monitor.id);
    app.commands.addCommand(OPEN_MONITOR_COMMAND, {
      label: 'Open the GaLore Lab Training monitor',
      caption: 'Memory across runs, GaLore subspace ranks and run controls for the active notebook\'s kernel',
      execute: () => app.shell.activateById(monitor.id)
    });
    palette?.addItem({ command: OPEN_MONITOR_COMMAND, category: 'GaLore Lab' });
  }
};
