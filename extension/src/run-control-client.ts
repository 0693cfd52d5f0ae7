/**
 * Talks to a kernel's run controls: opens a comm to the target the run names
 * (`galore-lab.telemetry.control`), sends one request at a time and waits for
 * the kernel's reply on the same comm.
 */
import type { Kernel } from '@jupyterlab/services';
import type { TelemetryControlReply, TelemetryControlRequest } from './telemetry';

/** Checks the shape of a reply (it comes from the kernel, so it is data, not trusted code). */
export function parseControlReply(data: unknown): TelemetryControlReply {
  const o = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  if (o.ok === true && typeof o.runId === 'string' && typeof o.command === 'string' && typeof o.status === 'string' && typeof o.updateIntervalMs === 'number') {
    return o as unknown as TelemetryControlReply;
  }
  return {
    ok: false,
    runId: typeof o.runId === 'string' ? o.runId : null,
    command: typeof o.command === 'string' ? o.command : null,
    reason: typeof o.reason === 'string' ? o.reason : 'the kernel sent a reply this extension does not understand'
  };
}

/** One comm per kernel and target; requests are answered in order. */
export class RunControlClient {
  private comm: Kernel.IComm | null = null;
  private waiting: { resolve: (reply: TelemetryControlReply) => void; timer: number }[] = [];

  constructor(private readonly kernel: Kernel.IKernelConnection, private readonly target: string, private readonly timeoutMs = 10_000) {}

  /** Sends a request; resolves with the kernel's reply (or a failure after the timeout). */
  request(request: TelemetryControlRequest): Promise<TelemetryControlReply> {
    if (this.kernel.isDisposed) return Promise.resolve(this.failure(request, 'the kernel connection is closed'));
    if (!this.comm || this.comm.isDisposed) this.openComm(request.runId);
    return new Promise((resolve) => {
      const timer = window.setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w.timer !== timer);
        resolve(this.failure(request, `no answer from the kernel within ${this.timeoutMs / 1000} s (is it busy in a step that does not yield?)`));
      }, this.timeoutMs);
      this.waiting.push({ resolve, timer });
      this.comm!.send(request as unknown as Record<string, never>);
    });
  }

  dispose(): void {
    for (const w of this.waiting) window.clearTimeout(w.timer);
    this.waiting = [];
    if (this.comm && !this.comm.isDisposed && !this.kernel.isDisposed) {
      try {
        this.comm.close();
      } catch {
        // the kernel may be gone already
      }
    }
    this.comm = null;
  }

  private openComm(runId: string): void {
    const comm = this.kernel.createComm(this.target);
    comm.onMsg = (message) => {
      const next = this.waiting.shift();
      if (!next) return;
      window.clearTimeout(next.timer);
      next.resolve(parseControlReply(message.content.data));
    };
    comm.onClose = () => {
      this.comm = null;
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) {
        window.clearTimeout(w.timer);
        w.resolve({ ok: false, runId, command: null, reason: 'the kernel closed the control comm (no run controls in this kernel)' });
      }
    };
    comm.open({ runId });
    this.comm = comm;
  }

  private failure(request: TelemetryControlRequest, reason: string): TelemetryControlReply {
    return { ok: false, runId: request.runId, command: request.command, reason };
  }
}
