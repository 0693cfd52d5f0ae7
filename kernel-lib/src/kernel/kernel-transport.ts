/**
 * Sending side of the kernel: signs messages, keeps one ordered send queue
 * per socket, and names the kernel's own session in every header.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { KernelLog } from './kernel-log';
import type { KernelSockets } from './kernel-sockets';
import { OrderedSender, type FrameSink } from './ordered-sender';
import { createHeader, encodeMessage, type JupyterMessage, type Signer } from './wire-message';

/** Channels that carry replies. */
export type ReplyChannel = 'shell' | 'control' | 'stdin';

/** Extra parts of an outgoing message. */
export interface SendExtras {
  metadata?: Record<string, unknown>;
  buffers?: Uint8Array[];
}

/**
 * Builds and queues outgoing messages.
 *
 * @example
 * transport.reply(request, 'shell', 'kernel_info_reply', content);
 * transport.publish(request, 'stream', { name: 'stdout', text: 'hi\n' });
 */
export class KernelTransport {
  /** This kernel's session id (the `session` of every header it sends). */
  readonly session = randomUUID();
  private readonly username = safeUsername();
  private readonly senders: Record<ReplyChannel | 'iopub', OrderedSender>;
  private readonly topicPrefix = `kernel.${this.session}.`;

  constructor(sockets: Pick<KernelSockets, ReplyChannel | 'iopub'>, sign: Signer, log: KernelLog) {
    const make = (name: string, sink: FrameSink) =>
      new OrderedSender(
        sink,
        (message) => encodeMessage(message, sign),
        (error, message) => log.error(`sending ${message.header.msg_type} on ${name} failed`, error),
      );
    this.senders = {
      shell: make('shell', sockets.shell),
      control: make('control', sockets.control),
      stdin: make('stdin', sockets.stdin),
      iopub: make('iopub', sockets.iopub),
    };
  }

  /** Sends a reply to `request` on the channel it came from. */
  reply(request: JupyterMessage, channel: ReplyChannel, msgType: string, content: unknown, extras: SendExtras = {}): void {
    this.senders[channel].enqueue(this.build(request.identities, request, msgType, content, extras));
  }

  /** Publishes on IOPub with `parent` as parent header (or none). */
  publish(parent: JupyterMessage | undefined, msgType: string, content: unknown, extras: SendExtras = {}): void {
    const topic = [Buffer.from(this.topicPrefix + msgType)];
    this.senders.iopub.enqueue(this.build(topic, parent, msgType, content, extras));
  }

  /** Publishes a `status` message. */
  status(parent: JupyterMessage | undefined, state: 'busy' | 'idle' | 'starting'): void {
    this.publish(parent, 'status', { execution_state: state });
  }

  /** Resolves when everything queued on IOPub so far was handed to ZeroMQ. */
  iopubDrained(): Promise<void> {
    return this.senders.iopub.drained();
  }

  /** Sends what is queued, then drops anything queued later (before closing the sockets). */
  async finish(): Promise<void> {
    await Promise.all(Object.values(this.senders).map((sender) => sender.drained()));
    for (const sender of Object.values(this.senders)) sender.stop();
  }

  /** Messages handed to ZeroMQ on IOPub so far. */
  get iopubSent(): number {
    return this.senders.iopub.sent;
  }

  private build(
    identities: Buffer[],
    parent: JupyterMessage | undefined,
    msgType: string,
    content: unknown,
    extras: SendExtras,
  ): JupyterMessage<unknown> {
    return {
      identities,
      header: createHeader(msgType, this.session, this.username),
      parent_header: parent ? parent.header : {},
      metadata: extras.metadata ?? {},
      content,
      buffers: (extras.buffers ?? []).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    };
  }
}

function safeUsername(): string {
  try {
    return userInfo().username || 'kernel';
  } catch {
    return 'kernel';
  }
}
