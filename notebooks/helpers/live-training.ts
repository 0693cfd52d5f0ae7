/**
 * A live training view for the notebooks, built on the library's display API:
 * one output that `trainModel`'s `onStep` callback redraws in place
 * (`display(..., { displayId: true })` then `handle.update(...)`), showing the
 * loss curve and the latest step's numbers.
 *
 * It stands in for the training dashboard that `kernel-lib/src/telemetry/`
 * and the JupyterLab extension will provide; the notebooks switch to that
 * when it lands.
 *
 * @example
 * const view = liveTrainingView('AdamW');
 * await trainModel(model, adamW(), examples, { steps: 20, batchSize: 8, seqLen: 128, lr: 1e-3, progress: false, onStep: view.onStep });
 * view.finish();
 */
import { display, type StepRecord } from 'galore-lab';
import { figure, lineFigure, type LineSeries } from './figures';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** What `liveTrainingView` returns. */
export interface LiveTrainingView {
  /** Pass as `onStep` to `trainModel`. */
  onStep: (record: StepRecord) => void;
  /** Redraw with every step (call after training). */
  finish: () => void;
  /** The records seen so far. */
  records: StepRecord[];
  /** The loss curve as a line series (for comparison charts). */
  series: () => LineSeries;
}

/**
 * Shows a loss chart that redraws every `every` steps while training runs.
 * `compare` adds finished curves (dashed) for reference; they come first, so
 * each curve keeps its colour from chart to chart.
 */
export function liveTrainingView(name: string, options: { every?: number; compare?: LineSeries[] } = {}): LiveTrainingView {
  const every = options.every ?? 5;
  const records: StepRecord[] = [];
  const series = (): LineSeries => ({ name, x: records.map((r) => r.step), y: records.map((r) => r.loss) });
  const view = () => {
    const last = records[records.length - 1];
    const title = last ? `${name}: step ${last.step}, loss ${last.loss.toFixed(4)}` : `${name}: waiting for the first step`;
    const status = last
      ? `step  (lr ${last.lr.toExponential(2)}, grad norm ${last.grad_norm.toFixed(3)}, ${last.time_ms} ms/step, ` +
        `tensors ${mib(last.memory)}${last.wasm_heap ? `, wasm heap ${mib(last.wasm_heap)}` : ''})`
      : 'step';
    const compare = (options.compare ?? []).map((s) => ({ ...s, dash: true }));
    return figure(lineFigure([...compare, series()], { title, xTitle: status, yTitle: 'training loss' }), { width: 720, height: 300 });
  };
  const handle = display(view(), { displayId: true });
  return {
    records,
    series,
    onStep: (record) => {
      records.push(record);
      if (record.step % every === 0) handle.update(view());
    },
    finish: () => handle.update(view()),
  };
}
