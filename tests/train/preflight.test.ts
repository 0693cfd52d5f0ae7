import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../kernel-lib/src/cli/main';
import { memoryLedger } from '../../kernel-lib/src/memory/memory-ledger';
import { QWEN2_0_5B_INSTRUCT } from '../../kernel-lib/src/memory/reference-configs';
import { parseByteSize, preflightCheck, WASM_HEAP_LIMIT_BYTES } from '../../kernel-lib/src/train/preflight';
import { tinyConfig } from '../helpers/tiny-config';

describe('pre-flight memory check', () => {
  it('parses byte sizes', () => {
    expect(parseByteSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('1.5 MB')).toBe(1_500_000);
    expect(parseByteSize('1024')).toBe(1024);
    expect(() => parseByteSize('lots')).toThrow(/not a byte size/);
  });

  it('refuses a run whose predicted peak exceeds the cap, saying what it needs, what there is and what fits', () => {
    const cfg = tinyConfig({ hidden_size: 128, intermediate_size: 256, vocab_size: 512 });
    const full = memoryLedger(cfg, 'full', { batchSize: 2, seqLen: 16 });
    const full8 = memoryLedger(cfg, 'full', { batchSize: 2, seqLen: 16, optim: 'adamw8bit' });
    expect(full8.total).toBeLessThan(full.total);
    const cap = { bytes: Math.floor((full.total + full8.total) / 2), source: 'test cap' };
    const r = preflightCheck(cfg, 'full', { batchSize: 2, seqLen: 16 }, cap);
    expect(r.fits).toBe(false);
    expect(r.message).toContain('does not fit');
    expect(r.message).toContain('test cap');
    expect(r.message).toMatch(/Methods that would fit: .*Full, 8-bit AdamW/);
    expect(r.alternatives.find((a) => a.label.startsWith('Full, AdamW'))!.fits).toBe(false);
    expect(preflightCheck(cfg, 'full', { batchSize: 2, seqLen: 16 }, { bytes: full.total, source: 'exact' }).fits).toBe(true);
  });

  it('refuses full AdamW on Qwen2-0.5B inside the wasm heap', () => {
    const r = preflightCheck(QWEN2_0_5B_INSTRUCT, 'full', { batchSize: 1, seqLen: 256 }, { bytes: WASM_HEAP_LIMIT_BYTES, source: 'wasm heap limit' });
    expect(r.fits).toBe(false);
    expect(r.ledger.optimizerStates).toBeGreaterThan(3 * 1024 ** 3);
  });

  it('the train command stops before loading weights when the run cannot fit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-preflight-'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...tinyConfig() }));
    // no weights in the folder: a refusal must come before any attempt to load them
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      const rc = await runCli(['train', '--model', dir, '--data', path.join(dir, 'none.jsonl'), '--out', path.join(dir, 'o'), '--memory-cap', '1MiB'], () => undefined);
      expect(rc).toBe(1);
    } finally {
      console.error = orig;
    }
    expect(errors.join('\n')).toMatch(/does not fit: Full, AdamW .* but the backend can hold 0\.00 GiB \(--memory-cap\)/s);
  });
});
