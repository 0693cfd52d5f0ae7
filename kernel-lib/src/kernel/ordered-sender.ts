/**
 * Sends every message, in order, on one ZeroMQ socket.
 *
 * zeromq 6 allows one `send` in flight per socket: a second one while the
 * first is pending rejects with `EBUSY` (tslab's losses come from there). This
 * queue awaits each send before the next. Adjacent `stream` messages of the
 * same cell and stream name that are still waiting are merged, as ipykernel's
 * buffered stdout does, so a flood of prints costs few messages.
 */
import type { JupyterMessage } from './wire-message';

/** Something frames can be sent on (a zeromq socket). */
export interface FrameSink {
  send(frames: Buffer[]): Promise<void>;
}

/** Largest stream text built by merging (larger prints still go out whole). */
const MERGE_LIMIT = 256 * 1024;

/**
 * An ordered, awaited send queue for one socket.
 *
 * @example
 * const iopub = new OrderedSender(publisher, (m) => encodeMessage(m, sign), log);
 * iopub.enqueue(statusMessage);
 * await iopub.drained();
 */
export class OrderedSender {
  private queue: JupyterMessage<unknown>[] = [];
  private head = 0;
  private pumping = false;
  private waiters: (() => void)[] = [];
  private sentCount = 0;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly encode: (message: JupyterMessage<unknown>) => Buffer[],
    private readonly onError: (error: unknown, message: JupyterMessage<unknown>) => void,
  ) {}

  /** Messages handed to ZeroMQ so far. */
  get sent(): number {
    return this.sentCount;
  }

  /** Messages waiting to be sent. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Queues a message; it is sent after every message queued before it. */
  enqueue(message: JupyterMessage<unknown>): void {
    if (this.stopped) return;
    if (!this.mergeIntoLast(message)) this.queue.push(message);
    if (!this.pumping) void this.pump();
  }

  /** Drops messages queued from now on (the socket is about to close). */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once every message queued so far has been handed to ZeroMQ. */
  drained(): Promise<void> {
    if (!this.pumping && this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private mergeIntoLast(message: JupyterMessage<unknown>): boolean {
    if (this.pending === 0 || message.header.msg_type !== 'stream') return false;
    const last = this.queue[this.queue.length - 1];
    if (last.header.msg_type !== 'stream' || last.parent_header.msg_id !== message.parent_header.msg_id) return false;
    const lastContent = last.content as { name: string; text: string };
    const content = message.content as { name: string; text: string };
    if (lastContent.name !== content.name || lastContent.text.length + content.text.length > MERGE_LIMIT) return false;
    lastContent.text += content.text;
    return true;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        const message = this.queue[this.head];
        this.head += 1;
        this.compact();
        try {
          await this.sink.send(this.encode(message));
          this.sentCount += 1;
        } catch (error) {
          this.onError(error, message);
        }
      }
    } finally {
      this.pumping = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
