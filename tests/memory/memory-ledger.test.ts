import { describe, expect, it } from 'vitest';
import { memoryLedger } from '../../kernel-lib/src/memory/memory-ledger';
import { galorePaperComparison } from '../../kernel-lib/src/memory/paper-comparison';
import { LLAMA_7B_SHAPE, QWEN2_0_5B_INSTRUCT } from '../../kernel-lib/src/memory/reference-configs';
import { ledgerTable, parameterTable } from '../../kernel-lib/src/memory/ledger-table';
import { tinyConfig } from '../helpers/tiny-config';

// tinyConfig: vocab 97, hidden 32, intermediate 56, 2 layers, 4 heads, 2 KV heads (kv width 16), untied.
// Parameters by hand: embedding 97*32 = 3104; per layer norms 2*32 + q 32*32+32 + k 16*32+16 + v 16*32+16
// + o 32*32 + gate/up/down 3*56*32 = 8576; final norm 32; lm_head 3104. Total 3104 + 2*8576 + 32 + 3104 = 23392.
const TINY_PARAMS = 23392;

describe('memoryLedger on the tiny config (hand-computed)', () => {
  const cfg = tinyConfig();

  it('full AdamW: 4 bytes of weight and of gradient, 8 of state, per parameter', () => {
    const l = memoryLedger(cfg, 'full');
    expect(l.totalParams).toBe(TINY_PARAMS);
    expect(l.trainableParams).toBe(TINY_PARAMS);
    expect(l.weights).toBe(4 * TINY_PARAMS);
    expect(l.gradients).toBe(4 * TINY_PARAMS);
    expect(l.optimizerStates).toBe(8 * TINY_PARAMS);
    expect(l.optimizerStateReduction).toBe(0);
    expect(l.phases.forwardBackward).toBe(l.weights + l.gradients + l.optimizerStates + l.activations.total + l.backwardWorkspace);
    // the optimizer step: every gradient plus AdamW's 13 temporaries of the largest weight (embedding / lm_head, 3104)
    expect(l.stepWorkspace).toBe(4 * 13 * 3104);
    expect(l.phases.optimizerStep).toBe(l.weights + l.optimizerStates + l.gradients + 4 * 13 * 3104);
    expect(l.total).toBe(Math.max(l.phases.forwardBackward, l.phases.optimizerStep));
  });

  it('GaLore rank 4: projector + low-rank moments on linear weights, AdamW elsewhere', () => {
    // q, o [32, 32] (tall): P [4, 32], R [32, 4] -> 4*128 + 8*128 = 1536 bytes each
    // k, v [16, 32] (wide): P [16, 4], R [4, 32] -> 4*64 + 8*128 = 1280 bytes each
    // gate, up [56, 32]: P [4, 32], R [56, 4]; down [32, 56]: P [32, 4], R [4, 56] -> 4*128 + 8*224 = 2304 each
    const perLayer = 2 * 1536 + 2 * 1280 + 3 * 2304; // 12544
    // AdamW on embedding 3104, lm_head 3104, norms 2*2*32 + 32, biases 2*(32+16+16): 6496 params
    const unprojected = 8 * 6496;
    const l = memoryLedger(cfg, 'galore', { rank: 4 });
    expect(l.optimizerStates).toBe(2 * perLayer + unprojected); // 77056
    expect(l.optimizerBreakdown.unprojected).toBe(unprojected);
    expect(l.optimizerBreakdown.projectors).toBe(2 * 4 * (128 + 64 + 64 + 128 + 3 * 128));
    expect(l.gradients).toBe(4 * TINY_PARAMS); // GaLore still forms full-rank gradients
    const q = l.params.find((p) => p.name === 'model.layers.1.self_attn.q_proj.weight')!;
    expect(q).toMatchObject({ stateKind: 'galore', projectors: [[4, 32]], moments: [32, 4], stateBytes: 1536 });
    expect(l.optimizerStateReduction).toBeCloseTo(1 - 77056 / (8 * TINY_PARAMS), 12);
  });

  it('layer-wise: the tape keeps embedding, norms and biases; of the stepped linear weights only the largest gradient counts', () => {
    // tape: embedding 97 x 32, norms 2 * 2 * 32 + 32, biases 2 * (32 + 16 + 16); largest stepped: the untied lm_head 97 x 32
    const tape = 97 * 32 + 5 * 32 + 2 * 64;
    expect(memoryLedger(cfg, 'full', { layerwise: true }).gradients).toBe(4 * (tape + 97 * 32));
    expect(memoryLedger(cfg, 'galore', { rank: 4, layerwise: true }).gradients).toBe(4 * (tape + 97 * 32));
    // tied: the embedding stays on the tape, the largest stepped weight is gate/up/down [56, 32]
    const tied = tinyConfig({ tie_word_embeddings: true });
    expect(memoryLedger(tied, 'full', { layerwise: true }).gradients).toBe(4 * (tape + 56 * 32));
    // LoRA: adapter weights stay on the tape, so layer-wise changes nothing
    const lora = { loraR: 4, loraTargets: ['down_proj'] };
    expect(memoryLedger(cfg, 'lora', { ...lora, layerwise: true }).gradients).toBe(memoryLedger(cfg, 'lora', lora).gradients);
  });

  it('gradient workers: replicas, their rows\' activations and shared buffers, apart from the main heap', () => {
    const one = memoryLedger(cfg, 'full', { batchSize: 4, seqLen: 16 });
    const l = memoryLedger(cfg, 'full', { batchSize: 4, seqLen: 16, workers: 1 });
    expect(l.workers).toMatchObject({ count: 1, mainRows: 2, workerRows: [2] });
    const half = memoryLedger(cfg, 'full', { batchSize: 2, seqLen: 16 });
    expect(l.activations.total).toBe(half.activations.total);            // the main thread keeps its own rows only
    const w = l.workers!;
    expect(w.replicaWeights).toBe(one.weights);
    expect(w.replicaGradients).toBe(one.gradients);
    expect(w.activationsAndWorkspace).toBe(half.activations.total + half.backwardWorkspace);
    expect(w.sharedBuffers).toBe(one.weights + one.gradients);
    expect(w.total).toBe(2 * (one.weights + one.gradients) + w.activationsAndWorkspace);
    expect(l.processTotal).toBe(l.total + w.total);
    expect(one.processTotal).toBe(one.total);
    expect(one.workers).toBeUndefined();
    expect(l.assumptions.join(' ')).toMatch(/process memory beside the main wasm heap/);
    // 3 workers on 3 rows: main 1, workers 1, 1 and one idle replica
    expect(memoryLedger(cfg, 'full', { batchSize: 3, seqLen: 8, workers: 3 }).workers).toMatchObject({ mainRows: 1, workerRows: [1, 1, 0] });
    expect(() => memoryLedger(cfg, 'lora', { workers: 1 })).toThrow(/plain model/);
    expect(() => memoryLedger(cfg, 'full', { workers: 1, layerwise: true })).toThrow(/layer-wise/);
  });

  it('8-bit states with a small min size: codes + absmax per block', () => {
    const layout = { blockSize: 256, minSize: 1000 };
    const l = memoryLedger(cfg, 'full', { optim: 'adamw8bit', eightBitLayout: layout });
    // >= 1000 elements: embedding and lm_head (3104: 13 blocks), q and o (1024: 4 blocks), gate/up/down (1792: 7 blocks)
    const q8 = (n: number) => 2 * (n + 4 * Math.ceil(n / 256));
    const big = 2 * q8(3104) + 2 * (2 * q8(1024) + 3 * q8(1792));
    const smallParams = TINY_PARAMS - 2 * 3104 - 2 * (2 * 1024 + 3 * 1792);
    expect(l.optimizerStates).toBe(big + 8 * smallParams);
    expect(l.optimizerBreakdown.scales).toBe(2 * 2 * 4 * 13 + 2 * (2 * 2 * 4 * 4 + 3 * 2 * 4 * 7));
  });

  it('LoRA: base weights frozen, adapters trained with AdamW', () => {
    const l = memoryLedger(cfg, 'lora', { loraR: 8, loraTargets: 'all' });
    const adapters = 2 * (8 * 248 + 8 * 240); // see optimizer-state-bytes.test.ts
    expect(l.trainableParams).toBe(adapters);
    expect(l.weights).toBe(4 * (TINY_PARAMS + adapters));
    expect(l.gradients).toBe(4 * adapters);
    expect(l.optimizerStates).toBe(8 * adapters);
    expect(l.params.filter((p) => !p.trainable).every((p) => p.gradientBytes === 0 && p.stateBytes === 0)).toBe(true);
  });

  it('rejects unknown methods and optimizers', () => {
    expect(() => memoryLedger(cfg, 'qlora' as never)).toThrow(/method/);
    expect(() => memoryLedger(cfg, 'full', { optim: 'sgd' as never })).toThrow(/optim/);
  });
});

