/**
 * The MIME renderer entry point (`jupyterlab.mimeExtension`): the training
 * dashboard and the plotly figure renderer.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { dashboardRendererExtension } from './dashboard-renderer';
import { plotlyRendererExtension } from './plotly-renderer';

const extensions: IRenderMime.IExtension[] = [dashboardRendererExtension, plotlyRendererExtension];

export default extensions;
