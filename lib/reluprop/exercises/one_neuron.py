"""Chapter *One neuron*: the gradient of one ReLU neuron."""

from __future__ import annotations

import numpy as np

from ..core import scalar
from .engine import Diagnosis, call, compare

__all__ = ["check_one_neuron_gradient"]


def _scalar_cases():
    """Inputs covering active and inactive units, positive and negative weights."""
    return [
        (1.5, 2.0, 1.0), (0.5, 1.0, 3.0), (-0.7, 2.0, 1.0), (2.0, 0.5, 0.2),
        (-1.2, 1.5, -0.5), (0.8, 3.0, 0.0), (1.1, 0.7, 2.5), (-0.3, 0.9, 0.4),
    ]


def check_one_neuron_gradient(fn) -> Diagnosis:
    """Check ``fn(w, x, y)`` = dC/dw for one ReLU neuron, ŷ = ReLU(w x), C = (ŷ - y)²/2.

    The reference is :func:`reluprop.scalar.one_layer_gradient` (``eq-one-neuron-dw``).
    """
    cases = _scalar_cases()
    got, expected, desc, zero = [], [], [], []
    for w, x, y in cases:
        g, err = call(fn, "dC/dw (one neuron)", w, x, y)
        if err is not None:
            return err
        got.append(g)
        expected.append(scalar.one_layer_gradient(w, x, y))
        desc.append(f"w={w}, x={x}, y={y}")
        zero.append(np.asarray(w * x <= 0))
    return compare("dC/dw (one neuron)", got, expected, desc, zero_mask=zero)
