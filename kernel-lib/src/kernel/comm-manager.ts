/**
 * Comms: targets registered by code, comms opened from either side, and the
 * `comm_open` / `comm_msg` / `comm_close` / `comm_info_request` handling.
 */
import { randomUUID } from 'node:crypto';
import type {
  CommMessage,
  CommSendOptions,
  CommTargetHandler,
  KernelComm,
} from '../display/kernel-hook';

/** How the manager sends comm messages to the frontend (on IOPub). */
export type CommPublisher = (
  msgType: 'comm_open' | 'comm_msg' | 'comm_close',
  content: Record<string, unknown>,
  options: CommSendOptions,
) => void;

/** Where the manager reports errors thrown by comm handlers (user code). */
export type CommErrorReporter = (error: unknown, where: string) => void;

/** Where the manager notes protocol events worth a log line. */
export type CommNote = (message: string) => void;

/**
 * Keeps comm targets and open comms.
 *
 * @example
 * const comms = new CommManager(publish, report, log.info);
 * comms.registerTarget('echo', (comm) => comm.onMessage((m) => comm.send(m.data)));
 */
export class CommManager {
  private readonly targets = new Map<string, CommTargetHandler>();
  private readonly comms = new Map<string, CommImpl>();

  constructor(
    private readonly publish: CommPublisher,
    private readonly report: CommErrorReporter,
    private readonly note: CommNote = () => undefined,
  ) {}

  /** Registers (or replaces) a target; returns a function that unregisters it. */
  registerTarget(targetName: string, handler: CommTargetHandler): () => void {
    this.targets.set(targetName, handler);
    return () => {
      if (this.targets.get(targetName) === handler) this.targets.delete(targetName);
    };
  }

  /** Opens a comm from the kernel (sends `comm_open`). */
  open(targetName: string, data: unknown = {}, options: CommSendOptions = {}): KernelComm {
    const comm = new CommImpl(randomUUID(), targetName, this);
    this.comms.set(comm.commId, comm);
    this.publish('comm_open', { comm_id: comm.commId, target_name: targetName, data: data ?? {} }, options);
    return comm;
  }

  /** `comm_info_request`: open comms, optionally only those of one target. */
  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const comm of this.comms.values()) {
      if (!targetName || comm.targetName === targetName) out[comm.commId] = { target_name: comm.targetName };
    }
    return out;
  }

  /** A frontend's `comm_open`: runs the target's handler, or closes the comm back when there is none. */
  async handleOpen(content: Record<string, unknown>, metadata: Record<string, unknown>, buffers: Uint8Array[]): Promise<void> {
    const commId = String(content.comm_id ?? '');
    const targetName = String(content.target_name ?? '');
    const handler = this.targets.get(targetName);
    if (!commId) return this.note('ignored a comm_open without comm_id');
    if (!handler) {
      // As the protocol asks: close it right away, so both sides agree it does not exist.
      this.publish('comm_close', { comm_id: commId, data: {} }, {});
      return this.note(`no comm target named ${JSON.stringify(targetName)} is registered; closed comm ${commId}`);
    }
    const comm = new CommImpl(commId, targetName, this);
    this.comms.set(commId, comm);
    await this.guard(() => handler(comm, messageOf(content, metadata, buffers)), `comm target ${targetName}`);
  }

  /** A frontend's `comm_msg`. Unknown comms are closed back, so the frontend learns they are gone. */
  async handleMessage(content: Record<string, unknown>, metadata: Record<string, unknown>, buffers: Uint8Array[]): Promise<void> {
    const comm = this.comms.get(String(content.comm_id ?? ''));
    if (!comm) {
      this.publish('comm_close', { comm_id: String(content.comm_id ?? ''), data: {} }, {});
      return;
    }
    await comm.receive(messageOf(content, metadata, buffers));
  }

  /** A frontend's `comm_close`. */
  async handleClose(content: Record<string, unknown>, metadata: Record<string, unknown>, buffers: Uint8Array[]): Promise<void> {
    const comm = this.comms.get(String(content.comm_id ?? ''));
    if (!comm) return;
    this.comms.delete(comm.commId);
    await comm.closedByFrontend(messageOf(content, metadata, buffers));
  }

  /** @internal used by comms */
  send(msgType: 'comm_msg' | 'comm_close', content: Record<string, unknown>, options: CommSendOptions): void {
    this.publish(msgType, content, options);
  }

  /** @internal used by comms */
  forget(commId: string): void {
    this.comms.delete(commId);
  }

  /** @internal runs a handler, reporting what it throws */
  async guard(fn: () => unknown, where: string): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.report(error, where);
    }
  }
}

class CommImpl implements KernelComm {
  private messageHandlers: ((message: CommMessage) => void | Promise<void>)[] = [];
  private closeHandlers: ((message: CommMessage) => void | Promise<void>)[] = [];
  private isClosed = false;

  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(data: unknown, options: CommSendOptions = {}): void {
    if (this.isClosed) return;
    this.manager.send('comm_msg', { comm_id: this.commId, data: data ?? {} }, options);
  }

  close(data: unknown = {}, options: CommSendOptions = {}): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.manager.forget(this.commId);
    this.manager.send('comm_close', { comm_id: this.commId, data: data ?? {} }, options);
  }

  onMessage(handler: (message: CommMessage) => void | Promise<void>): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (message: CommMessage) => void | Promise<void>): void {
    this.closeHandlers.push(handler);
  }

  async receive(message: CommMessage): Promise<void> {
    for (const handler of this.messageHandlers) {
      await this.manager.guard(() => handler(message), `comm ${this.targetName} message handler`);
    }
  }

  async closedByFrontend(message: CommMessage): Promise<void> {
    this.isClosed = true;
    for (const handler of this.closeHandlers) {
      await this.manager.guard(() => handler(message), `comm ${this.targetName} close handler`);
    }
  }
}

function messageOf(content: Record<string, unknown>, metadata: Record<string, unknown>, buffers: Uint8Array[]): CommMessage {
  return { data: content.data ?? {}, metadata, buffers };
}
