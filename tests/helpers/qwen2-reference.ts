/**
 * An independent, deliberately naive float64 re-statement of Hugging Face's
 * Qwen2ForCausalLM forward pass (modeling_qwen2.py), written with plain loops
 * so it shares no code with the library. Used only by tests.
 */
import type { Qwen2Config } from '../../kernel-lib/src/model/config';

type W = Map<string, { shape: number[]; data: Float32Array }>;

function matT(x: number[][], w: { shape: number[]; data: Float32Array }, bias?: Float32Array): number[][] {
  // y = x W^T + b, W is [out, in]
  const [out, inp] = w.shape;
  return x.map((row) => {
    const y = new Array(out).fill(0);
    for (let o = 0; o < out; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inp; i++) s += row[i] * w.data[o * inp + i];
      y[o] = s;
    }
    return y;
  });
}

function rmsnorm(x: number[][], w: Float32Array, eps: number): number[][] {
  return x.map((row) => {
    const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
    const r = 1 / Math.sqrt(ms + eps);
    return row.map((v, i) => w[i] * v * r);
  });
}

function rope(vec: number[], pos: number, theta: number): number[] {
  const d = vec.length;
  const half = d / 2;
  const out = new Array(d);
  for (let i = 0; i < d; i++) {
    const f = i % half;
    const angle = pos / Math.pow(theta, (2 * f) / d);
    const rot = i < half ? -vec[i + half] : vec[i - half];
    out[i] = vec[i] * Math.cos(angle) + rot * Math.sin(angle);
  }
  return out;
}

/** Logits [T][V] of one sequence. */
export function referenceLogits(cfg: Qwen2Config, w: W, ids: number[]): number[][] {
  const d = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  const KV = cfg.num_key_value_heads;
  const D = d / H;
  const T = ids.length;
  const emb = w.get('model.embed_tokens.weight')!;
  let x = ids.map((id) => Array.from(emb.data.subarray(id * d, (id + 1) * d)));
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const g = (n: string) => w.get(`${p}.${n}`)!;
    const hN = rmsnorm(x, g('input_layernorm.weight').data, cfg.rms_norm_eps);
    const q = matT(hN, g('self_attn.q_proj.weight'), g('self_attn.q_proj.bias').data);
    const k = matT(hN, g('self_attn.k_proj.weight'), g('self_attn.k_proj.bias').data);
    const v = matT(hN, g('self_attn.v_proj.weight'), g('self_attn.v_proj.bias').data);
    const attnOut = x.map(() => new Array(d).fill(0));
    for (let h = 0; h < H; h++) {
      const kvh = Math.floor(h / (H / KV));
      const qh = q.map((row, t) => rope(row.slice(h * D, (h + 1) * D), t, cfg.rope_theta));
      const kh = k.map((row, t) => rope(row.slice(kvh * D, (kvh + 1) * D), t, cfg.rope_theta));
      const vh = v.map((row) => row.slice(kvh * D, (kvh + 1) * D));
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let j = 0; j < D; j++) dot += qh[t][j] * kh[s][j];
          scores.push(dot / Math.sqrt(D));
        }
        const m = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          for (let j = 0; j < D; j++) attnOut[t][h * D + j] += (e[s] / z) * vh[s][j];
        }
      }
    }
    const o = matT(attnOut, g('self_attn.o_proj.weight'));
    x = x.map((row, t) => row.map((val, i) => val + o[t][i]));
    const h2 = rmsnorm(x, g('post_attention_layernorm.weight').data, cfg.rms_norm_eps);
    const gate = matT(h2, g('mlp.gate_proj.weight'));
    const up = matT(h2, g('mlp.up_proj.weight'));
    const act = gate.map((row, t) => row.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[t][i]));
    const down = matT(act, g('mlp.down_proj.weight'));
    x = x.map((row, t) => row.map((val, i) => val + down[t][i]));
  }
  const fin = rmsnorm(x, w.get('model.norm.weight')!.data, cfg.rms_norm_eps);
  const head = cfg.tie_word_embeddings ? emb : w.get('lm_head.weight')!;
  return matT(fin, head);
}

/** HF causal-LM loss of one batch of sequences (mean over counted shifted labels). */
export function referenceLoss(cfg: Qwen2Config, w: W, seqs: number[][], labels: number[][]): number {
  let sum = 0;
  let count = 0;
  seqs.forEach((ids, b) => {
    const logits = referenceLogits(cfg, w, ids);
    for (let t = 0; t + 1 < ids.length; t++) {
      const y = labels[b][t + 1];
      if (y === -100) continue;
      const row = logits[t];
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      sum += lse - row[y];
      count++;
    }
  });
  return sum / count;
}
