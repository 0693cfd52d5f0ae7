/**
 * The kernel: receives shell and control messages and answers them.
 *
 * Concurrency: `execute_request`s run one at a time (see `execute-queue`);
 * every other message is handled as soon as it arrives, also while a cell is
 * awaiting. Comm messages run in their own ordered queue, so a widget can
 * steer code that is running (a training loop that awaits between steps).
 * Code that never yields the event loop blocks everything but the heartbeat.
 */
import type { CellRunner } from './cell-runner';
import { CommManager } from './comm-manager';
import type { ConnectionInfo } from './connection-file';
import { runtimeError } from './error-report';
import { ExecuteQueue } from './execute-queue';
import { CellHistory, type HistoryQuery } from './history';
import { checkCompleteness } from './is-complete';
import { completionReply, inspectionReply, parseHelpRequest } from './introspection';
import { kernelInfoContent } from './kernel-info';
import type { KernelLog } from './kernel-log';
import type { KernelTransport, ReplyChannel } from './kernel-transport';
import { OutputContext } from './output-context';
import type { TslabTypeScript } from './tslab-modules';
import { decodeMessage, type JupyterMessage, type Signer } from './wire-message';

/** What the kernel is built from. */
export interface KernelParts {
  transport: KernelTransport;
  runner: CellRunner;
  sign: Signer;
  log: KernelLog;
  typescript: TslabTypeScript;
  renderQuickInfo: (info: unknown) => string;
  kernelVersion: string;
  connection: ConnectionInfo;
  /** Called after the shutdown reply went out. */
  shutdown: (restart: boolean) => Promise<void>;
}

type Handler = (request: JupyterMessage, channel: ReplyChannel) => unknown | Promise<unknown>;

/**
 * The protocol handler.
 *
 * @example
 * const kernel = new GaloreKernel(parts);
 * receiveEach(sockets.shell, (frames) => kernel.receive('shell', frames), log);
 */
