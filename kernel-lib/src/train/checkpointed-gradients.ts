/**
 * Gradients with activation checkpointing: the forward pass runs without a
 * gradient tape and keeps only each decoder layer's input [N, d]; the
 * backward pass then walks the layers from the last to the first, re-running
 * one layer's forward under a tape and taking its vector-Jacobian product
 * with the gradient arriving from above. tfjs keeps every tensor a backward
 * pass makes until that pass returns; here a "pass" is one layer, so the
 * peak holds one layer's saved activations and gradient workspace (plus the
 * L + 1 layer inputs) instead of the whole model's.
 *
 * The loss over the vocabulary is computed in chunks (`chunked-lm-loss.ts`).
 * The embedding's gradient (and a tied lm_head's, which is the same weight)
 * is assembled in one buffer from the lm_head chunks and the looked-up rows:
 * on wasm one backend buffer reused from batch to batch
 * (`recycled-gradient.ts`: allocating and freeing it every step fragments
 * the heap), elsewhere a Float32Array copied to the backend when it is
 * handed over.
 *
 * Layer-wise updates work unchanged: a weight with a gradient sink is
 * stepped as soon as its layer's backward forms its gradient.
 *
 * Cost: every layer's forward runs twice, and the logits matmul twice.
 * Gradients equal the plain tape's up to float32 rounding
 * (tests/train/checkpointed-gradients.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import { Qwen2ForCausalLM, shiftLabels } from '../model/causal-lm';
import { lmHeadLossBackward, lmHeadLossForward } from '../model/chunked-lm-loss';
import { gradientWanted, hostView, weightGradientSink } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import type { BatchGradients, GradientEngine } from './gradient-engine';
import { RecycledGradient } from './recycled-gradient';

export interface CheckpointedGradientOptions {
  /** Vocabulary rows per chunk of the loss; default: the whole vocabulary in one chunk. */
  vocabChunk?: number;
}

const LAYER_OF = /(?:^|\.)layers\.(\d+)\./;

/** Where a trainable parameter lives in the forward pass. */
function placeOf(name: string, model: Qwen2ForCausalLM): 'embedding' | 'head' | 'norm' | number {
  if (name === 'model.embed_tokens.weight') return 'embedding';
  if (name === 'lm_head.weight') return 'head';
  if (name === 'model.norm.weight') return 'norm';
  const m = LAYER_OF.exec(name);
  if (m && Number(m[1]) < model.config.num_hidden_layers) return Number(m[1]);
  throw new Error(`activation checkpointing: cannot tell where parameter "${name}" is used (not the embedding, a decoder layer, the final norm or lm_head)`);
}

/** The vector-Jacobian product of f at xs with dy: f's value and d(f . dy)/dx for each x (null where none). */
function vjp(f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): { value: tf.Tensor; grads: (tf.Tensor | null)[] } {
  const r = tf.engine().gradients(f, xs, dy, true);
  return { value: r.value, grads: r.grads as (tf.Tensor | null)[] };
}

/** Gradients up to this many values are regrouped at the end of the backward pass (norms, biases). */
const SMALL_GRADIENT_ELEMENTS = 2 ** 18;

/**
 * Move the small gradients (norm weights, biases: formed one layer at a time,
 * each among that layer's temporaries) next to each other: copy them out,
 * free them all, and allocate them again now that the temporaries are gone.
 * Left where they were, they stay alive until the optimizer step and, on
 * wasm, pin the freed region in a hundred places, so the step's own large
 * temporaries (the embedding's projected gradient) do not fit there and the
 * heap grows instead (measured on Qwen2-0.5B: 220 MiB). Values unchanged.
 */
function regroupSmallGradients(grads: Record<string, tf.Tensor>): void {
  const small = Object.entries(grads).filter(([, g]) => g.size <= SMALL_GRADIENT_ELEMENTS && g.dtype === 'float32');
  const copies = small.map(([name, g]) => ({ name, shape: g.shape, values: (g.dataSync() as Float32Array).slice() }));
  for (const [, g] of small) g.dispose();
  for (const c of copies) grads[c.name] = tf.tensor(c.values, c.shape, 'float32');
}

/**
 * A gradient engine (see `gradient-engine.ts`) that recomputes activations
 * layer by layer instead of keeping them (see the module comment).
 *
 * @example
 * const engine = checkpointedGradientEngine(model, model.trainableParams(), { vocabChunk: 16384 });
 * const { loss, grads } = await engine.compute(batch);
 */
