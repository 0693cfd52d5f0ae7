/**
 * The worker thread of `parallelGradientEngine`: a replica of the model on
 * its own TensorFlow.js backend. Each request carries some batch rows; the
 * worker first copies the main thread's current weights from shared memory,
 * then writes the gradients of its rows' weighted loss into shared memory.
 * Started by parallel-gradients.ts; does nothing when loaded any other way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../backend/select-backend';
import { Qwen2ForCausalLM, type WeightData } from '../model/causal-lm';
import type { Qwen2Config } from '../model/config';

/** Where one tensor sits in a shared Float32 buffer (offset and size in elements). */
export interface SharedSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** What the worker is started with (`workerData`). */
export interface GradientWorkerInit {
  kind: 'galore-lab-gradient-worker';
  backend: string;
  config: Qwen2Config;
  /** Every weight of the model, in `weights`. */
  weightSlots: SharedSlot[];
  weights: SharedArrayBuffer;
  /** The trained parameters, in `grads` (this worker's own buffer). */
  gradSlots: SharedSlot[];
  grads: SharedArrayBuffer;
}

/** A request: the rows to differentiate and the factor of their mean loss. */
export interface GradientRequest {
  type: 'compute';
  id: number;
  inputIds: Int32Array;
  labels: Int32Array;
  rows: number;
  seqLen: number;
  /** The gradient is that of `scale` x (mean loss of these rows). */
  scale: number;
  /** Version of the weights in shared memory; reloaded when it differs from the last loaded one. */
  weightsVersion: number;
}

export type GradientReply =
  | { type: 'ready' }
  /** `present[i]`: whether parameter i received a gradient (it is zero-filled otherwise). */
  | { type: 'done'; id: number; loss: number; present: boolean[] }
  | { type: 'error'; id: number | null; message: string; stack?: string };

/** The tensor's values without a copy on wasm (valid until the next tensor is allocated). */
export function hostView(x: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array };
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') return backend.typedArrayFromHeap(x);
  return x.dataSync() as Float32Array;
}

async function serve(init: GradientWorkerInit): Promise<void> {
  const port = parentPort!;
  const fail = (id: number | null, e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ type: 'error', id, message: err.message, stack: err.stack } satisfies GradientReply);
  };
  let model: Qwen2ForCausalLM;
  let vars: tf.Variable[];
  const weights = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);
  try {
    await initBackend(init.backend as BackendChoice);
    const initial = new Map<string, WeightData>();
    for (const s of init.weightSlots) initial.set(s.name, { shape: s.shape, data: weights.subarray(s.offset, s.offset + s.size) });
    model = new Qwen2ForCausalLM(init.config, initial, 'gradient worker');
    const trained = new Set(init.gradSlots.map((s) => s.name));
    model.freeze([...model.weights.keys()].filter((n) => !trained.has(n)));
    vars = init.gradSlots.map((s) => model.weights.get(s.name)!);
  } catch (e) {
    fail(null, e);
    return;
  }
  let loadedVersion = 0; // the initial weights
  port.on('message', (req: GradientRequest) => {
    try {
      if (req.weightsVersion !== loadedVersion) {
        for (const s of init.weightSlots) {
          const fresh = tf.tensor(weights.subarray(s.offset, s.offset + s.size), s.shape, 'float32');
          model.weights.get(s.name)!.assign(fresh);
          fresh.dispose();
        }
        loadedVersion = req.weightsVersion;
      }
      const { value, grads: g } = tf.variableGrads(
        () => tf.mul(model.loss(req.inputIds, req.labels, req.rows, req.seqLen), req.scale) as tf.Scalar, vars);
      const loss = value.dataSync()[0];
      value.dispose();
      const present = init.gradSlots.map((s, i) => {
        const t = g[vars[i].name];
        if (t) grads.set(hostView(t), s.offset); else grads.fill(0, s.offset, s.offset + s.size);
        return t !== undefined;
      });
      tf.dispose(Object.values(g));
      port.postMessage({ type: 'done', id: req.id, loss, present } satisfies GradientReply);
    } catch (e) {
      fail(req.id, e);
    }
  });
  port.postMessage({ type: 'ready' } satisfies GradientReply);
}

const init = workerData as GradientWorkerInit | undefined;
if (parentPort && init?.kind === 'galore-lab-gradient-worker') void serve(init);
