"""Performance of the depth experiments and the gradient explorer.

Run from the repository root:

    .venv/bin/python benchmarks/bench_depth.py

It measures, in one run, and prints each figure with its target:

(a) the library's forward+backward time over a bare chain of ``@`` products
    of the same shapes (depth 1000, width 128, batch 64); target <= 1.2.
    The bare chain keeps every layer's output, as backpropagation must, and
    does the three products per layer (r @ W forward; r.T @ dz and dz @ W.T
    backward) with nothing else; it discards each weight gradient as soon as
    it is computed. ``rp.Network.backward`` returns them all (training needs
    them), which costs fresh memory for 1000 matrices of 128 x 128, so a
    second baseline, the same chain keeping its weight gradients in a list,
    is timed too and the network's ratio to it printed beside (no target of
    its own: the target is the issue's, against the first). A third baseline
    writes the network's own arithmetic inline (the bias, ReLU, and its
    derivative in ``eq-backward-dz``) and keeps every array the network
    returns (z and r forward; dz, dr, dW and db backward): the network's
    ratio to it is what the library's code itself adds (its loop, its checks,
    its function calls), apart from the arithmetic and the memory that the
    answer asks for. Two library paths are timed:
    ``rp.Network.forward`` + ``backward`` (the course's network), and
    ``rp.gradient_profile`` with its weights kept in a ``WeightCache`` (the
    depth experiment; the same call without a cache, which draws every
    layer's weights twice, is shown too, without a target);
(b) the notebook explorer over its whole grid, in a fresh process per thread
    setting (one BLAS thread, and the default number): one update is what the
    explorer does when a control moves, ``gradient_profile`` with the
    explorer's ``WeightCache`` (``reluprop.widgets.CACHE_BYTES``) and the
    figure drawn to PNG. For each architecture (plain, residual) and init
    (Gaussian, orthogonal) it times a first visit (empty cache: every base
    matrix drawn, and QR-factored for orthogonal weights) and a "new draw"
    (the next seed, as cold), then visits every activation, scale and branch
    scale at the largest depth, width and batch (the cost grows with each of
    them; smaller corners are visited too and show it) several times in
    turn, and prints the worst median, the worst first visit, and the peak
    resident size (VmHWM) of the process; targets <= 1 s median per update
    at every position and <= 1 GiB. Wall time and CPU time are both printed:
    on a machine shared with other work the wall time of a one-thread update
    is its CPU time plus the waiting.
    ``--full`` visits every scale of the slider and every branch scale.
    ``--explorer-only`` skips (a).

In (a), times are the best (minimum) of a block of repeats of each function after
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

    def bare_forward():
        rs = [x]
        r = x
        for W in Ws:
            r = r @ W
            rs.append(r)
        return rs

    def bare():
        rs = bare_forward()
        d = rs[-1]
        for k in range(L - 1, -1, -1):
            rs[k].T @ d  # dW
            d = d @ Ws[k].T

    def bare_keeping_dW():
        rs = bare_forward()
        d = rs[-1]
        dWs = [None] * L
        for k in range(L - 1, -1, -1):
            dWs[k] = rs[k].T @ d
            d = d @ Ws[k].T
        return dWs

    b = np.zeros(n)

    def bare_keeping_all():
        # the network's arithmetic written inline (ReLU, its derivative, the bias), keeping every
        # array the network returns: z and r forward; dz, dr, dW and db backward
        zs, rs = [None], [x]
        r = x
        for W in Ws:
            z = r @ W
            z += b
            r = np.maximum(z, 0.0)
            zs.append(z)
            rs.append(r)
        d = rs[-1] - y
        dzs, drs, dWs, dbs = [None] * (L + 1), [None] * (L + 1), [None] * L, [None] * L
        drs[L] = d
        for k in range(L - 1, -1, -1):
            dz = d * (zs[k + 1] > 0)
            dWs[k] = rs[k].T @ dz
            dbs[k] = dz.sum(axis=0)
            d = dz @ Ws[k].T
            dzs[k + 1], drs[k] = dz, d
        return dWs

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

    fns = {"bare": bare, "bare_dW": bare_keeping_dW, "bare_all": bare_keeping_all, "network": network, "profile": profile_in_memory, "steps": steps_only,
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
    print(f"    the same, keeping every weight gradient     best {best['bare_dW']:.3f} s  median {med['bare_dW']:.3f} s")
    print(f"    the network's arithmetic inline, keeping    best {best['bare_all']:.3f} s  median {med['bare_all']:.3f} s")
    print("      all it returns (z, r, dz, dr, dW, db)")
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
        if key == "network":
            print(f"    {'':42s}  ratio to the chain keeping its weight gradients "
                  f"{best[key] / best['bare_dW']:.2f}; to the inline arithmetic keeping all "
                  f"{best[key] / best['bare_all']:.2f}")
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
# (b) the explorer: the worst slider position, cold and warm, 1 thread and default threads
# ---------------------------------------------------------------------------

#: Prepended to the child script: the peak resident size of the child's own process image.
_PEAK_RSS = r"""
import resource


