"""Performance of the depth experiments and the gradient explorer.

Run from the repository root:

    .venv/bin/python benchmarks/bench_depth.py

It measures, in one run, and prints each figure with its target:

(a) the library's forward+backward time over a bare chain of ``@`` products
    of the same shapes (depth 1000, width 128, batch 64); target <= 1.2.
    The bare chain keeps every layer's output, as backpropagation must, and
    does the three products per layer (r @ W forward; r.T @ dz and dz @ W.T
    backward) with nothing else. Two library paths are timed:
    ``rp.Network.forward`` + ``backward`` (the course's network), and
    ``rp.gradient_profile`` with its weights kept in a ``WeightCache`` (the
    depth experiment; the same call without a cache, which draws every
    layer's weights twice, is shown too, without a target);
(b) the explorer's update time, compute + draw, at depth 2000 and width 64
    (batch 16, ReLU), moving the scale slider; target <= 0.3 s;
(c) peak memory of one explorer update at the sliders' maxima (depth 2000,
    width 512, batch 64), in a fresh subprocess: tracemalloc's peak (NumPy's
    allocations) during the update, and the process's peak resident size
    (``VmHWM``, interpreter and libraries included); target <= 1 GiB;
(d) one update at each of a few slider positions at the edges of the
    ranges (:data:`EXTREMES`), each in a fresh process, and the worst of
    them; target <= 1 s.

Times are the best (minimum) of a block of repeats of each function after
a warm-up, with the median beside it: the minimum is the least disturbed by
other work on the machine. The
load average at the start is printed, since other processes sharing the two
cores slow multithreaded BLAS down a lot.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np

import reluprop as rp
from reluprop import experiments as ex

GiB = 2**30
MiB = 2**20


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def timed(fn, repeats):
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


# ---------------------------------------------------------------------------
# (a) library forward+backward against the bare chain of @ products
# ---------------------------------------------------------------------------


def bench_a(repeats=9):
    L, n, B, seed = 1000, 128, 64, 0
    std = rp.init_std("he", n, n, 1.0)
    Ws = [ex.base_weights(seed, n, k) * std for k in range(L)]
    x = np.random.default_rng([seed, 0]).standard_normal((B, n))
    y = np.zeros((B, n))
    act = rp.get_activation("relu")

    def bare():
        rs = [x]
        r = x
        for W in Ws:
            r = r @ W
            rs.append(r)
        d = rs[-1]
        for k in range(L - 1, -1, -1):
            rs[k].T @ d  # dW
            d = d @ Ws[k].T

    layers = [rp.Layer(W) for W in Ws]
    net = rp.Network(layers, activation="relu", output_activation="relu")

    def steps_only():
        # the library's forward steps and its backward loop, without the Network's input checks
        rs, zs = [x], [None]
        r = x
        for layer in layers:
            z, r, _ = layer.forward(r, act)
            zs.append(z)
            rs.append(r)
        trace = rp.Trace(z=zs, r=rs)
        rp.network.backpropagate(layers, lambda k: act, trace, rs[-1])

    def network():
        net.backward(net.forward(x), y)

    cache = ex.WeightCache(max_bytes=2 * L * n * n * 8)  # base draws and the scaled weights

    def profile_in_memory():
        ex.gradient_profile(L, n, "relu", 1.0, B, seed=seed, cache=cache)

    def profile_drawn_again():
        ex.gradient_profile(L, n, "relu", 1.0, B, seed=seed)

    fns = {"bare": bare, "network": network, "profile": profile_in_memory, "steps": steps_only,
           "redraw": profile_drawn_again}
    # Each function is timed in its own block of repeats, after a warm-up: the steady state of
    # repeated use. (Interleaving them makes each one start from the others' heap, and the
    # page faults of fresh memory then dominate: results swing by 30 % or more.)
    times = {}
    for name, fn in fns.items():
        fn()
        times[name] = timed(fn, repeats if name != "redraw" else 3)
    best = {name: min(t) for name, t in times.items()}
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"(a) forward+backward over the bare chain of @ products (depth {L}, width {n}, batch {B})")
    print(f"    bare chain of @ (3 products per layer)      best {best['bare']:.3f} s  median {med['bare']:.3f} s")
    rows = [
        ("network", "rp.Network forward + backward", True),
        ("profile", "rp.gradient_profile, weights in memory", True),
        ("steps", "Layer.forward + backpropagate alone", False),
        ("redraw", "rp.gradient_profile, weights drawn again", False),
    ]
    results = {}
    for key, label, has_target in rows:
        ratio = best[key] / best["bare"]
        results[key] = ratio
        tail = f"target <= 1.2: {verdict(ratio <= 1.2)}" if has_target else "(no target)"
        print(f"    {label:42s}  best {best[key]:.3f} s  median {med[key]:.3f} s  ratio {ratio:.2f}  {tail}")
    # where gradient_profile's time goes
    spent = {}

    def wrap(name, label):
        orig = getattr(ex, name)

        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            out = orig(*args, **kwargs)
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
            return out

        setattr(ex, name, timed_call)
        return orig

    originals = {name: wrap(name, label) for name, label in
                 [("backpropagate", "backward loop (norms included)"),
                  ("_norm", "norms (4 per layer)"), ("mean_field_profile", "theory")]}
    try:
        start = time.perf_counter()
        profile_in_memory()
        total = time.perf_counter() - start
    finally:
        for name, orig in originals.items():
            setattr(ex, name, orig)
    parts = ", ".join(f"{label} {1e3 * t:.0f} ms" for label, t in spent.items())
    print(f"    gradient_profile's time (one call, {1e3 * total:.0f} ms): {parts}; "
          f"the rest (forward loop, unit statistics, flags) "
          f"{1e3 * (total - spent.get('backward loop (norms included)', 0) - spent.get('theory', 0)):.0f} ms "
          f"(the norms are counted in both loops)")
    return results


# ---------------------------------------------------------------------------
# (b) explorer update time
# ---------------------------------------------------------------------------


def bench_b(repeats=9):
    from reluprop.widgets import gradient_explorer

    explorer = gradient_explorer(depth=2000, scale=1.0, width=64, batch=16, activation="relu")
    scales = [0.5, 2.0, 1.0]
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        explorer.controls["scale"].value = scales[i % len(scales)]
        times.append(time.perf_counter() - start)
    # where the time goes: compute and draw separately
    compute = timed(lambda: ex.gradient_profile(2000, 64, "relu", 1.0, 16, seed=0, cache=explorer.cache), 5)
    # a depth change draws the new layers' weights once
    start = time.perf_counter()
    explorer.controls["depth"].value = 1500
    shrink = time.perf_counter() - start
    best, med = min(times), statistics.median(times)
    print("(b) explorer update, compute + draw (depth 2000, width 64, batch 16, moving the scale slider)")
    print(f"    best {best:.3f} s  median {med:.3f} s  target <= 0.3 s: {verdict(med <= 0.3)} (judged on the median)")
    print(f"    of which compute {min(compute):.3f} s (best), draw about {max(best - min(compute), 0):.3f} s;"
          f" a depth move 2000 -> 1500: {shrink:.3f} s")
    return med


# ---------------------------------------------------------------------------
# (c) peak memory at the sliders' maxima, in a fresh process
# ---------------------------------------------------------------------------

#: Prepended to the child scripts: the peak resident size of the child's own process image.
_PEAK_RSS = r"""
import resource


