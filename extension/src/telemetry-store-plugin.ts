/**
 * Feeds the telemetry store: every notebook's kernel IOPub messages carrying
 * `application/vnd.galore-lab.telemetry+json` (display, update, result), and
 * the telemetry outputs a notebook already holds when its kernel is ready.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import { TELEMETRY_MIME_TYPE } from './telemetry';
import { ITelemetryStore, TelemetryStore } from './telemetry-store';

const OUTPUT_MESSAGES = new Set(['display_data', 'update_display_data', 'execute_result']);

/** The id of the kernel a notebook is connected to now, or null. */
export function kernelIdOf(panel: NotebookPanel | null | undefined): string | null {
  return panel?.sessionContext.session?.kernel?.id ?? null;
}

function scanSavedOutputs(panel: NotebookPanel, store: TelemetryStore): void {
  const kernelId = kernelIdOf(panel);
  const cells = panel.content.model?.cells;
  if (!kernelId || !cells) return;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = (cell as unknown as { outputs: { length: number; get(i: number): { data: Record<string, unknown> } } }).outputs;
    for (let j = 0; j < outputs.length; j++) {
      const data = outputs.get(j).data[TELEMETRY_MIME_TYPE];
      if (data !== undefined) store.ingest(kernelId, data);
    }
  }
}

function watchNotebook(panel: NotebookPanel, store: TelemetryStore): void {
  const session = panel.sessionContext;
  session.iopubMessage.connect((_, message: KernelMessage.IMessage) => {
    if (!OUTPUT_MESSAGES.has(message.header.msg_type)) return;
    const data = (message.content as { data?: Record<string, unknown> }).data;
    if (!data || data[TELEMETRY_MIME_TYPE] === undefined) return;
    const kernelId = kernelIdOf(panel);
    if (kernelId) store.ingest(kernelId, data[TELEMETRY_MIME_TYPE]);
  });
  void session.ready.then(() => scanSavedOutputs(panel, store));
  session.kernelChanged.connect(() => void session.ready.then(() => scanSavedOutputs(panel, store)));
}

/** Provides {@link ITelemetryStore}. */
export const telemetryStorePlugin: JupyterFrontEndPlugin<TelemetryStore> = {
  id: 'galore-lab-jupyterlab:telemetry-store',
  description: 'Collects GaLore Lab training telemetry per kernel from notebook IOPub messages',
  autoStart: true,
  requires: [INotebookTracker],
  provides: ITelemetryStore,
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker): TelemetryStore => {
    const store = new TelemetryStore();
    tracker.forEach((panel) => watchNotebook(panel, store));
    tracker.widgetAdded.connect((_, panel) => watchNotebook(panel, store));
    return store;
  }
};
