/**
 * Pause/resume and stop buttons in the dashboard of a cell: the renderer (a
 * MIME renderer, which knows no kernel) dispatches a DOM event; this plugin
 * finds the notebook the output is in and sends the request to its kernel
 * over the run's control comm.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { CONTROL_EVENT, type ControlEventDetail } from './dashboard-renderer';
import { RunControlClient } from './run-control-client';

/** Answers the dashboards' control events. */
export const cellControlsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'galore-lab-jupyterlab:cell-controls',
  description: 'Sends the pause/resume/stop buttons of training dashboards in cells to the kernel',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker): void => {
    const clients = new Map<string, { kernel: Kernel.IKernelConnection; client: RunControlClient }>();
    document.addEventListener(CONTROL_EVENT, (event) => {
      const detail = (event as CustomEvent<ControlEventDetail>).detail;
      const target = event.target as Node | null;
      const panel = target ? tracker.find((p) => p.node.contains(target)) : undefined;
      const kernel = panel?.sessionContext.session?.kernel;
      if (!kernel || !detail) return;
      detail.handled = true;
      const key = `${kernel.id}\u0000${detail.commTarget}`;
      let entry = clients.get(key);
      if (!entry || entry.kernel !== kernel || kernel.isDisposed) {
        entry?.client.dispose();
        entry = { kernel, client: new RunControlClient(kernel, detail.commTarget) };
        clients.set(key, entry);
      }
      void entry.client.request({ command: detail.command, runId: detail.runId }).then((reply) => {
        if (!reply.ok) console.warn(`GaLore Lab: could not ${detail.command} run ${detail.runId}: ${reply.reason}`);
      });
    });
  }
};