def _peak_rss():
    # VmHWM: this process image's peak resident size (ru_maxrss would also count the
    # parent's peak, which a child inherits on Linux across fork and exec)
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
"""

_CHILD = _PEAK_RSS + r"""
import sys, time, tracemalloc
from reluprop.widgets import gradient_explorer
start = time.perf_counter()
explorer = gradient_explorer(depth=2000, scale=1.0, width=512, batch=64, activation="relu")
build = time.perf_counter() - start
tracemalloc.start()
start = time.perf_counter()
explorer.controls["scale"].value = 2.0   # one update: compute + draw
update = time.perf_counter() - start
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
rss = _peak_rss()
print(peak, rss, build, update, explorer.result.flagged)
"""


def bench_c():
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
    peak, rss, build, update, flagged = out.stdout.split()
    peak, rss = int(peak), int(rss)
    naive = 2000 * 512 * 512 * 8
    stored_z = 2000 * 64 * 512 * 8
    ok = peak <= GiB and rss <= GiB
    print("(c) peak memory of one explorer update at the sliders' maxima (depth 2000, width 512, batch 64)")
    print(f"    tracemalloc peak during the update {peak / MiB:.0f} MiB; process peak RSS {rss / MiB:.0f} MiB;"
          f" target <= 1024 MiB: {verdict(ok)}")
    print(f"    (storing the weights would take {naive / GiB:.1f} GiB; the kept per-layer activations take"
          f" {stored_z / MiB:.0f} MiB; update took {float(update):.1f} s, building {float(build):.1f} s)")
    return peak, rss


# ---------------------------------------------------------------------------
# (d) the worst slider position: one update at each extreme, in a fresh process
# ---------------------------------------------------------------------------

#: Slider positions at the edges of the explorer's ranges (depth, width, batch, activation):
#: the cost of one update grows with depth * batch * width**2, and smooth activations
#: evaluate f and f' where ReLU only compares with 0.
EXTREMES = [
    (2000, 512, 64, "relu"),
    (2000, 512, 64, "tanh"),
    (2000, 512, 1, "relu"),
    (2000, 64, 64, "sigmoid"),
    (100, 512, 64, "leaky_relu"),
]

_CHILD_POSITION = _PEAK_RSS + r"""
import sys, time
from reluprop.widgets import gradient_explorer
depth, width, batch, activation = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
explorer = gradient_explorer(depth=depth, scale=1.0, width=width, batch=batch, activation=activation)
start = time.perf_counter()
explorer.controls["scale"].value = 2.0   # one update: compute + draw
update = time.perf_counter() - start
print(update, _peak_rss())
"""


def bench_d(positions=EXTREMES):
    print("(d) one explorer update (scale 1 -> 2) at the edges of the sliders, each in a fresh process")
    worst = None
    for depth, width, batch, activation in positions:
        out = subprocess.run([sys.executable, "-c", _CHILD_POSITION, str(depth), str(width), str(batch),
                              activation], capture_output=True, text=True, check=True)
        update, rss = out.stdout.split()
        update, rss = float(update), int(rss)
        print(f"    depth {depth:4d}, width {width:3d}, batch {batch:2d}, {activation:10s}"
              f"  update {update:6.2f} s  peak RSS {rss / MiB:5.0f} MiB")
        if worst is None or update > worst[0]:
            worst = (update, depth, width, batch, activation)
    update, depth, width, batch, activation = worst
    print(f"    worst position found: depth {depth}, width {width}, batch {batch}, {activation}: "
          f"{update:.2f} s; target <= 1 s: {verdict(update <= 1.0)}")
    return worst


def main():
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_depth: numpy {np.__version__}, {os.cpu_count()} cores, load average {load:.2f}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    bench_a()
    bench_b()
    bench_c()
    bench_d()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end {load:.2f}")


if __name__ == "__main__":
    main()
