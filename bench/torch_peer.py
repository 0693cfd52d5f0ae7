#!/usr/bin/python3
"""PyTorch peer for `npm run bench`: a Qwen2 decoder in plain PyTorch, trained
with torch.optim.AdamW, timed per optimizer step.

The model follows Hugging Face transformers' Qwen2 (eager attention):
token embedding, per layer RMSNorm -> grouped-query attention (q/k/v with
biases, o_proj without, rotary embeddings as HF computes them, causal mask,
softmax in float32) -> residual -> RMSNorm -> SwiGLU MLP -> residual, a final
RMSNorm, an untied lm_head, and cross-entropy on shifted labels (-100
ignored). Everything is float32.

A training step is what the project's trainer does in one step: forward,
loss, backward, global-norm gradient clipping (max 1.0, as HF Trainer),
AdamW with a linear learning-rate decay, and reading the loss back as a
Python float. Warm-up steps are excluded from the timing.

Usage (OpenBLAS threads x torch threads must not be 2 x 2, see TOOLCHAIN.md):

  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_peer.py --config cfg.json \
      --steps 12 --warmup 3 --batch-size 4 --seq-len 128 --threads 1

  --config FILE       Hugging Face style Qwen2 config.json (the same file the
                      project's `init` reads); or the sizes as flags
                      (--vocab-size, --hidden-size, ...).
  --weights FILE      start from these weights (a model.safetensors written by
                      the project's `init`) instead of a random initialisation
  --data FILE         train on these pre-tokenized JSONL rows {"input_ids": [...]}
                      (in file order, batch-size rows per step, wrapping around)
                      instead of random token batches

Prints one JSON line on stdout:
  {"median_step_ms": ..., "steps": ..., "threads": ..., ...}
with the per-step times, losses and gradient norms, so a caller can compare
the first step's loss with another implementation started from the same
weights and data.
"""

import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - reported to the runner
    sys.stderr.write(
        "torch_peer.py: cannot import torch (%s).\n"
        "Install the peer with: apt-get update && apt-get install -y python3-torch libopenblas0-pthread\n"
        "and run it with /usr/bin/python3 (the only interpreter that sees Debian's torch).\n" % e
    )
    sys.exit(3)


# ---------------------------------------------------------------- model


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotary_cos_sin(seq_len, head_dim, theta):
    """cos/sin tables [seq, head_dim] as HF's Qwen2RotaryEmbedding computes them."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    pos = torch.arange(seq_len, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x, cos, sin):
    return x * cos + rotate_half(x) * sin


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv = cfg["num_key_value_heads"]
        self.head_dim = d // self.n_heads
        self.q_proj = nn.Linear(d, self.n_heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(d, self.n_kv * self.head_dim, bias=True)
        self.v_proj = nn.Linear(d, self.n_kv * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.n_heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        q = apply_rotary(q, cos, sin)
        k = apply_rotary(k, cos, sin)
        groups = self.n_heads // self.n_kv
        if groups > 1:  # repeat_kv
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, i = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(d, i, bias=False)
        self.up_proj = nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])


class Qwen2ForCausalLM(nn.Module):
    """Parameter names match the Hugging Face checkpoint (model.layers.0.self_attn.q_proj.weight, ...)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Qwen2Model(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        if cfg.get("tie_word_embeddings"):
            self.lm_head.weight = self.model.embed_tokens.weight
        self._rope = {}

    def init_weights(self, seed):
        """As transformers' _init_weights: normal(0, initializer_range) for linear and
        embedding weights, zero biases, unit norm weights."""
        g = torch.Generator().manual_seed(seed)
        std = self.cfg.get("initializer_range", 0.02)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith(".bias"):
                    p.zero_()
                elif name.endswith("norm.weight"):
                    p.fill_(1.0)
                else:
                    p.copy_(torch.randn(p.shape, generator=g) * std)

    def rope(self, t):
        if t not in self._rope:
            head_dim = self.cfg["hidden_size"] // self.cfg["num_attention_heads"]
            self._rope[t] = rotary_cos_sin(t, head_dim, float(self.cfg["rope_theta"]))
        return self._rope[t]

    def forward(self, ids):
        b, t = ids.shape
        cos, sin = self.rope(t)
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.model.norm(x))

    def loss(self, ids, labels):
        logits = self(ids)
        v = logits.shape[-1]
        return F.cross_entropy(logits[:, :-1, :].reshape(-1, v).float(), labels[:, 1:].reshape(-1), ignore_index=-100)


# ---------------------------------------------------------------- I/O