def _peak_rss():
    # VmHWM: this process image's peak resident size (ru_maxrss of a child can also count the
    # parent's peak, which it inherits on Linux across fork and exec)
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
"""

#: One explorer update as the notebook explorer makes it: gradient_profile with the explorer's
#: WeightCache, then the figure (plot_gradient_profile into a 6.4 x 4.2 in Agg figure, legend
#: below, PNG bytes). Prints one JSON line per visit, and the peak RSS at the end.
_CHILD = _PEAK_RSS + r"""
import io, json, sys, time
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from reluprop import experiments as ex, widgets
from reluprop.plotting import plot_gradient_profile

plan = json.loads(sys.argv[1])
figure = Figure(figsize=(6.4, 4.2), dpi=100)
FigureCanvasAgg(figure)


def update(cache, p):
    cpu = time.process_time()
    start = time.perf_counter()
    result = ex.gradient_profile(p["depth"], p["width"], p["activation"], p["scale"], p["batch"], seed=p["seed"],
                                 cache=cache, architecture=p["architecture"], alpha=p["alpha"], init=p["init"])
    computed = time.perf_counter()
    figure.clear()
    ax = figure.add_subplot()
    plot_gradient_profile(result, ax=ax, legend=False)
    handles, labels = ax.get_legend_handles_labels()
    figure.subplots_adjust(left=0.12, right=0.97, top=0.93, bottom=0.26)
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    end = time.perf_counter()
    return end - start, computed - start, time.process_time() - cpu


for group in plan:
    cache = ex.WeightCache(group["cache_bytes"])
    for p in group["visits"]:
        total, compute, cpu = update(cache, p)
        print(json.dumps(dict(p, total=total, compute=compute, cpu=cpu)), flush=True)
