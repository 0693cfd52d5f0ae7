/**
 * The GaLore Lab JupyterLab 4 extension (application plugins; the MIME
 * renderers are in `mime.ts`):
 *
 * - `telemetry-store`: collects training telemetry per kernel from IOPub;
 * - `training-status`: the status-bar figure (step, memory) of the active kernel;
 * - `training-monitor`: the side panel (memory across runs, subspace ranks, run controls).
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { statusBarPlugin } from './status-bar-item';
import { telemetryStorePlugin } from './telemetry-store-plugin';
import { trainingMonitorPlugin } from './training-monitor';

export { ITelemetryStore, TelemetryStore } from './telemetry-store';

const plugins: JupyterFrontEndPlugin<any>[] = [telemetryStorePlugin, statusBarPlugin, trainingMonitorPlugin];

export default plugins;
