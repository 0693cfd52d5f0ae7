import { describe, expect, it } from 'vitest';
import {
  TELEMETRY_VERSION,
  formatBytes,
  latestMemoryFigure,
  methodLabel,
  parseControlRequest,
  parseTelemetry,
  type TelemetryMessage,
} from '../../kernel-lib/src/telemetry/schema';
import { sampleMessage } from './fixtures';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('telemetry schema', () => {
  it('accepts what the recorder writes, after a JSON round trip', () => {
    const message = sampleMessage({ steps: 40, galore: true });
    const parsed = parseTelemetry(clone(message));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.message).toEqual(clone(message));
    expect(parsed.message.subspaces?.weights.length).toBe(14);
  });

  it('returns a copy holding only the known fields', () => {
    const raw = clone(sampleMessage({ steps: 3 })) as unknown as Record<string, unknown>;
    raw.extra = '<img src=x onerror=alert(1)>';
    (raw.run as Record<string, unknown>).injected = 1;
    const parsed = parseTelemetry(raw);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect('extra' in parsed.message).toBe(false);
    expect('injected' in parsed.message.run).toBe(false);
  });

  it.each<[string, (m: Record<string, any>) => void, RegExp]>([
    ['not an object', () => undefined, /^message: expected an object, got the string/],
    ['wrong schema name', (m) => (m.schema = 'other'), /message\.schema: expected "galore-lab.telemetry"/],
    ['missing version', (m) => delete m.version, /message\.version: expected a positive integer/],
    ['a loss that is a string', (m) => (m.steps[3].loss = 'x'), /message\.steps\[3\]\.loss: expected a finite number, got the string "x"/],
    ['a NaN loss', (m) => (m.steps[1].loss = Number.NaN), /message\.steps\[1\]\.loss: expected a finite number, got NaN/],
    ['negative bytes', (m) => (m.memory[0].tensorBytes = -1), /message\.memory\[0\]\.tensorBytes: expected a number >= 0/],
    ['an unknown status', (m) => (m.status = 'exploded'), /message\.status: expected one of running, paused/],
    ['an unknown method', (m) => (m.run.method = 'qlora'), /message\.run\.method: expected one of full, galore, lora/],
    ['steps not an array', (m) => (m.steps = {}), /message\.steps: expected an array, got a value of type object/],
    ['a ragged energy matrix', (m) => m.subspaces.energy[2].pop(), /message\.subspaces\.energy\[2\]: has \d+ columns, expected one per refresh/],
    ['a nested object as an option', (m) => (m.run.methodOptions.rank = { a: 1 }), /message\.run\.methodOptions\.rank: expected a string, finite number, boolean or null/],
    ['a huge string', (m) => (m.run.model.name = 'x'.repeat(600)), /message\.run\.model\.name: a string of 600 characters/],
  ])('rejects %s with the path of the bad field', (_label, mutate, expected) => {
    const m = clone(sampleMessage({ steps: 6, galore: true })) as unknown as Record<string, any>;
    const value = _label === 'not an object' ? 'hello' : (mutate(m), m);
    const parsed = parseTelemetry(value);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.kind).toBe('malformed');
    expect(parsed.problem).toMatch(expected);
  });

  it('says when a message comes from a newer schema version', () => {
    const m = clone(sampleMessage({ steps: 2 })) as unknown as Record<string, unknown>;
    m.version = TELEMETRY_VERSION + 1;
    m.steps = 'whatever a future version sends';
    const parsed = parseTelemetry(m);
    expect(parsed).toMatchObject({ ok: false, kind: 'newer-version' });
    if (!parsed.ok) expect(parsed.problem).toMatch(/version 2.*understands version 1.*install-extension/);
  });

  it('checks control requests', () => {
    expect(parseControlRequest({ command: 'pause', runId: 'r' })).toEqual({ ok: true, request: { command: 'pause', runId: 'r' } });
    expect(parseControlRequest({ command: 'set-rate', runId: 'r', intervalMs: 250 })).toEqual({ ok: true, request: { command: 'set-rate', runId: 'r', intervalMs: 250 } });
    expect(parseControlRequest({ command: 'set-rate', runId: 'r', intervalMs: -5 })).toMatchObject({ ok: false, reason: expect.stringMatching(/intervalMs/) });
    expect(parseControlRequest({ command: 'explode', runId: 'r' })).toMatchObject({ ok: false, reason: expect.stringMatching(/request\.command/) });
    expect(parseControlRequest(null)).toMatchObject({ ok: false });
  });

  it('formats bytes, method labels and the status-bar memory figure', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.00 GiB');
    expect(formatBytes(null)).toBe('–');
    expect(methodLabel({ method: 'galore', methodOptions: { rank: 8, update_proj_gap: 200, scale: 0.25, proj_type: 'std' } })).toBe('GaLore r=8, gap 200, scale 0.25');
    expect(methodLabel({ method: 'lora', methodOptions: { r: 16 } })).toBe('LoRA r=16');
    expect(methodLabel({ method: 'full', methodOptions: {} })).toBe('Full fine-tuning');
    const m: TelemetryMessage = sampleMessage({ steps: 3 });
    expect(latestMemoryFigure(m)).toEqual({ bytes: m.latest.memory!.device!.usedBytes, label: 'wasm heap (CPU memory)', tensorBytes: m.latest.memory!.tensorBytes });
  });
});
