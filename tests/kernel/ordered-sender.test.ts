import { describe, expect, it } from 'vitest';
import { OrderedSender, type FrameSink } from '../../kernel-lib/src/kernel/ordered-sender';
import { createHeader, type JupyterMessage } from '../../kernel-lib/src/kernel/wire-message';

/** Behaves like a zeromq 6 socket: one send in flight, a second one throws EBUSY. */
class OneAtATimeSink implements FrameSink {
  received: string[] = [];
  private busy = false;
  async send(frames: Buffer[]): Promise<void> {
    if (this.busy) throw Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' });
    this.busy = true;
    await new Promise((resolve) => setImmediate(resolve));
    this.received.push(frames[0].toString());
    this.busy = false;
  }
}

function msg(type: string, parent: string, content: Record<string, unknown>): JupyterMessage<unknown> {
  return { identities: [], header: createHeader(type, 's', 'u'), parent_header: { msg_id: parent }, metadata: {}, content, buffers: [] };
}
const encode = (m: JupyterMessage<unknown>) => [Buffer.from(JSON.stringify({ type: m.header.msg_type, ...(m.content as object) }))];

describe('OrderedSender', () => {
  it('delivers 5,000 messages queued at once, in order, through a one-at-a-time socket', async () => {
    const sink = new OneAtATimeSink();
    const errors: unknown[] = [];
    const sender = new OrderedSender(sink, encode, (e) => errors.push(e));
    for (let i = 0; i < 5000; i++) sender.enqueue(msg('display_data', 'p', { i }));
    await sender.drained();
    expect(errors).toEqual([]);
    expect(sink.received.map((r) => JSON.parse(r).i)).toEqual([...Array(5000).keys()]);
    expect(sender.sent).toBe(5000);
  });

  it('merges waiting stream text of the same cell and stream only', async () => {
    const sink = new OneAtATimeSink();
    const sender = new OrderedSender(sink, encode, () => undefined);
    sender.enqueue(msg('status', 'a', { state: 'busy' })); // goes out first, the rest wait behind it
    sender.enqueue(msg('stream', 'a', { name: 'stdout', text: 'x1\n' }));
    sender.enqueue(msg('stream', 'a', { name: 'stdout', text: 'x2\n' }));
    sender.enqueue(msg('stream', 'a', { name: 'stderr', text: 'e1\n' }));
    sender.enqueue(msg('stream', 'b', { name: 'stderr', text: 'e2\n' }));
    sender.enqueue(msg('stream', 'b', { name: 'stderr', text: 'e3\n' }));
    await sender.drained();
    expect(sink.received.map((r) => JSON.parse(r))).toEqual([
      { type: 'status', state: 'busy' },
      { type: 'stream', name: 'stdout', text: 'x1\nx2\n' },
      { type: 'stream', name: 'stderr', text: 'e1\n' },
      { type: 'stream', name: 'stderr', text: 'e2\ne3\n' },
    ]);
  });

  it('reports a failed send and keeps sending the rest', async () => {
    let calls = 0;
    const sink: FrameSink = { send: async () => { calls += 1; if (calls === 2) throw new Error('gone'); } };
    const failures: string[] = [];
    const sender = new OrderedSender(sink, encode, (e, m) => failures.push(`${m.header.msg_type}: ${(e as Error).message}`));
    for (const type of ['a', 'b', 'c']) sender.enqueue(msg(type, 'p', {}));
    await sender.drained();
    expect(failures).toEqual(['b: gone']);
    expect(sender.sent).toBe(2);
  });

  it('drops messages after stop()', async () => {
    const sink = new OneAtATimeSink();
    const sender = new OrderedSender(sink, encode, () => undefined);
    sender.enqueue(msg('a', 'p', {}));
    await sender.drained();
    sender.stop();
    sender.enqueue(msg('b', 'p', {}));
    await sender.drained();
    expect(sink.received.map((r) => JSON.parse(r).type)).toEqual(['a']);
  });
});
