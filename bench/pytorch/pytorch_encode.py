#!/usr/bin/env python3
"""Inference throughput of the MLP VAE's encoder alone, in PyTorch on CPU (float32, no_grad).

Mirrors the encoder of pytorch_mlp_vae.py exactly: Linear(784, 50), ReLU, Linear(50, 50), ReLU,
Linear(50, 4), whose output splits into mu = h[:, :2] and logvar = h[:, 2:] (a 2-D latent).
Weights are PyTorch's default init (untrained): the arithmetic does not depend on their values.

Input: one fixed random uint8 tensor of 10000x784 (torch.randint, seed 0) made once, tiled as
needed to reach each size. Every batch is converted to float32 / 255 inside the timed loop, as
the Java side decodes bytes too. A few warm-up batches run first. For each size, prints one line:
{"case":"pytorch encode","threads":T,"batch":B,"images":N,"seconds":S,"images_per_s":R}
usage: pytorch_encode.py [--sizes 10000,100000,1000000,10000000] [--threads 1] [--batch 10000]"""
import argparse, json, time, torch, torch.nn as nn

POOL = 10000  # rows in the fixed uint8 source tensor


class Encoder(nn.Module):
    def __init__(s):
        super().__init__()
        s.enc = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 50), nn.ReLU(), nn.Linear(50, 4))

    def forward(s, x):
        h = s.enc(x)
        return h[:, :2], h[:, 2:]


def encode(m, pool, start, n, batch):
    """Encodes images start .. start+n-1 of the endless tiling of pool, batch rows at a time."""
    done = 0
    while done < n:
        b = min(batch, n - done)
        i = (start + done) % POOL
        rows = pool[i:i + b] if i + b <= POOL else torch.cat([pool[i:], pool[:i + b - POOL]])
        while rows.shape[0] < b:  # batch larger than the pool
            rows = torch.cat([rows, pool[:b - rows.shape[0]]])
        mu, logvar = m(rows.to(torch.float32) / 255.0)
        done += b
    return mu, logvar


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sizes', default='10000,100000,1000000,10000000', help='comma list of image counts')
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads')
    p.add_argument('--batch', type=int, default=10000, help='images per forward pass')
    a = p.parse_args()
    sizes = [int(s) for s in a.sizes.split(',') if s.strip()]
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    pool = torch.randint(0, 256, (POOL, 784), generator=g, dtype=torch.uint8)
    torch.manual_seed(0)
    m = Encoder().eval()
    with torch.no_grad():
        encode(m, pool, 0, 3 * a.batch, a.batch)  # warm-up
        for n in sizes:
            t = time.perf_counter()
            encode(m, pool, 0, n, a.batch)
            dt = time.perf_counter() - t
            print(json.dumps({'case': 'pytorch encode', 'threads': a.threads, 'batch': a.batch, 'images': n,
                              'seconds': round(dt, 4), 'images_per_s': round(n / dt, 1)},
                             separators=(',', ':')), flush=True)


if __name__ == '__main__':
    main()