export function checkpointedGradientEngine(
  model: Qwen2ForCausalLM, params: TrainableParam[], options: CheckpointedGradientOptions = {},
): GradientEngine {
  const cfg = model.config;
  const chunk = options.vocabChunk ?? cfg.vocab_size;
  if (!(Number.isInteger(chunk) && chunk >= 1)) throw new Error(`activation checkpointing: vocabChunk must be a positive integer, got ${chunk}`);
  const byLayer = Array.from({ length: cfg.num_hidden_layers }, () => [] as TrainableParam[]);
  let embedding: TrainableParam | null = null;
  let head: TrainableParam | null = null;
  let norm: TrainableParam | null = null;
  for (const p of params) {
    const place = placeOf(p.name, model);
    if (place === 'embedding') embedding = p;
    else if (place === 'head') head = p;
    else if (place === 'norm') norm = p;
    else byLayer[place].push(p);
  }
  const embedW = model.weights.get('model.embed_tokens.weight')!;
  if (embedding && weightGradientSink(embedW)) throw new Error('activation checkpointing: the embedding cannot have a layer-wise gradient sink');
  // on wasm the embedding's gradient is accumulated in one backend buffer reused from batch to batch
  // (no 519 MiB allocation per step for Qwen2-0.5B: see recycled-gradient.ts)
  const recycler = embedding && tf.getBackend() === 'wasm' ? new RecycledGradient(embedding.variable) : null;

  return {
    async compute(batch: Batch): Promise<BatchGradients> {
      const { inputIds, labels, batch: B, seqLen: T } = batch;
      const targets = shiftLabels(labels, B, T);
      const grads: Record<string, tf.Tensor> = {};
      const ctx = model.layerContext(B, T);
      const inputs: tf.Tensor2D[] = [];
      let dx: tf.Tensor2D | null = null;
      let embedGrad: tf.Tensor | null = null;
      try {
        embedGrad = recycler ? recycler.take() : null;
        // forward without a tape: keep each layer's input
        inputs.push(tf.tidy(() => model.embed(inputIds, B, T)));
        for (let i = 0; i < cfg.num_hidden_layers; i++) {
          const x = inputs[i];
          inputs.push(tf.tidy(() => model.layer(i, x, ctx)));
        }
        const last = inputs[cfg.num_hidden_layers];
        const h = tf.tidy(() => model.finalNorm(last));
        const headW = model.lmHeadWeight();
        const fwd = lmHeadLossForward(h, headW, targets, chunk);
        const loss = fwd.count === 0 ? 0 : fwd.sum / fwd.count;

        // lm_head (tied: the embedding) and the loss, chunk by chunk
        const [vocab, d] = headW.shape;
        const tied = cfg.tie_word_embeddings;
        const embedBuffer = embedding && !embedGrad ? new Float32Array(vocab * d) : null;
        const heapRows = embedGrad;
        const embedRows = heapRows ? () => hostView(heapRows) : embedBuffer;
        const headBuffer = tied ? embedRows : (gradientWanted(headW) ? new Float32Array(vocab * d) : null);
        let dh: tf.Tensor2D;
        try {
          dh = lmHeadLossBackward(h, headW, targets, fwd.lse, fwd.count === 0 ? 0 : 1 / fwd.count, chunk, headBuffer);
        } finally {
          h.dispose();
        }
        if (!tied && headBuffer instanceof Float32Array) {
          const g = tf.tensor2d(headBuffer, [vocab, d]);
          const sink = weightGradientSink(headW);
          if (sink) { try { sink(g); } finally { g.dispose(); } } else if (head) grads[head.name] = g; else g.dispose();
        }

        // final norm
        const normW = model.weights.get('model.norm.weight')!;
        {
          const xs: tf.Tensor[] = norm ? [last, normW] : [last];
          const r = vjp(() => model.finalNorm(last), xs, dh);
          r.value.dispose(); dh.dispose();
          dx = r.grads[0] as tf.Tensor2D;
          if (norm) grads[norm.name] = r.grads[1]!;
        }

        // decoder layers, last to first, each re-run under a tape
        for (let i = cfg.num_hidden_layers - 1; i >= 0; i--) {
          const x = inputs[i];
          const own = byLayer[i];
          const r = vjp(() => model.layer(i, x, ctx), [x, ...own.map((p) => p.variable)], dx);
          r.value.dispose();
          dx.dispose();
          dx = r.grads[0] as tf.Tensor2D;
          own.forEach((p, k) => {
            const g = r.grads[k + 1];
            if (g) grads[p.name] = g;
          });
          inputs[i + 1].dispose();
        }

        regroupSmallGradients(grads);

        // embedding: the looked-up rows' gradients, added to the tied head's
        if (embedding && embedRows) {
          const rows = hostView(dx);
          const out = typeof embedRows === 'function' ? embedRows() : embedRows; // views taken after the last allocation
          for (let r = 0; r < inputIds.length; r++) {
            const base = inputIds[r] * d;
            for (let j = 0; j < d; j++) out[base + j] += rows[r * d + j];
          }
          grads[embedding.name] = embedGrad ?? tf.tensor2d(out, [vocab, d]);
          embedGrad = null; // handed over
        }
        return { loss, grads };
      } catch (e) {
        for (const g of Object.values(grads)) g.dispose();
        throw e;
      } finally {
        embedGrad?.dispose();
        dx?.dispose();
        for (const x of inputs) if (!x.isDisposed) x.dispose();
        ctx.dispose();
      }
    },
    dispose(): void { recycler?.dispose(); },
  };
}
