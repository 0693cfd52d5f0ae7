import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DELIMITER, createHeader, createSigner, decodeMessage, encodeMessage, type Signer } from '../../kernel-lib/src/kernel/wire-message';

const sign = createSigner('secret-key', 'hmac-sha256') as Signer;

function message() {
  return {
    identities: [Buffer.from('client-1')],
    header: createHeader('execute_request', 'session-1', 'tester'),
    parent_header: {},
    metadata: { trace: true },
    content: { code: '1 + 1', silent: false },
    buffers: [Buffer.from([1, 2, 3])],
  };
}

describe('wire messages', () => {
  it('signs the four JSON parts with HMAC-SHA256 of the connection key', () => {
    const frames = encodeMessage(message(), sign);
    const at = frames.findIndex((f) => f.equals(DELIMITER));
    const expected = createHmac('sha256', 'secret-key');
    for (const part of frames.slice(at + 2, at + 6)) expected.update(part);
    expect(frames[at + 1].toString()).toBe(expected.digest('hex'));
  });

  it('round-trips identities, header, content and buffers', () => {
    const original = message();
    const decoded = decodeMessage(encodeMessage(original, sign), sign);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.message.identities.map(String)).toEqual(['client-1']);
    expect(decoded.message.header.msg_type).toBe('execute_request');
    expect(decoded.message.content).toEqual({ code: '1 + 1', silent: false });
    expect(decoded.message.metadata).toEqual({ trace: true });
    expect(decoded.message.buffers.map((b) => [...b])).toEqual([[1, 2, 3]]);
  });

  it('rejects a wrong signature, a missing delimiter and short messages with reasons', () => {
    const frames = encodeMessage(message(), sign);
    const otherKey = createSigner('other-key') as Signer;
    expect(decodeMessage(frames, otherKey)).toEqual({ ok: false, reason: 'message signature does not match the connection key' });
    expect(decodeMessage(frames.filter((f) => !f.equals(DELIMITER)), sign)).toMatchObject({ ok: false, reason: expect.stringContaining('delimiter') });
    expect(decodeMessage([DELIMITER, Buffer.from('x')], sign)).toMatchObject({ ok: false, reason: expect.stringContaining('expected at least 5') });
  });

  it('rejects parts that are not JSON', () => {
    const frames = encodeMessage(message(), sign);
    const at = frames.findIndex((f) => f.equals(DELIMITER));
    frames[at + 5] = Buffer.from('{not json');
    frames[at + 1] = Buffer.from(sign(frames.slice(at + 2, at + 6)));
    expect(decodeMessage(frames, sign)).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
  });

  it('signs nothing with an empty key and refuses unknown schemes', () => {
    const unsigned = createSigner('') as Signer;
    expect(unsigned([Buffer.from('{}')])).toBe('');
    expect(createSigner('k', 'rot13')).toMatch(/unsupported signature_scheme "rot13"/);
  });
});
