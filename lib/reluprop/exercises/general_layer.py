"""Chapter *The general layer*: one batched layer's backward step."""

from __future__ import annotations

import numpy as np

from ..core.activations import get_activation
from ..core.layers import backward_step
from .engine import Diagnosis, call, compare

__all__ = ["check_backward_step"]


def check_backward_step(fn, activation="relu") -> Diagnosis:
    """Check ``fn(dr, z, r_prev, W)`` returning ``(dz, dr_prev, dW, db)`` for one batched layer.

    The reference is :func:`reluprop.layers.backward_step`
    (``eq-backward-dz`` to ``eq-backward-db``). Shapes: ``dr``, ``z`` are
    (batch, n_out); ``r_prev`` is (batch, n_in); ``W`` is (n_in, n_out).
    """
    act = get_activation(activation)
    rng = np.random.default_rng(2024)
    names = ["dz", "dr_prev", "dW", "db"]
    hints = {
        "dz": "dz = dr * f'(z), elementwise (eq-backward-dz).",
        "dr_prev": "dr_prev = dz @ W.T: each input unit sums over the units it feeds (eq-backward-dr).",
        "dW": "dW = r_prev.T @ dz, shape (n_in, n_out): it sums over the batch (eq-backward-dw).",
        "db": "db = dz.sum(axis=0): one entry per output unit, summed over the batch (eq-backward-db).",
    }
    shapes = [(3, 4, 2), (1, 2, 3), (5, 3, 3)]
    per_name = {n: ([], [], [], []) for n in names}
    for batch, n_in, n_out in shapes:
        dr = rng.standard_normal((batch, n_out))
        z = rng.standard_normal((batch, n_out))
        r_prev = rng.standard_normal((batch, n_in))
        W = rng.standard_normal((n_in, n_out))
        g, err = call(fn, "backward step", dr.copy(), z.copy(), r_prev.copy(), W.copy())
        if err is not None:
            return err
        if not isinstance(g, (tuple, list)) or len(g) != 4:
            return Diagnosis(False, "✗ backward step: return a tuple (dz, dr_prev, dW, db).", [], "shape")
        e = backward_step(dr, z, r_prev, W, act)
        for n, gv, ev in zip(names, g, e):
            per_name[n][0].append(gv)
            per_name[n][1].append(ev)
            per_name[n][2].append(f"batch={batch}, n_in={n_in}, n_out={n_out}")
            per_name[n][3].append(np.broadcast_to(z <= 0, np.shape(ev)) if n == "dz" else np.zeros(np.shape(ev), bool))
    for n in names:
        got, expected, desc, zero = per_name[n]
        d = compare(n, got, expected, desc, zero_mask=zero, hints={"wrong": hints[n], "shape": hints[n]})
        if not d.passed:
            return d
    return Diagnosis(True, f"✓ backward step: dz, dr_prev, dW and db are correct on all {len(shapes)} cases.")
