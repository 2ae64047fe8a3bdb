"""One training step at a thousand layers, against the bare chain of matrix products.

Run from the repository root:

    .venv/bin/python benchmarks/bench_training.py

A training step of the chapter *Training a thousand layers* is what
``rp.training.train`` does once per minibatch: ``Network.gradients`` (the
forward pass and the one backward loop), then ``sgd_update`` on every block's
parameters and ``Network.with_block_params`` to hold the result. It is timed
for two networks with 1000 weight layers of width 64 and a batch of 64:

- plain: 1000 dense ReLU layers, He-initialized;
- residual: 500 residual blocks with two-layer branches (``init_residual_blocks``,
  branch scale 1/sqrt(500)).

Each is compared with the bare chain of the same matrix products: the forward
products, keeping every layer's output as backpropagation must, the two
backward products per weight matrix (``r.T @ dz`` and ``dz @ W.T``) and the
update ``W - lr * dW``, with nothing else (no activation, no bias, no
checks). The target for the plain network's ratio is <= 1.3; the residual
network's ratio is printed beside it, without a target (its step also adds the
identity path, biases and the branch scale).

Times are the best (minimum) of a block of repeats after a warm-up, with the
median beside it; the load average at the start is printed, since other work
on the two cores slows multithreaded BLAS down. Ratios come from one run and
are never asserted in the tests.
"""

from __future__ import annotations

import os
import statistics

import numpy as np

import reluprop as rp
from bench_depth import timed  # the same timing rule as the other benchmark (this folder is on sys.path)
from reluprop.training import sgd_update

DEPTH, WIDTH, BATCH, LR = 1000, 64, 64, 0.01


def library_step(net, x, y):
    grads = net.gradients(x, y)
    new = [sgd_update(p, g, LR) for p, g in zip((b.params for b in net.layers), grads.params)]
    return net.with_block_params(new, check=False)


def bare_chain(weights, x, y):
    """Forward products (outputs kept), two backward products per matrix, and the update."""
    rs = [x]
    r = x
    for W in weights:
        r = r @ W
        rs.append(r)
    d = rs[-1] - y
    new = [None] * len(weights)
    for k in range(len(weights) - 1, -1, -1):
        dW = rs[k].T @ d
        d = d @ weights[k].T
        new[k] = weights[k] - LR * dW
    return new


def bench(label, net, weights, x, y, repeats, target=None):
    library_step(net, x, y)
    bare_chain(weights, x, y)
    lib = timed(lambda: library_step(net, x, y), repeats)
    bare = timed(lambda: bare_chain(weights, x, y), repeats)
    ratio = min(lib) / min(bare)
    tail = f"target <= {target}: {'met' if ratio <= target else 'MISSED'}" if target else "(no target)"
    print(f"{label}")
    print(f"    library step   best {min(lib):.3f} s  median {statistics.median(lib):.3f} s")
    print(f"    bare chain     best {min(bare):.3f} s  median {statistics.median(bare):.3f} s")
    print(f"    ratio {ratio:.2f}  {tail}")
    return ratio


def main(repeats=7):
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, WIDTH))
    y = rng.standard_normal((BATCH, WIDTH))

    plain = rp.Network(rp.init_layers([WIDTH] * (DEPTH + 1), rng=rng), "relu", "identity")
    bench(f"plain ReLU network, {DEPTH} layers of width {WIDTH}, batch {BATCH}",
          plain, plain.W, x, y, repeats, target=1.3)

    blocks = rp.residual.init_residual_blocks(WIDTH, DEPTH // 2, rng=rng)
    residual = rp.Network(blocks, "relu", "identity")
    # The same products: per block x @ W1 and h @ W2 forward; two backward products each.
    weights = [w for b in blocks for w in (b.W1, b.W2)]
    bench(f"residual network, {DEPTH // 2} blocks of two weight layers, width {WIDTH}, batch {BATCH}",
          residual, weights, x, y, repeats)


if __name__ == "__main__":
    main()
