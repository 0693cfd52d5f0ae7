/**
 * `execute_request`s, one at a time and in arrival order:
 * busy -> execute_input -> outputs -> execute_result | error -> reply -> idle.
 *
 * A failing cell with `stop_on_error` aborts the requests already queued
 * behind it (each still gets busy, an `aborted` reply and idle, so frontends
 * waiting on them finish). Interrupting aborts the running cell's signal.
 */
import { mimeBundleOf } from '../display/mime-bundle';
import type { CellOutcome, CellRunner } from './cell-runner';
import { runtimeError, type ErrorContent } from './error-report';
import type { CellHistory } from './history';
import { inspectionReply, parseHelpRequest } from './introspection';
import type { KernelTransport } from './kernel-transport';
import type { OutputContext, OutputScope } from './output-context';
import type { JupyterMessage } from './wire-message';

/** What the queue needs from the kernel. */
export interface ExecuteQueueDeps {
  transport: KernelTransport;
  runner: CellRunner;
  outputs: OutputContext;
  history: CellHistory;
  renderQuickInfo: (info: unknown) => string;
  reportInternalError: (where: string, error: unknown, parent?: JupyterMessage) => void;
}

interface RunningCell {
  request: JupyterMessage;
  controller: AbortController;
}

/**
 * Runs execute requests sequentially.
 *
 * @example
 * const executes = new ExecuteQueue(deps);
 * executes.enqueue(request); // the reply follows once earlier cells are done
 */
export class ExecuteQueue {
  private readonly waiting: JupyterMessage[] = [];
  /** Requests that were queued when a cell failed with stop_on_error. */
  private readonly toAbort = new Set<string>();
  private draining = false;
  private running: RunningCell | undefined;
  private executionCount = 0;

  constructor(private readonly deps: ExecuteQueueDeps) {}

  /** The request whose cell is running now, if any. */
  get runningRequest(): JupyterMessage | undefined {
    return this.running?.request;
  }

  /** Queues a request. */
  enqueue(request: JupyterMessage): void {
    this.waiting.push(request);
    if (!this.draining) void this.drain();
  }

  /** Interrupts the running cell: its signal aborts and its awaits stop waiting. */
  interrupt(): void {
    this.running?.controller.abort(new Error('interrupted by the user'));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let request = this.waiting.shift(); request; request = this.waiting.shift()) {
        await this.execute(request);
      }
    } finally {
      this.draining = false;
    }
  }

  private async execute(request: JupyterMessage): Promise<void> {
    const { transport } = this.deps;
    transport.status(request, 'busy');
    if (this.toAbort.delete(request.header.msg_id)) {
      transport.reply(request, 'shell', 'execute_reply', { status: 'aborted', execution_count: null });
      transport.status(request, 'idle');
      return;
    }
    try {
      await this.executeCell(request);
    } catch (error) {
      this.deps.reportInternalError('execute_request', error, request);
      const content = { status: 'error', execution_count: this.executionCount, ...kernelError(error) };
      transport.reply(request, 'shell', 'execute_reply', content);
    } finally {
      this.running = undefined;
      transport.status(request, 'idle');
    }
  }

  private async executeCell(request: JupyterMessage): Promise<void> {
    const { transport, runner, outputs, history } = this.deps;
    const content = request.content;
    const code = typeof content.code === 'string' ? content.code : '';
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    const stopOnError = content.stop_on_error !== false;
    if (storeHistory) this.executionCount += 1;
    const count = this.executionCount;
    if (!silent) transport.publish(request, 'execute_input', { code, execution_count: count });

    const controller = new AbortController();
    const scope: OutputScope = { parent: request, signal: controller.signal };
    this.running = { request, controller };
    outputs.setLastCell(scope);
    const entry = storeHistory ? history.record(count, code) : undefined;
    const payload: Record<string, unknown>[] = [];

    const helpTarget = parseHelpRequest(code);
    let outcome: CellOutcome;
    if (helpTarget !== undefined) {
      outcome = this.page(helpTarget, payload);
    } else {
      outcome = await outputs.run(scope, () => runner.run(code, { label: `Cell In[${count}]`, signal: controller.signal }));
    }
    this.running = undefined;

    let error: ErrorContent | undefined = outcome.status === 'error' ? outcome.error : undefined;
    if (outcome.status === 'ok' && outcome.hasValue && !silent) {
      try {
        const data = mimeBundleOf(outcome.value);
        transport.publish(request, 'execute_result', { execution_count: count, data, metadata: {} });
        if (entry) entry.output = String(data['text/plain']);
      } catch (displayError) {
        error = runtimeError(displayError, runner.cells);
      }
    }
    if (error) {
      if (!silent) transport.publish(request, 'error', error);
      if (stopOnError) await this.markWaitingForAbort();
      await transport.iopubDrained();
      transport.reply(request, 'shell', 'execute_reply', { status: 'error', execution_count: count, ...error });
      return;
    }
    const userExpressions = await outputs.run(scope, () => this.evaluateUserExpressions(content.user_expressions));
    await transport.iopubDrained();
    transport.reply(request, 'shell', 'execute_reply', {
      status: 'ok',
      execution_count: count,
      payload,
      user_expressions: userExpressions,
    });
  }

  /** `expr?`: TypeScript's quick info for `expr`, sent as a pager payload. */
  private page(target: string, payload: Record<string, unknown>[]): CellOutcome {
    const reply = inspectionReply(target, target.length, (code, at) => this.deps.runner.inspect(code, at), this.deps.renderQuickInfo);
    if (reply.found) {
      payload.push({ source: 'page', data: reply.data, start: 0 });
    } else {
      process.stdout.write(`Nothing known about ${target}\n`);
    }
    return { status: 'ok', hasValue: false, value: undefined };
  }

  private async evaluateUserExpressions(expressions: unknown): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {};
    if (!expressions || typeof expressions !== 'object') return results;
    for (const [name, expression] of Object.entries(expressions as Record<string, unknown>)) {
      const outcome = await this.deps.runner.run(String(expression), {
        label: `user_expressions[${name}]`,
        keepDeclarations: false,
      });
      results[name] =
        outcome.status === 'ok'
          ? { status: 'ok', data: mimeBundleOf(outcome.value), metadata: {} }
          : { status: 'error', ...outcome.error };
    }
    return results;
  }

  /**
   * Marks every execute request that had arrived when the cell failed. Two
   * event-loop turns first let ZeroMQ deliver requests that arrived while the
   * cell ran (a frontend's "run all" sends them all at once).
   */
  private async markWaitingForAbort(): Promise<void> {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    for (const request of this.waiting) this.toAbort.add(request.header.msg_id);
  }
}

function kernelError(error: unknown): ErrorContent {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ename: 'KernelError',
    evalue: `the kernel failed while running this request: ${message}`,
    traceback: [`KernelError: the kernel failed while running this request: ${message}`],
  };
}
