"""PyTorch reference for `npm run bench -- model`: the GPT of model/gpt.ts (token + learned position embeddings,
pre-LayerNorm blocks, causal multi-head attention with an additive mask, 4x tanh-GELU MLP, final LayerNorm, head
tied to the token embedding, no dropout) trained with AdamW (decay on 2-D weights only) and global-norm clipping,
on one thread. Prints one JSON line: median ms per step, tokens/s, and the BLAS library torch loaded.

Run: /usr/bin/python3 bench/torch_gpt.py --layers 2 --heads 2 --width 64 --batch 32 --steps 40
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads, block):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)
        self.register_buffer("mask", torch.full((block, block), -1e9).triu(1))

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, hd).transpose(1, 2) for t in (q, k, v))
        att = torch.softmax((q * (1 / math.sqrt(hd))) @ k.transpose(-2, -1) + self.mask[:T, :T], dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, block, layers, heads, width):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(block, width)
        self.h = nn.ModuleList(Block(width, heads, block) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe.weight[:T]
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def loaded_blas():
    """The BLAS/LAPACK shared objects mapped into this process (torch links whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line or "lapack" in line}
    except OSError:
        paths = set()
    libs = sorted(os.path.realpath(p) for p in paths if p.startswith("/"))
    if libs:
        return ", ".join(libs)
    info = [part for part in torch.__config__.show().split(",") if "BLAS_INFO" in part]
    return f"not found in /proc/self/maps ({info[0].strip() if info else 'BLAS_INFO unknown'})"


def main():
    parser = argparse.ArgumentParser()
    for name, default in [("layers", 2), ("heads", 2), ("width", 64), ("block", 128), ("vocab", 8), ("batch", 32), ("steps", 20), ("threads", 1)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = GPT(args.vocab, args.block, args.layers, args.heads, args.width)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() != 2]
    optimiser = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99)
    )
    times, cpu_times = [], []
    for _ in range(args.steps + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        data = torch.randint(0, args.vocab, (args.batch, args.block + 1))
        loss = model(data[:, :-1], data[:, 1:])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        loss.item()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    ms = sorted(times[1:])[len(times[1:]) // 2] * 1000  # the first step warms up
    cpu_ms = sorted(cpu_times[1:])[len(cpu_times[1:]) // 2] * 1000
    print(json.dumps({
        "ms_per_step": ms,
        "cpu_ms_per_step": cpu_ms,
        "tokens_per_s": args.batch * args.block / (ms / 1000),
        "blas": loaded_blas(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
