#!/usr/bin/env python3
"""microgpt.py's model in PyTorch, timed the way `./microgpt bench --json` times ours.

The model is the one of Karpathy's microgpt.py and of io.github.microgpt.model.ArrayGptModel:
token and position embeddings, an RMSNorm after the embedding and before each block (no gain, eps 1e-5), attention
with nHead heads and no biases, an MLP 4x wide with ReLU and no biases, a separate lm_head;
weights drawn from N(0, 0.08); Adam with beta1 0.85, beta2 0.99, eps 1e-8. One step trains one
document: the whole document in one forward pass with a causal mask (the same arithmetic as
microgpt.py's position-by-position loop with a KV cache), the mean loss over its positions,
backward, Adam.

What it measures, like `./microgpt bench`:
- with no model option: the reference run, the embedded names shuffled with seed 42 at
  nLayer 1, nEmbd 16, 4 heads, block size 16, Adam at 0.01;
- with any of --n-embd, --n-layer, --n-head, --block-size: that size, on documents of blockSize
  random letters (so that every step trains blockSize positions), Adam at 1e-4;
- a warm-up of --seconds, then --seconds of steps cut into five slices; the median slice is
  reported; likewise generated tokens (temperature 0.5, one token at a time with a KV cache).
GFLOP/s uses the same analytic count as io.github.microgpt.model.FlopCount. The peak is a
matrix product (512 x 512) in the chosen precision on --threads intra-op threads, the best of five
slices timed in the calling thread's processor time: what this PyTorch build's BLAS reaches on
those cores (with more than one thread the calling thread works alongside the others, so its
processor time is about the product's wall time when they run at once).

It prints one JSON object in the shape of `./microgpt bench --json`; the engine is named
"pytorch-f64" or "pytorch-f32".

    python3 bench_microgpt.py --dtype f64 --n-embd 256 --n-layer 4 --n-head 8 --block-size 64
    python3 bench_microgpt.py --dtype f32 --seconds 5

Nothing in the Maven build runs this script.
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = os.path.join(HERE, "..", "..", "microgpt-core", "src", "main", "resources",
                     "io", "github", "microgpt", "text", "names.txt")
REFERENCE = dict(n_layer=1, n_embd=16, n_head=4, block_size=16)
SLICES = 5


def rmsnorm(x):
    # x * (mean(x^2) + 1e-5)^-0.5 over the last dimension; no learned gain
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-5)


class Gpt(torch.nn.Module):
    """microgpt.py's GPT (the module's docstring says what it holds), for a whole document at once."""

    def __init__(self, vocab_size, n_layer, n_embd, n_head, block_size, dtype):
        super().__init__()
        self.n_layer, self.n_embd, self.n_head = n_layer, n_embd, n_head
        self.head_dim = n_embd // n_head

        def matrix(nout, nin):
            return torch.nn.Parameter(torch.randn(nout, nin, dtype=dtype) * 0.08)

        self.wte = matrix(vocab_size, n_embd)
        self.wpe = matrix(block_size, n_embd)
        self.lm_head = matrix(vocab_size, n_embd)
        self.layers = torch.nn.ModuleList()
        for _ in range(n_layer):
            layer = torch.nn.Module()
            layer.attn_wq = matrix(n_embd, n_embd)
            layer.attn_wk = matrix(n_embd, n_embd)
            layer.attn_wv = matrix(n_embd, n_embd)
            layer.attn_wo = matrix(n_embd, n_embd)
            layer.mlp_fc1 = matrix(4 * n_embd, n_embd)
            layer.mlp_fc2 = matrix(n_embd, 4 * n_embd)
            self.layers.append(layer)

    def forward(self, tokens):
        """Logits for every position of a document: tokens (T,) -> (T, vocab)."""
        T = tokens.shape[0]
        x = rmsnorm(self.wte[tokens] + self.wpe[:T])  # (T, d)
        for layer in self.layers:
            x_residual = x
            x = rmsnorm(x)
            # (T, d) -> (H, T, head_dim)
            q = (x @ layer.attn_wq.T).view(T, self.n_head, self.head_dim).transpose(0, 1)
            k = (x @ layer.attn_wk.T).view(T, self.n_head, self.head_dim).transpose(0, 1)
            v = (x @ layer.attn_wv.T).view(T, self.n_head, self.head_dim).transpose(0, 1)
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)  # (H, T, hd)
            x = y.transpose(0, 1).reshape(T, self.n_embd) @ layer.attn_wo.T + x_residual
            x_residual = x
            x = rmsnorm(x)
            x = torch.relu(x @ layer.mlp_fc1.T) @ layer.mlp_fc2.T + x_residual
        return x @ self.lm_head.T

    @torch.no_grad()
    def forward_one(self, token, pos, cache):
        """Logits of one position given the earlier ones' keys and values (microgpt.py's gpt())."""
        x = rmsnorm(self.wte[token] + self.wpe[pos])  # (d,)
        for layer, (keys, values) in zip(self.layers, cache):
            x_residual = x
            x = rmsnorm(x)
            q = (layer.attn_wq @ x).view(self.n_head, 1, self.head_dim)
            keys.append((layer.attn_wk @ x).view(self.n_head, 1, self.head_dim))
            values.append((layer.attn_wv @ x).view(self.n_head, 1, self.head_dim))
            k = torch.cat(keys, dim=1)  # (H, t+1, hd)
            v = torch.cat(values, dim=1)
            weights = torch.softmax((q @ k.transpose(1, 2)) / math.sqrt(self.head_dim), dim=-1)
            x = layer.attn_wo @ (weights @ v).reshape(self.n_embd) + x_residual
            x_residual = x
            x = rmsnorm(x)
            x = layer.mlp_fc2 @ torch.relu(layer.mlp_fc1 @ x) + x_residual
        return self.lm_head @ x


def flops_forward_position(n_layer, d, h, vocab, position):
    """FlopCount.forwardPosition: the analytic count of the Java library."""
    attended = position + 1
    rmsnorms = (1 + 2 * n_layer) * (3 * d + 3)
    per_layer = 24 * d * d + 6 * d + h + attended * (4 * d + 6 * h)
    return d + rmsnorms + n_layer * per_layer + 2 * vocab * d


def flops_training_step(n_layer, d, h, vocab, positions, parameters):
    """FlopCount.trainingStep: 3 x (forward + loss) per position, and 14 per parameter for Adam."""
    forward = sum(flops_forward_position(n_layer, d, h, vocab, t) + 5 * vocab + 3 for t in range(positions))
    return 3 * forward + 14 * parameters


def peak_gflops(dtype, seconds):
    """The best of five slices of a 512 x 512 matrix product on torch's intra-op threads.

    Timed in the thread's processor time (as the Java bench times its peak kernel), so that time
    spent waiting for a core on a busy machine does not make the core look slower than it is.
    """
    a = torch.randn(512, 512, dtype=dtype)
    b = torch.randn(512, 512, dtype=dtype)
    flops = 2 * 512 ** 3
    best = 0.0
    deadline = time.thread_time() + seconds / 2
    while time.thread_time() < deadline:
        torch.mm(a, b)
    for _ in range(SLICES):
        n = 0
        start = time.thread_time()
        end = start + seconds / 10
        while True:
            torch.mm(a, b)
            n += 1
            now = time.thread_time()
            if now >= end:
                break
        best = max(best, n * flops / (now - start) / 1e9)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=["f64", "f32"], default="f64")
    parser.add_argument("--n-layer", type=int)
    parser.add_argument("--n-embd", type=int)
    parser.add_argument("--n-head", type=int)
    parser.add_argument("--block-size", type=int)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    parser.add_argument("--adam", choices=["default", "foreach", "fused"], default="default",
                        help="torch.optim.Adam's implementation (default: PyTorch's choice on this device)")
    args = parser.parse_args()
    if not (args.seconds > 0):
        parser.error("--seconds must be positive")

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(42)
    dtype = torch.float64 if args.dtype == "f64" else torch.float32

    sizes = dict(n_layer=args.n_layer, n_embd=args.n_embd, n_head=args.n_head, block_size=args.block_size)
    reference = all(value is None for value in sizes.values())
    config = {key: (REFERENCE[key] if value is None else value) for key, value in sizes.items()}
    for key, value in config.items():
        if value < 1:
            parser.error(f"--{key.replace('_', '-')} must be at least 1, got {value}")
    if config["n_embd"] % config["n_head"]:
        parser.error(f"--n-embd ({config['n_embd']}) must be divisible by --n-head ({config['n_head']})")

    if reference:
        with open(NAMES, encoding="utf-8") as f:
            docs = [line.strip() for line in f if line.strip()]
        random.seed(42)
        random.shuffle(docs)  # as microgpt.py does
        learning_rate = 0.01
    else:
        rng = random.Random(7)
        docs = ["".join(chr(ord("a") + rng.randrange(26)) for _ in range(config["block_size"]))
                for _ in range(256)]
        learning_rate = 1e-4
    uchars = sorted(set("".join(docs)))
    bos = len(uchars)
    vocab = len(uchars) + 1
    index = {c: i for i, c in enumerate(uchars)}
    encoded = []
    for doc in docs:
        tokens = [bos] + [index[c] for c in doc] + [bos]
        n = min(config["block_size"], len(tokens) - 1)
        encoded.append((torch.tensor(tokens[:n]), torch.tensor(tokens[1:n + 1]), n))

    model = Gpt(vocab, config["n_layer"], config["n_embd"], config["n_head"], config["block_size"], dtype)
    parameters = sum(p.numel() for p in model.parameters())
    adam_options = {} if args.adam == "default" else {args.adam: True}
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, betas=(0.85, 0.99), eps=1e-8,
                                 **adam_options)
    step_flops = [flops_training_step(config["n_layer"], config["n_embd"], config["n_head"], vocab, n, parameters)
                  for _, _, n in encoded]

    done = [0]

    def step():
        inputs, targets, _ = encoded[done[0] % len(encoded)]
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        done[0] += 1

    deadline = time.perf_counter() + args.seconds
    while time.perf_counter() < deadline:
        step()
    step_rates, gflop_rates = [], []
    for _ in range(SLICES):
        steps, flops = 0, 0
        start = time.perf_counter()
        end = start + args.seconds / SLICES
        while True:
            flops += step_flops[done[0] % len(encoded)]
            step()
            steps += 1
            now = time.perf_counter()
            if now >= end:
                break
        step_rates.append(steps / (now - start))
        gflop_rates.append(flops / (now - start) / 1e9)
    median = sorted(range(SLICES), key=lambda i: step_rates[i])[SLICES // 2]

    generator = torch.Generator().manual_seed(7)

    def generate(deadline):
        tokens = 0
        while True:
            cache = [([], []) for _ in range(config["n_layer"])]
            token = bos
            for pos in range(config["block_size"]):
                logits = model.forward_one(token, pos, cache)
                probs = torch.softmax(logits / 0.5, dim=-1)
                token = int(torch.multinomial(probs, 1, generator=generator))
                tokens += 1
                if time.perf_counter() >= deadline:
                    return tokens
                if token == bos:
                    break

    generate(time.perf_counter() + args.seconds / 2)
    token_rates = []
    for _ in range(SLICES):
        start = time.perf_counter()
        tokens = generate(start + args.seconds / SLICES)
        token_rates.append(tokens / (time.perf_counter() - start))

    peak = peak_gflops(dtype, min(1.0, args.seconds))
    result = {
        "engines": [{
            "engine": "pytorch-" + args.dtype,
            "precision": args.dtype,
            "threads": torch.get_num_threads(),
            "stepsPerSecond": round(step_rates[median], 1),
            "tokensPerSecond": round(statistics.median(token_rates), 1),
            "gflopsPerSecond": round(gflop_rates[median], 4),
            "peakGflopsPerSecond": round(peak, 2),
            "peakThreads": torch.get_num_threads(),
            "shareOfPeak": round(gflop_rates[median] / peak, 4),
        }],
        "configuration": {
            "nLayer": config["n_layer"], "nEmbd": config["n_embd"], "nHead": config["n_head"],
            "blockSize": config["block_size"], "vocabSize": vocab, "parameters": parameters,
            "documents": "names" if reference else "random letters",
        },
        "pytorch": {"version": torch.__version__, "threads": torch.get_num_threads(), "adam": args.adam},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
