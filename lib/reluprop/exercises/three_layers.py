"""Chapter *Three layers and beyond*: every gradient of a scalar ReLU chain."""

from __future__ import annotations

import numpy as np

from ..core import scalar
from .engine import Diagnosis, call, compare

__all__ = ["check_chain_gradient"]


def check_chain_gradient(fn, depth: int = 4) -> Diagnosis:
    """Check ``fn(w, x, y)`` returning the list ``[dC/dw^(0), ..., dC/dw^(L-1)]``
    for a scalar ReLU chain of ``depth`` layers (``eq-chain``).

    The reference is :func:`reluprop.scalar.chain_gradient`. Weights are
    drawn from a fixed seed, so the check is the same on every run.
    """
    rng = np.random.default_rng(12345)
    got, expected, desc, zero = [], [], [], []
    for case in range(12):
        w = list(np.round(rng.uniform(-0.5, 2.0, size=depth), 2))
        x = float(np.round(rng.uniform(0.2, 2.0), 2))
        y = float(np.round(rng.uniform(-1.0, 3.0), 2))
        g, err = call(fn, "chain gradient", list(w), x, y)
        if err is not None:
            return err
        try:
            g = np.asarray([np.asarray(v, dtype=np.float64) for v in g])
        except Exception:
            return Diagnosis(False, f"✗ chain gradient: return a list of {depth} numbers.", [], "shape")
        e = np.asarray(scalar.chain_gradient(w, x, y))
        z, _ = scalar.chain_forward(w, x)
        dead_above = np.array([any(z[m] <= 0 for m in range(k + 1, depth + 1)) for k in range(depth)])
        got.append(g)
        expected.append(e)
        desc.append(f"w={[float(v) for v in w]}, x={x}, y={y}")
        zero.append(dead_above)
    return compare(f"chain gradient (L={depth})", got, expected, desc, zero_mask=zero,
                   hints={"wrong": "dC/dw^(k) = (ŷ - y) · Step(z^(L)) · Π_{m=k+1}^{L-1} w^(m) Step(z^(m)) · r^(k): "
                                   "the last factor is the weight's own input r^(k), not x."})