describe('Qwen2-0.5B-Instruct at rank 128', () => {
  const cfg = QWEN2_0_5B_INSTRUCT;

  it('has 494,032,768 parameters (tied embeddings counted once)', () => {
    const l = memoryLedger(cfg, 'full');
    expect(l.totalParams).toBe(494_032_768);
    expect(l.weights).toBe(4 * 494_032_768);
    expect(l.optimizerStates).toBe(8 * 494_032_768);
  });

  it('GaLore states: projected linear weights + full Adam on everything else', () => {
    // per layer: q, o [896, 896] right: 4*128*896 + 8*896*128 = 1,376,256 each
    // k, v [128, 896] left: 4*128*128 + 8*128*896 = 983,040 each
    // gate, up [4864, 896] right, down [896, 4864] left: 5,439,488 each
    const perLayer = 2 * 1_376_256 + 2 * 983_040 + 3 * 5_439_488;
    // unprojected: embedding 151936*896 + per layer norms 2*896 + biases 896+128+128, final norm 896
    const unprojected = 8 * (151_936 * 896 + 24 * (2 * 896 + 1152) + 896);
    const l = memoryLedger(cfg, 'galore', { rank: 128 });
    expect(l.optimizerStates).toBe(24 * perLayer + unprojected);
    expect(l.optimizerStateReduction).toBeCloseTo(0.5966, 4);
  });

  it('the GaLore paper comparison: our formulas give ~65.1% / 82.5% on the LLaMA-7B shape', () => {
    const { rows } = galorePaperComparison(cfg, 128);
    expect(rows[0].ours).toBeCloseTo(0.597, 3);
    expect(rows[0].llama7b).toBeCloseTo(0.651, 3);
    expect(rows[0].paper).toBe(0.655);
    expect(rows[3].llama7b).toBeCloseTo(0.823, 3); // blocks of 256; 0.825 with 2048 (see notes)
    expect(galorePaperComparison(cfg, 128).notes.join(' ')).toContain('82.5% with the 2048-value blocks');
    expect(rows[1].ours).toBeGreaterThan(0.88);
  });

  it('the LLaMA-7B shape has 6.74 billion parameters', () => {
    // LLaMA-7B has 6,738,415,616; Qwen2 adds q/k/v biases: 32 * 3 * 4096 = 393,216
    expect(memoryLedger(LLAMA_7B_SHAPE, 'full').totalParams).toBe(6_738_415_616 + 393_216);
  });

  it('renders side-by-side and per-weight tables', () => {
    const ls = [memoryLedger(cfg, 'full'), memoryLedger(cfg, 'galore', { rank: 128, optim: 'adamw8bit', layerwise: true })];
    const t = ledgerTable(ls);
    expect(t).toContain('GaLore r=128, 8-bit AdamW, layer-wise');
    expect(t).toMatch(/optimizer states\s+3\.681 GiB/);
    const p = parameterTable(ls[1]);
    expect(p).toMatch(/layers\.\*\.mlp\.up_proj\.weight\s+\[4864, 896\]\s+24\s+galore8bit\s+\[128, 896\]\s+\[4864, 128\]/);
  });
});
