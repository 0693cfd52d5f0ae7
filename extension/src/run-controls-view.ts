/**
 * Pause/resume, stop and update-rate controls for a live run, sent to the
 * kernel over a comm (only when the run says its kernel accepts them).
 */
import type { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { RunControlClient } from './run-control-client';
import type { TelemetryControlRequest } from './telemetry';
import type { RunRecord } from './telemetry-store';

const RATES: [number, string][] = [
  [250, 'every 0.25 s'],
  [1000, 'every 1 s'],
  [5000, 'every 5 s'],
  [30000, 'every 30 s']
];

function button(label: string, className: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `jp-Button jp-mod-styled jp-GaloreLab-button ${className}`;
  b.textContent = label;
  return b;
}

/** The controls row. */
export class RunControls extends Widget {
  private readonly pauseButton = button('Pause', 'jp-GaloreLab-pause');
  private readonly stopButton = button('Stop', 'jp-GaloreLab-stop jp-mod-warn');
  private readonly rateSelect = document.createElement('select');
  private readonly note = document.createElement('div');
  private run: RunRecord | null = null;
  private kernel: Kernel.IKernelConnection | null = null;
  private client: RunControlClient | null = null;
  private busy = false;

  constructor() {
    super();
    this.addClass('jp-GaloreLab-controls');
    for (const [ms, label] of RATES) {
      const option = document.createElement('option');
      option.value = String(ms);
      option.textContent = label;
      this.rateSelect.append(option);
    }
    this.rateSelect.className = 'jp-GaloreLab-rateSelect';
    this.rateSelect.title = 'How often the kernel updates the dashboard';
    const rate = document.createElement('label');
    rate.className = 'jp-GaloreLab-field';
    rate.textContent = 'Update ';
    rate.append(this.rateSelect);
    this.note.className = 'jp-GaloreLab-controlNote';
    const row = document.createElement('div');
    row.className = 'jp-GaloreLab-controlRow';
    row.append(this.pauseButton, this.stopButton, rate);
    this.node.append(row, this.note);
    this.pauseButton.addEventListener('click', () => {
      if (!this.run) return;
      void this.send({ command: this.run.message.status === 'paused' ? 'resume' : 'pause', runId: this.run.runId });
    });
    this.stopButton.addEventListener('click', () => {
      if (this.run) void this.send({ command: 'stop', runId: this.run.runId });
    });
    this.rateSelect.addEventListener('change', () => {
      if (this.run) void this.send({ command: 'set-rate', runId: this.run.runId, intervalMs: Number(this.rateSelect.value) });
    });
    this.setRun(null, null);
  }

  /** Shows the controls for `run` of `kernel`. */
  setRun(run: RunRecord | null, kernel: Kernel.IKernelConnection | null): void {
    if (kernel !== this.kernel) {
      this.client?.dispose();
      this.client = null;
      this.kernel = kernel;
    }
    this.run = run;
    const message = run?.message;
    const live = !!message && !message.end && (message.status === 'running' || message.status === 'paused');
    const target = message?.run.controls?.commTarget ?? null;
    this.node.hidden = !message;
    this.pauseButton.textContent = message?.status === 'paused' ? 'Resume' : 'Pause';
    const enabled = live && !!target && !!kernel && !this.busy;
    this.pauseButton.disabled = !enabled;
    this.stopButton.disabled = !enabled;
    this.rateSelect.disabled = !enabled;
    if (message && RATES.some(([ms]) => ms === message.updateIntervalMs)) this.rateSelect.value = String(message.updateIntervalMs);
    if (message && !target) this.note.textContent = 'No run controls: this kernel has no comms (use the GaLore Lab kernel).';
    else if (message && !live) this.note.textContent = `Run ${message.status}.`;
    else if (this.note.dataset.kind !== 'reply') this.note.textContent = '';
    this.node.dataset.status = message?.status ?? '';
  }

  dispose(): void {
    this.client?.dispose();
    super.dispose();
  }

  private async send(request: TelemetryControlRequest): Promise<void> {
    const target = this.run?.message.run.controls?.commTarget;
    if (!this.kernel || !target) return;
    this.client ??= new RunControlClient(this.kernel, target);
    this.busy = true;
    this.setRun(this.run, this.kernel);
    const reply = await this.client.request(request);
    this.busy = false;
    this.note.dataset.kind = 'reply';
    this.note.textContent = reply.ok ? `${reply.command}: run is ${reply.status}` : `Could not ${request.command}: ${reply.reason}`;
    this.setRun(this.run, this.kernel);
  }
}