print(json.dumps({"peak_rss": _peak_rss()}), flush=True)
"""

_ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def _plan(scales, alphas, repeats, seed=0):
    """The visits, one group per (architecture, init), each with a fresh WeightCache.

    Each group starts with a cold visit (an empty cache: every base matrix is drawn, and QR-factored
    for orthogonal weights) at the largest depth, width and batch, then a "new draw" (seed + 1: cold
    for that seed), then ``repeats`` rounds over every warm position (round-robin, so each visit is a
    move from another position, as a slider move is): every activation, scale and branch scale at
    the largest sizes, and a few smaller (depth, width, batch) corners that show the cost falls
    with each of them.
    """
    from reluprop import widgets

    Lmax, nmax, Bmax = max(widgets.DEPTHS), max(widgets.WIDTHS), max(widgets.BATCHES)
    groups = []
    for architecture in ("plain", "residual"):
        for init in ("gaussian", "orthogonal"):
            alpha_options = alphas if architecture == "residual" else [None]

            def pos(depth=Lmax, width=nmax, batch=Bmax, activation="relu", scale=1.0, alpha=None, s=seed):
                return dict(depth=depth, width=width, batch=batch, activation=activation, scale=scale,
                            alpha=alpha, architecture=architecture, init=init, seed=s)

            visits = [dict(pos(activation="tanh"), kind="cold"), dict(pos(activation="tanh", s=seed + 1), kind="new draw")]
            warm = [pos(activation=a, scale=s, alpha=al, s=seed + 1)
                    for a in widgets.EXPLORER_ACTIVATIONS for s in scales for al in alpha_options]
            warm += [pos(depth=d, width=w, batch=b, s=seed + 1)
                     for d, w, b in ((Lmax // 2, nmax, Bmax), (Lmax, nmax // 2, Bmax), (Lmax, nmax, Bmax // 2))]
            for _ in range(repeats):
                visits += [dict(p, kind="warm") for p in warm]
            groups.append(dict(cache_bytes=widgets.CACHE_BYTES, visits=visits))
    return groups


def _label(p):
    alpha = "" if p["architecture"] == "plain" else (", α = 1/√L" if p["alpha"] is None else f", α = {p['alpha']:g}")
    return (f"depth {p['depth']}, width {p['width']}, batch {p['batch']}, {p['activation']}, s = {p['scale']:g}, "
            f"{p['architecture']}{alpha}, {p['init']}")


def bench_b(scales=(0.25, 1.0, 4.0), alphas=(None, 0.05, 1.0), repeats=3):
    import json

    from reluprop import widgets

    plan = _plan(list(scales), list(alphas), repeats)
    print("(b) the notebook explorer: one update = gradient_profile with the explorer's WeightCache "
          f"({widgets.CACHE_BYTES / MiB:.0f} MiB) + the figure as a PNG;")
    print(f"    sliders: depth up to {max(widgets.DEPTHS)}, width up to {max(widgets.WIDTHS)}, batch up to "
          f"{max(widgets.BATCHES)}; visited: activations {', '.join(widgets.EXPLORER_ACTIVATIONS)}, "
          f"scales {', '.join(f'{s:g}' for s in scales)}, branch scales "
          f"{', '.join('1/√L' if a is None else f'{a:g}' for a in alphas)}, plain and residual, gaussian and "
          f"orthogonal; {repeats} visits per warm position")
    worst = {}
    for threads, env in (("1 thread", _ONE_THREAD), ("default threads", {})):
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        child_env = {k: v for k, v in os.environ.items() if k not in _ONE_THREAD}
        child_env.update(env)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(plan)], capture_output=True, text=True,
                             check=True, env=child_env)
        wall = time.perf_counter() - start
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        peak = rows.pop()["peak_rss"]
        cold = [r for r in rows if r["kind"] != "warm"]
        per_position = {}
        for r in rows:
            if r["kind"] == "warm":
                per_position.setdefault(_label(r), []).append(r)
        medians = {lab: (statistics.median(x["total"] for x in v), statistics.median(x["compute"] for x in v),
                         statistics.median(x["cpu"] for x in v))
                   for lab, v in per_position.items()}
        worst_warm = max(medians, key=lambda lab: medians[lab][0])
        worst_cold = max(cold, key=lambda r: r["total"])
        print(f"  {threads} ({len(rows)} updates at {len(per_position)} warm positions, {wall:.0f} s; "
              f"load average {load:.2f} at the start):")
        print(f"    worst median of repeated visits: {medians[worst_warm][0]:.2f} s "
              f"(compute {medians[worst_warm][1]:.2f} s; CPU time {medians[worst_warm][2]:.2f} s) at {worst_warm}; "
              f"target <= 1 s: {verdict(medians[worst_warm][0] <= 1.0)}")
        typical = statistics.median(m[0] for m in medians.values())
        worst_cpu = max(medians, key=lambda lab: medians[lab][2])
        print(f"    median over the warm positions {typical:.2f} s; largest median CPU time "
              f"{medians[worst_cpu][2]:.2f} s at {worst_cpu}")
        for r in cold:
            print(f"    {r['kind']:8s} (empty cache for this seed) {r['total']:5.2f} s "
                  f"(compute {r['compute']:.2f} s, CPU time {r['cpu']:.2f} s) at {_label(r)}")
        print(f"    worst first visit: {worst_cold['total']:.2f} s at {_label(worst_cold)} (no target)")
        print(f"    peak RSS of the process (VmHWM) {peak / MiB:.0f} MiB; target <= 1024 MiB: {verdict(peak <= GiB)}")
        worst[threads] = (medians[worst_warm][0], worst_cold["total"], peak)
    return worst


def main():
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_depth: numpy {np.__version__}, {os.cpu_count()} cores, load average {load:.2f}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    if "--explorer-only" not in sys.argv:
        bench_a()
    if "--full" in sys.argv:
        from reluprop import widgets
        bench_b(scales=widgets.SCALES, alphas=(None, 0.05, 0.1, 0.2, 0.5, 1.0))
    else:
        bench_b()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end {load:.2f}")


if __name__ == "__main__":
    main()
