/**
 * The status-bar item: the active notebook kernel's latest training figures
 * (method, step, memory), updated live; hidden when that kernel has sent no
 * telemetry. Clicking it opens the "Training monitor" side panel.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { formatBytes, latestMemoryFigure, methodLabel } from './telemetry';
import { kernelIdOf } from './telemetry-store-plugin';
import { ITelemetryStore, type RunRecord, type TelemetryStore } from './telemetry-store';

/** The command that opens the side panel (registered by the training-monitor plugin). */
export const OPEN_MONITOR_COMMAND = 'galore-lab:open-training-monitor';

/** The text the item shows for a run. */
export function statusText(run: RunRecord): string {
  const message = run.message;
  const step = message.latest.step?.step ?? 0;
  const progress = message.run.totalSteps ? `${step}/${message.run.totalSteps}` : String(step);
  const memory = latestMemoryFigure(message);
  const method = message.run.method === 'galore' ? 'GaLore' : message.run.method === 'lora' ? 'LoRA' : 'Full FT';
  const state = message.status === 'running' ? '' : ` (${message.status})`;
  return `${method} step ${progress}${state}${memory ? ` · ${formatBytes(memory.bytes)}` : ''}`;
}

/** The status-bar widget. */
export class TrainingStatusItem extends Widget {
  /** Fired when the item should appear or disappear. */
  readonly activeChanged = new Signal<this, void>(this);
  private current: RunRecord | null = null;

  constructor(private readonly store: TelemetryStore, private readonly tracker: INotebookTracker, onClick: () => void) {
    super();
    this.addClass('jp-GaloreLab-statusItem');
    this.node.setAttribute('role', 'button');
    this.node.addEventListener('click', onClick);
    store.changed.connect(() => this.refresh());
    tracker.currentChanged.connect(() => this.refresh());
    this.refresh();
  }

  /** Whether there is something to show. */
  get active(): boolean {
    return this.current !== null;
  }

  refresh(): void {
    const wasActive = this.active;
    const run = this.store.latest(kernelIdOf(this.tracker.currentWidget));
    this.current = run;
    if (run) {
      const message = run.message;
      const memory = latestMemoryFigure(message);
      this.node.textContent = statusText(run);
      this.node.title = [
        `GaLore Lab: ${message.run.model.name}, ${methodLabel(message.run)} (${message.status})`,
        memory ? `${memory.label}: ${formatBytes(memory.bytes)}; backend tensors ${formatBytes(memory.tensorBytes)}` : '',
        'Click to open the Training monitor'
      ]
        .filter(Boolean)
        .join('\n');
      this.node.dataset.step = String(message.latest.step?.step ?? 0);
      this.node.dataset.memoryBytes = String(memory?.bytes ?? '');
    } else {
      this.node.textContent = '';
      delete this.node.dataset.step;
    }
    if (wasActive !== this.active) this.activeChanged.emit();
  }
}

/** Adds the item to the status bar. */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'galore-lab-jupyterlab:training-status',
  description: 'Shows the active kernel\'s latest training step and memory in the status bar',
  autoStart: true,
  requires: [IStatusBar, INotebookTracker, ITelemetryStore],
  activate: (app: JupyterFrontEnd, statusBar: IStatusBar, tracker: INotebookTracker, store: TelemetryStore): void => {
    const item = new TrainingStatusItem(store, tracker, () => {
      if (app.commands.hasCommand(OPEN_MONITOR_COMMAND)) void app.commands.execute(OPEN_MONITOR_COMMAND);
    });
    statusBar.registerStatusItem('galore-lab-jupyterlab:training-status', {
      item,
      align: 'left',
      rank: 50,
      isActive: () => item.active,
      activeStateChanged: item.activeChanged
    });
  }
};
