#!/usr/bin/python3
"""bench_torch.py - tunepilot's QLoRA and LoRA step against PyTorch fp32 LoRA,
side by side in one run, on the same model shape, data and batch.

PyTorch trains the same LoRA (rank 16, alpha 32, dropout 0.05, all seven
projections, AdamW, clipping at 1.0) on the same Llama shape with random
weights, the same token ids (bench_train's) and batch 4 x 256, in fp32 with
its best CPU settings: the OpenBLAS kernel that matches the CPU
(OPENBLAS_CORETYPE, unless already set), one thread per CPU, and
OMP_WAIT_POLICY=PASSIVE. tunepilot's figures come from bench_train run by
this script at the pilot's defaults (`--compute auto`: QLoRA's frozen
products in bf16 where the CPU has AVX512_BF16, else fp32), with LoRA beside. Prints both tokens/s and the ratios. A benchmark, not a test
(and not run in CI): it needs Debian's python3-torch and skips otherwise.

usage: bench/bench_torch.py [--seconds S] [--threads N] [--bench PATH] [SHAPE...]
       shapes: 49k smollm2-135m (default both), tiny, 15M, smollm2-360m
"""
import argparse
import os
import re
import subprocess
import sys
import time

SHAPES = {  # hidden, intermediate, layers, heads, kv heads, vocab (as in bench_train.c)
    "tiny": (64, 172, 5, 8, 4, 512),
    "15M": (288, 768, 6, 6, 6, 32000),
    "49k": (288, 768, 6, 6, 6, 49153),
    "smollm2-135m": (576, 1536, 30, 9, 3, 49152),
    "smollm2-360m": (960, 2560, 32, 15, 5, 49152),
}


def cpu_core_type():
    """The OpenBLAS core type for this CPU's vector units (as tunepilot picks it)."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return None
    flags = set(re.search(r"^flags\s*:(.*)$", text, re.M).group(1).split())
    amd = "AuthenticAMD" in text or "HygonGenuine" in text
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"} <= flags:
        return "Cooperlake" if "avx512_bf16" in flags else "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Zen" if amd else "Haswell"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="timed seconds per case")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "bench_train"))
    ap.add_argument("shapes", nargs="*", default=["49k", "smollm2-135m"])
    args = ap.parse_args()
    for s in args.shapes:
        if s not in SHAPES:
            sys.exit(f"bench_torch: unknown shape {s} (one of {', '.join(SHAPES)})")

    # PyTorch's best settings, before torch (and its OpenBLAS) loads
    core = os.environ.get("OPENBLAS_CORETYPE") or cpu_core_type()
    if core and not os.environ.get("OPENBLAS_CORETYPE"):
        os.environ["OPENBLAS_CORETYPE"] = core
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    try:
        import torch
    except ImportError:
        print("bench_torch: PyTorch is not installed (sudo apt-get install python3-torch); skipped")
        return 0
    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, {args.threads} threads, OPENBLAS_CORETYPE={core}, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")

    for name in args.shapes:
        # PyTorch before and after tunepilot: their mean brackets the
        # tunepilot run, so a change of the machine's load in between
        # falls on both sides alike
        t1 = run_torch(torch, name, args.seconds)
        tp = run_tunepilot(args.bench, name, args.seconds, args.threads)
        t2 = run_torch(torch, name, args.seconds)
        torch_tps = (t1 + t2) / 2
        print(f"{name}: PyTorch fp32 LoRA {torch_tps:.0f} tok/s ({t1:.0f} before, {t2:.0f} after; "
              f"load average {os.getloadavg()[0]:.1f})", end="")
        for method in ("qlora-bf16", "qlora-fp32", "lora"):
            if method in tp:
                print(f"; tunepilot {method} {tp[method]:.0f} tok/s ({tp[method] / torch_tps:.2f}x)",
                      end="")
        print()
        sys.stdout.flush()
    return 0


def run_torch(torch, name, seconds):
    import math
    import torch.nn.functional as F

    C, FF, L, H, KV, V = SHAPES[name]
    D, B, T, r, alpha, p = C // H, 4, 256, 16, 32.0, 0.05
    torch.manual_seed(1)
    g = lambda *s: (torch.randn(*s) * 0.02)
    embed = g(V, C)
    layers = []
    for _ in range(L):
        layers.append({
            "q": g(H * D, C), "k": g(KV * D, C), "v": g(KV * D, C), "o": g(C, H * D),
            "gate": g(FF, C), "up": g(FF, C), "down": g(C, FF),
        })
    lora = []
    for lw in layers:
        d = {}
        for k, w in lw.items():
            a = torch.empty(r, w.shape[1])
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))  # PEFT's init
            d[k] = (a.requires_grad_(), torch.zeros(w.shape[0], r, requires_grad=True))
        lora.append(d)
    params = [t for d in lora for pair in d.values() for t in pair]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    inv = 1.0 / (10000 ** (torch.arange(0, D, 2).float() / D))
    ang = torch.arange(T).float()[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    mask = torch.full((T, T), float("-inf")).triu(1)
    ids = torch.tensor([(i * 7919) % V for i in range(B * T)]).view(B, T)
    tg = torch.tensor([(i * 104729 + 3) % V for i in range(B * T)]).view(B, T)
    s = alpha / r

    def lin(x, w, ab):
        return x @ w.t() + s * (F.dropout(x, p, True) @ ab[0].t()) @ ab[1].t()

    def rms(x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)

    def rot(x):
        h = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., h:], x[..., :h]], -1) * sin

    def step():
        x = embed[ids]
        for lw, la in zip(layers, lora):
            hn = rms(x)
            q = rot(lin(hn, lw["q"], la["q"]).view(B, T, H, D).transpose(1, 2))
            k = rot(lin(hn, lw["k"], la["k"]).view(B, T, KV, D).transpose(1, 2))
            v = lin(hn, lw["v"], la["v"]).view(B, T, KV, D).transpose(1, 2)
            k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, -1)
            x = x + lin((att @ v).transpose(1, 2).reshape(B, T, C), lw["o"], la["o"])
            hn = rms(x)
            x = x + lin(F.silu(lin(hn, lw["gate"], la["gate"])) * lin(hn, lw["up"], la["up"]),
                        lw["down"], la["down"])
        logits = rms(x) @ embed.t()
        loss = F.cross_entropy(logits.view(-1, V), tg.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    step()  # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        el = time.perf_counter() - t0
        if n >= 2 and el > seconds:
            break
    return n * B * T / el


def run_tunepilot(bench, name, seconds, threads):
    if not os.access(bench, os.X_OK):
        print(f"bench_torch: {bench} not found (build first: cmake --build build)")
        return {}
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_CORETYPE", None)  # tunepilot picks its own kernel
    env.pop("OMP_WAIT_POLICY", None)
    # tunepilot at its defaults: the pilot's compute type (bf16 where the CPU
    # has it) alone in its process, as a pilot runs it
    out = subprocess.run([bench, str(seconds), "--compute", "auto", name], env=env,
                         capture_output=True, text=True)
    tps = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(\S+)\s+(qlora-fp32|qlora-bf16|lora|full)\s+(\d+)\s+(\d+)", line)
        if m and m.group(1) == name:
            tps[m.group(2)] = float(m.group(4))
        if line.startswith("batch ") or line.startswith("# ") or "QLoRA" in line:
            print("tunepilot: " + line)
    return tps


if __name__ == "__main__":
    sys.exit(main())
