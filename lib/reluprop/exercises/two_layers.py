"""Chapter *Two layers*: both gradients of a two-layer scalar chain."""

from __future__ import annotations

import numpy as np

from ..core import scalar
from .engine import Diagnosis, call, compare
from .one_neuron import _scalar_cases

__all__ = ["check_two_layer_gradients"]


def check_two_layer_gradients(fn) -> Diagnosis:
    """Check ``fn(w0, w1, x, y)`` returning ``(dC/dw0, dC/dw1)`` for ŷ = ReLU(w1 ReLU(w0 x)).

    The reference is :func:`reluprop.scalar.two_layer_gradients`
    (``eq-two-dw0``, ``eq-two-dw1``).
    """
    cases = [(w0, w1, x, y) for (w0, x, y) in _scalar_cases() for w1 in (1.3, -0.6)]
    got, expected, desc, zero = [], [], [], []
    for w0, w1, x, y in cases:
        g, err = call(fn, "(dC/dw0, dC/dw1)", w0, w1, x, y)
        if err is not None:
            return err
        try:
            g = np.asarray([np.asarray(v, dtype=np.float64) for v in g])
        except Exception:
            return Diagnosis(False, "✗ (dC/dw0, dC/dw1): return a pair (dC/dw0, dC/dw1).", [], "shape")
        e = np.asarray(scalar.two_layer_gradients(w0, w1, x, y))
        z1 = w0 * x
        z2 = w1 * max(z1, 0.0)
        got.append(g)
        expected.append(e)
        desc.append(f"w0={w0}, w1={w1}, x={x}, y={y}")
        inactive = (z1 <= 0) or (z2 <= 0)
        zero.append(np.array([inactive, z2 <= 0]))
    return compare("(dC/dw0, dC/dw1)", got, expected, desc, zero_mask=zero)
