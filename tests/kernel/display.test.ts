/**
 * The library-side display helper in its three environments: our kernel
 * (a hook on globalThis), a stock tslab kernel (globalThis.__tslab__) and
 * plain Node.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  KERNEL_HOOK_KEY,
  clearOutput,
  currentCellSignal,
  display,
  displayEnvironment,
  displayMimeBundle,
  mimeBundleOf,
  normalizeMimeBundle,
  openComm,
  plainTextOf,
  stripAsyncHookFields,
  registerCommTarget,
  richMimeBundle,
  type GaloreKernelHook,
} from '../../kernel-lib/src/display';

const rich = {
  [Symbol.for('Jupyter.display')]: () =>
    richMimeBundle({ mimeType: 'application/vnd.galore-lab.table+json', data: { rows: 2 }, text: 'two rows', html: '<b>two rows</b>' }),
};

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[KERNEL_HOOK_KEY];
  delete (globalThis as { __tslab__?: unknown }).__tslab__;
  vi.restoreAllMocks();
});

function installFakeKernel() {
  const calls: unknown[][] = [];
  const controller = new AbortController();
  const hook: GaloreKernelHook = {
    protocol: 1,
    implementation: 'fake',
    display: (bundle, request) => calls.push(['display', bundle, request]),
    clearOutput: (wait) => calls.push(['clear', wait]),
    registerCommTarget: (name) => {
      calls.push(['target', name]);
      return () => calls.push(['unregister', name]);
    },
    openComm: (target, data) => {
      calls.push(['open', target, data]);
      return { commId: 'c1', targetName: target, closed: false, send: () => {}, close: () => {}, onMessage: () => {}, onClose: () => {} };
    },
    cellSignal: () => controller.signal,
  };
  (globalThis as Record<symbol, unknown>)[KERNEL_HOOK_KEY] = hook;
  return { calls, controller };
}

function installFakeTslab() {
  const sent: [string, string, string][] = [];
  let next = 0;
  const makeDisplay = (name: string) => ({ raw: (mime: string, data: string | Uint8Array) => sent.push([name, mime, String(data)]) });
  const tslab = { display: makeDisplay('shared'), newDisplay: () => makeDisplay(`display-${++next}`) };
  (globalThis as { __tslab__?: unknown }).__tslab__ = { require: (id: string) => (id === 'tslab' ? tslab : undefined) };
  return sent;
}

describe('MIME bundles', () => {
  it('uses a Symbol.for("Jupyter.display") bundle and adds a text/plain fallback', () => {
    expect(mimeBundleOf({ [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<i>x</i>' }) })).toEqual({
      'text/html': '<i>x</i>',
      'text/plain': '<text/html>',
    });
    expect(mimeBundleOf(42)).toEqual({ 'text/plain': '42' });
    expect(mimeBundleOf({ [Symbol.for('Jupyter.display')]: () => Promise.resolve({}) })['text/plain']).toMatch(/Jupyter\.display/);
  });

  it('gives rich objects their own type plus text and escaped-HTML fallbacks', () => {
    expect(richMimeBundle({ mimeType: 'application/x+json', data: { a: 1 }, text: 'a < b' })).toEqual({
      'application/x+json': { a: 1 },
      'text/html': '<pre>a &lt; b</pre>',
      'text/plain': 'a < b',
    });
  });

  it('drops the async-hook fields Node 20 adds to promises under AsyncLocalStorage', async () => {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const text = await new AsyncLocalStorage<{ parent: string }>().run({ parent: 'secret parent' }, async () => {
      const settled = Promise.resolve(3);
      await settled;
      expect(inspect({ settled })).toMatch(/async_id_symbol/); // what we clean up is really there
      return plainTextOf({ settled });
    });
    expect(text).not.toMatch(/async_id|kResourceStore|secret parent/);
    expect(text.replace(/\s+/g, ' ')).toBe('{ settled: Promise { 3 } }');
    expect(stripAsyncHookFields('Promise {\n  <pending>,\n  [Symbol(kResourceStore)]: { a: { b: [1, 2] } }\n}')).toBe('Promise {\n  <pending>\n}');
  });

  it('normalizes binary to base64 and JSON strings to objects', () => {
    expect(normalizeMimeBundle({ 'image/png': new Uint8Array([1, 2, 3]), 'application/json': '{"k":1}', 'text/plain': 'p' })).toEqual({
      'image/png': 'AQID',
      'application/json': { k: 1 },
      'text/plain': 'p',
    });
  });
});

describe('in the GaLore Lab kernel', () => {
  it('sends the whole bundle in one message, with metadata and display-id updates', () => {
    const { calls } = installFakeKernel();
    expect(displayEnvironment()).toBe('galore-lab-kernel');
    expect(display(rich)).toBeUndefined();
    const handle = display(rich, { displayId: 'progress', metadata: { isolated: true } });
    handle.update(42);
    expect(calls).toEqual([
      ['display', rich[Symbol.for('Jupyter.display')](), { metadata: undefined, displayId: undefined, update: false }],
      ['display', rich[Symbol.for('Jupyter.display')](), { metadata: { isolated: true }, displayId: 'progress', update: false }],
      ['display', { 'text/plain': '42' }, { metadata: undefined, displayId: 'progress', update: true }],
    ]);
  });

  it('clears output, registers comm targets, opens comms and exposes the cell signal', () => {
    const { calls, controller } = installFakeKernel();
    expect(clearOutput({ wait: true })).toEqual({ ok: true });
    const target = registerCommTarget('galore-lab.training', () => {});
    expect(target.ok).toBe(true);
    if (target.ok) target.unregister();
    const opened = openComm('galore-lab.dashboard', { run: 1 });
    expect(opened.ok && opened.comm.commId).toBe('c1');
    expect(calls).toEqual([['clear', true], ['target', 'galore-lab.training'], ['unregister', 'galore-lab.training'], ['open', 'galore-lab.dashboard', { run: 1 }]]);
    controller.abort();
    expect(currentCellSignal()?.aborted).toBe(true);
  });
});

describe('in a stock tslab kernel', () => {
  it('sends one MIME type per message, preferring HTML, and updates through newDisplay()', () => {
    const sent = installFakeTslab();
    expect(displayEnvironment()).toBe('tslab');
    display(rich);
    const handle = displayMimeBundle({ 'image/png': new Uint8Array([255]), 'text/plain': 'img' }, { displayId: true });
    handle.updateMimeBundle({ 'application/json': { a: 1 }, 'text/plain': 'json as text' });
    expect(sent).toEqual([
      ['shared', 'text/html', '<b>two rows</b>'],
      ['display-1', 'image/png', '/w=='],
      ['display-1', 'text/plain', 'json as text'],
    ]);
  });

  it('explains that comms and clear_output are unavailable', () => {
    installFakeTslab();
    const target = registerCommTarget('x', () => {});
    expect(target.ok).toBe(false);
    if (target.ok === false) expect(target.reason).toMatch(/stock tslab kernel, which has no comms/);
    expect(clearOutput()).toMatchObject({ ok: false, reason: expect.stringMatching(/stock tslab has no clear_output/) });
    expect(currentCellSignal()).toBeUndefined();
  });
});

describe('outside any kernel', () => {
  it('prints the text/plain fallback', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(displayEnvironment()).toBe('plain-text');
    display(rich);
    expect(write).toHaveBeenCalledWith('two rows\n');
    expect(openComm('x')).toMatchObject({ ok: false, reason: expect.stringMatching(/not running in the GaLore Lab kernel/) });
    expect(clearOutput().ok).toBe(false);
  });
});
