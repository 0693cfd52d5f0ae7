import { describe, expect, it } from 'vitest';
import { CommManager } from '../../kernel-lib/src/kernel/comm-manager';

function setup() {
  const published: [string, Record<string, unknown>][] = [];
  const errors: string[] = [];
  const notes: string[] = [];
  const comms = new CommManager(
    (type, content) => published.push([type, content]),
    (error, where) => errors.push(`${where}: ${(error as Error).message}`),
    (note) => notes.push(note),
  );
  return { comms, published, errors, notes };
}

describe('CommManager', () => {
  it('runs the target handler on comm_open and routes messages and close to the comm', async () => {
    const { comms, published } = setup();
    const seen: unknown[] = [];
    comms.registerTarget('echo', (comm, open) => {
      seen.push(['open', open.data]);
      comm.onMessage((m) => {
        seen.push(['msg', m.data, m.metadata, m.buffers.length]);
        comm.send({ echo: m.data });
      });
      comm.onClose((m) => seen.push(['close', m.data]));
    });
    await comms.handleOpen({ comm_id: 'c1', target_name: 'echo', data: { a: 1 } }, {}, []);
    expect(comms.info()).toEqual({ c1: { target_name: 'echo' } });
    await comms.handleMessage({ comm_id: 'c1', data: { b: 2 } }, { m: 1 }, [new Uint8Array(3)]);
    await comms.handleClose({ comm_id: 'c1', data: { bye: true } }, {}, []);
    expect(seen).toEqual([['open', { a: 1 }], ['msg', { b: 2 }, { m: 1 }, 1], ['close', { bye: true }]]);
    expect(published).toEqual([['comm_msg', { comm_id: 'c1', data: { echo: { b: 2 } } }]]);
    expect(comms.info()).toEqual({});
  });

  it('closes comms to unknown targets and comm_msg to unknown comms back', async () => {
    const { comms, published, notes } = setup();
    await comms.handleOpen({ comm_id: 'c9', target_name: 'missing', data: {} }, {}, []);
    await comms.handleMessage({ comm_id: 'gone', data: {} }, {}, []);
    expect(published).toEqual([
      ['comm_close', { comm_id: 'c9', data: {} }],
      ['comm_close', { comm_id: 'gone', data: {} }],
    ]);
    expect(notes[0]).toMatch(/no comm target named "missing"/);
  });

  it('opens comms from the kernel, filters comm_info by target, and reports handler errors', async () => {
    const { comms, published, errors } = setup();
    const comm = comms.open('frontend.widget', { hello: 1 });
    comms.open('other', {});
    expect(Object.values(comms.info('frontend.widget'))).toEqual([{ target_name: 'frontend.widget' }]);
    comm.onMessage(() => {
      throw new Error('boom');
    });
    await comms.handleMessage({ comm_id: comm.commId, data: {} }, {}, []);
    expect(errors).toEqual(['comm frontend.widget message handler: boom']);
    comm.close({ done: true });
    comm.send({ ignored: true });
    expect(published.map(([type]) => type)).toEqual(['comm_open', 'comm_open', 'comm_close']);
    expect(comm.closed).toBe(true);
  });

  it('unregistering a target stops new comms but only for that handler', async () => {
    const { comms, published } = setup();
    const unregister = comms.registerTarget('t', () => {});
    unregister();
    await comms.handleOpen({ comm_id: 'x', target_name: 't' }, {}, []);
    expect(published).toEqual([['comm_close', { comm_id: 'x', data: {} }]]);
  });
});
