/**
 * The GaLore Lab JupyterLab 4 extension (application plugins; the MIME
 * renderers are in `mime.ts`):
 *
 * - `telemetry-store`: collects training telemetry per kernel from IOPub;
 * - `training-status`: the status-bar figure (step, memory) of the active kernel;
 * - `training-monitor`: the side panel (memory across runs, subspace ranks, run controls);
 * - `cell-controls`: sends the pause/resume/stop buttons of dashboards in cells to their kernel.
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { cellControlsPlugin } from './cell-controls';
import { statusBarPlugin } from './status-bar-item';
import { telemetryStorePlugin } from './telemetry-store-plugin';
import { trainingMonitorPlugin } from './training-monitor';

export { ITelemetryStore, TelemetryStore } from './telemetry-store';

const plugins: JupyterFrontEndPlugin<any>[] = [telemetryStorePlugin, statusBarPlugin, trainingMonitorPlugin, cellControlsPlugin];

export default plugins;