def load_safetensors(path):
    """Read a float32/bfloat16 .safetensors file into {name: tensor} (no extra package needed)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        raw = bytearray(blob[a:b])
        if meta["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        elif meta["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.bfloat16).float()
        else:
            raise SystemExit("%s: tensor %s has dtype %s; only F32 and BF16 are read" % (path, name, meta["dtype"]))
        out[name] = t.reshape(meta["shape"]).clone()
    return out


def read_rows(path, seq_len):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                ids = json.loads(line)["input_ids"]
                if len(ids) < seq_len:
                    raise SystemExit("%s: rows must have at least %d ids (got %d)" % (path, seq_len, len(ids)))
                rows.append(ids[:seq_len])
    if not rows:
        raise SystemExit("%s: no rows" % path)
    return rows


def blas_library():
    """The BLAS shared library this process has mapped (torch loads it lazily: call after a matmul)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            libs = sorted({line.split()[-1] for line in f if "/" in line})
        libs = [p for p in libs if os.path.basename(p).startswith(("libblas", "libopenblas", "libmkl"))]
        return ", ".join(libs) or None
    except OSError:
        return None


def parse_args(argv):
    p = argparse.ArgumentParser(description="Qwen2 training-step timing in plain PyTorch")
    p.add_argument("--config", help="Qwen2 config.json")
    p.add_argument("--vocab-size", type=int, default=2048)
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--intermediate-size", type=int, default=688)
    p.add_argument("--num-hidden-layers", type=int, default=4)
    p.add_argument("--num-attention-heads", type=int, default=4)
    p.add_argument("--num-key-value-heads", type=int, default=2)
    p.add_argument("--steps", type=int, default=12, help="timed steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before them")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--weights", help="model.safetensors to start from")
    p.add_argument("--data", help="pre-tokenized JSONL rows to train on")
    return p.parse_args(argv)


def model_config(a):
    if a.config:
        with open(a.config, encoding="utf-8") as f:
            cfg = json.load(f)
        if cfg.get("model_type", "qwen2") != "qwen2":
            raise SystemExit("%s: model_type must be qwen2" % a.config)
    else:
        cfg = {
            "vocab_size": a.vocab_size, "hidden_size": a.hidden_size, "intermediate_size": a.intermediate_size,
            "num_hidden_layers": a.num_hidden_layers, "num_attention_heads": a.num_attention_heads,
            "num_key_value_heads": a.num_key_value_heads,
        }
    cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
    cfg.setdefault("rms_norm_eps", 1e-6)
    cfg.setdefault("rope_theta", 10000.0)
    cfg.setdefault("tie_word_embeddings", False)
    cfg.setdefault("initializer_range", 0.02)
    return cfg


def main(argv):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg = model_config(a)

    model = Qwen2ForCausalLM(cfg)
    if a.weights:
        state = load_safetensors(a.weights)
        own = dict(model.named_parameters())
        missing = [k for k in own if k not in state]
        if missing:
            raise SystemExit("%s: missing tensors %s" % (a.weights, ", ".join(missing[:5])))
        with torch.no_grad():
            for k, p in own.items():
                if tuple(state[k].shape) != tuple(p.shape):
                    raise SystemExit("%s: %s has shape %s, expected %s" % (a.weights, k, list(state[k].shape), list(p.shape)))
                p.copy_(state[k])
    else:
        model.init_weights(a.seed)
    model.train()

    # Param groups as HF Trainer: no weight decay on biases and norm weights.
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith(".bias") or name.endswith("norm.weight") else decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=a.lr, betas=(0.9, 0.999), eps=1e-8,
    )
    total = a.warmup + a.steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / max(1, total)))

    rows = read_rows(a.data, a.seq_len) if a.data else None
    gen = torch.Generator().manual_seed(a.seed)

    def batch(step):
        if rows is None:
            return torch.randint(0, cfg["vocab_size"], (a.batch_size, a.seq_len), generator=gen)
        start = step * a.batch_size
        return torch.tensor([rows[(start + r) % len(rows)] for r in range(a.batch_size)], dtype=torch.int64)

    times, losses, norms = [], [], []
    for step in range(total):
        ids = batch(step)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model.loss(ids, ids)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), a.max_grad_norm if a.max_grad_norm > 0 else float("inf"))
        opt.step()
        sched.step()
        loss_value = loss.item()
        norm_value = float(norm)
        dt = (time.perf_counter() - t0) * 1000.0
        times.append(dt)
        losses.append(loss_value)
        norms.append(norm_value)
        if not math.isfinite(loss_value):
            raise SystemExit("loss is %s at step %d" % (loss_value, step + 1))

    timed = times[a.warmup:]
    result = {
        "name": "torch_peer",
        "median_step_ms": round(statistics.median(timed), 3),
        "mean_step_ms": round(statistics.fmean(timed), 3),
        "min_step_ms": round(min(timed), 3),
        "steps": len(timed),
        "warmup": a.warmup,
        "threads": torch.get_num_threads(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "torch": torch.__version__,
        "blas": blas_library(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "step_ms": [round(t, 3) for t in times],
        "loss": [round(v, 6) for v in losses],
        "grad_norm": [round(v, 6) for v in norms],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
