import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { trackBackendBuffers } from '../../kernel-lib/src/memory/buffer-tracker';

beforeAll(async () => { await initBackend('wasm'); });

describe('trackBackendBuffers (wasm)', () => {
  it('counts each buffer once, frees when its last handle goes, keeps the peak', () => {
    const tr = trackBackendBuffers();
    try {
      const a = tf.zeros([10]);                 // 40 bytes
      expect(tr.liveBytes()).toBe(40);
      const r = tf.reshape(a, [2, 5]);          // shares a's buffer
      expect(tr.liveBytes()).toBe(40);
      const c = tf.clone(a);                    // on wasm a clone copies (kernel Identity): +40
      expect(tr.liveBytes()).toBe(80);
      const i = tf.zeros([3], 'int32');         // 12 bytes
      expect(tr.liveBytes()).toBe(92);
      a.dispose();
      expect(tr.liveBytes()).toBe(92);          // r still holds the buffer
      r.dispose(); c.dispose(); i.dispose();
      expect(tr.liveBytes()).toBe(0);
      expect(tr.peakBytes()).toBe(92);
      tr.resetPeak();
      expect(tr.peakBytes()).toBe(0);
    } finally {
      tr.stop();
    }
    const after = tf.zeros([4]);
    expect(tr.liveBytes()).toBe(0);             // stopped: no longer counting
    after.dispose();
  });

  it('ignores buffers made before it started', () => {
    const old = tf.ones([8]);
    const tr = trackBackendBuffers();
    old.dispose();
    expect(tr.liveBytes()).toBe(0);
    tr.stop();
  });
});