export class GaloreKernel {
  readonly outputs = new OutputContext();
  readonly comms: CommManager;
  private readonly history = new CellHistory();
  private readonly executes: ExecuteQueue;
  private commQueue: Promise<void> = Promise.resolve();
  private shutdownRequest: { restart: boolean } | undefined;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly parts: KernelParts) {
    this.comms = new CommManager(
      (msgType, content, options) => parts.transport.publish(this.outputs.current()?.parent, msgType, content, options),
      (error, where) => this.reportUserError(where, error),
      (message) => parts.log.info(message),
    );
    this.executes = new ExecuteQueue({
      transport: parts.transport,
      runner: parts.runner,
      outputs: this.outputs,
      history: this.history,
      renderQuickInfo: parts.renderQuickInfo,
      reportInternalError: (where, error, parent) => this.reportInternalError(where, error, parent),
    });
    this.handlers = this.createHandlers();
  }

  /** Decodes and dispatches frames received on shell or control. */
  receive(channel: 'shell' | 'control', frames: Buffer[]): void {
    const decoded = decodeMessage(frames, this.parts.sign);
    if (!decoded.ok) {
      this.parts.log.error(`dropped a ${channel} message: ${decoded.reason}`);
      return;
    }
    const request = decoded.message;
    if (request.header.msg_type === 'execute_request') {
      this.executes.enqueue(request);
      return;
    }
    void this.handle(channel, request);
  }

  /** Interrupts the running cell (SIGINT and `interrupt_request`). */
  interrupt(): void {
    this.executes.interrupt();
  }

  /** Reports an error thrown by user code outside any cell's own flow (timers, handlers). */
  reportUserError(where: string, error: unknown): void {
    this.parts.log.error(`error in user code (${where})`, error);
    const parent = this.outputs.current()?.parent;
    if (parent) this.parts.transport.publish(parent, 'error', runtimeError(error, this.parts.runner.cells));
  }

  /** Reports a bug in the kernel itself: logged, and shown to the user when there is a request to show it under. */
  reportInternalError(where: string, error: unknown, parent?: JupyterMessage): void {
    this.parts.log.error(`internal error in ${where}`, error);
    const target = parent ?? this.outputs.current()?.parent;
    if (!target) return;
    const message = error instanceof Error ? error.message : String(error);
    this.parts.transport.publish(target, 'stream', {
      name: 'stderr',
      text: `[galore-lab kernel] internal error in ${where}: ${message} (the kernel keeps running; details are in its log)\n`,
    });
  }

  private async handle(channel: ReplyChannel, request: JupyterMessage): Promise<void> {
    const { transport } = this.parts;
    const msgType = request.header.msg_type;
    transport.status(request, 'busy');
    try {
      const handler = this.handlers[msgType];
      if (handler) {
        await handler(request, channel);
      } else if (msgType.endsWith('_request')) {
        transport.reply(request, channel, msgType.replace(/_request$/, '_reply'), {
          status: 'error',
          ename: 'UnsupportedRequest',
          evalue: `this kernel does not handle ${msgType}`,
          traceback: [],
        });
      } else {
        this.parts.log.info(`ignored a ${msgType} message on ${channel}`);
      }
    } catch (error) {
      this.reportInternalError(msgType, error, request);
      if (msgType.endsWith('_request')) {
        const message = error instanceof Error ? error.message : String(error);
        transport.reply(request, channel, msgType.replace(/_request$/, '_reply'), {
          status: 'error',
          ename: 'KernelError',
          evalue: message,
          traceback: [`KernelError: ${message}`],
        });
      }
    } finally {
      transport.status(request, 'idle');
      // A cell is still running: tell frontends the kernel is busy again.
      const running = this.executes.runningRequest;
      if (running && !this.shutdownRequest) transport.status(running, 'busy');
    }
    if (this.shutdownRequest) await this.parts.shutdown(this.shutdownRequest.restart);
  }

  private createHandlers(): Record<string, Handler> {
    const { transport, runner, typescript } = this.parts;
    const reply = (request: JupyterMessage, channel: ReplyChannel, content: unknown) =>
      transport.reply(request, channel, request.header.msg_type.replace(/_request$/, '_reply'), content);
    const code = (request: JupyterMessage) => (typeof request.content.code === 'string' ? request.content.code : '');
    const cursor = (request: JupyterMessage) =>
      typeof request.content.cursor_pos === 'number' ? request.content.cursor_pos : [...code(request)].length;
    return {
      kernel_info_request: (request, channel) =>
        reply(request, channel, kernelInfoContent({ kernelVersion: this.parts.kernelVersion, typescriptVersion: typescript.version })),
      connect_request: (request, channel) => {
        const { shell_port, iopub_port, stdin_port, control_port, hb_port } = this.parts.connection;
        reply(request, channel, { status: 'ok', shell_port, iopub_port, stdin_port, control_port, hb_port });
      },
      is_complete_request: (request, channel) =>
        reply(request, channel, parseHelpRequest(code(request)) ? { status: 'complete' } : checkCompleteness(typescript, code(request))),
      complete_request: (request, channel) =>
        reply(request, channel, completionReply(code(request), cursor(request), (c, at) => runner.complete(c, at))),
      inspect_request: (request, channel) =>
        reply(request, channel, inspectionReply(code(request), cursor(request), (c, at) => runner.inspect(c, at), this.parts.renderQuickInfo)),
      history_request: (request, channel) =>
        reply(request, channel, { status: 'ok', history: this.history.query(request.content as HistoryQuery) }),
      comm_info_request: (request, channel) => {
        const target = typeof request.content.target_name === 'string' ? request.content.target_name : undefined;
        reply(request, channel, { status: 'ok', comms: this.comms.info(target) });
      },
      comm_open: (request) => this.inOrder(request, () => this.comms.handleOpen(request.content, request.metadata, request.buffers)),
      comm_msg: (request) => this.inOrder(request, () => this.comms.handleMessage(request.content, request.metadata, request.buffers)),
      comm_close: (request) => this.inOrder(request, () => this.comms.handleClose(request.content, request.metadata, request.buffers)),
      interrupt_request: (request, channel) => {
        this.interrupt();
        reply(request, channel, { status: 'ok' });
      },
      shutdown_request: (request, channel) => {
        const restart = request.content.restart === true;
        this.shutdownRequest = { restart };
        reply(request, channel, { status: 'ok', restart });
      },
    };
  }

  /** Runs comm work in arrival order, with the comm message as the parent of its outputs. */
  private inOrder(request: JupyterMessage, work: () => Promise<void>): Promise<void> {
    const next = this.commQueue.then(() => this.outputs.run({ parent: request }, work));
    this.commQueue = next.catch((error: unknown) => this.reportInternalError(request.header.msg_type, error, request));
    return this.commQueue;
  }
}
