"""Chapter *ReLU and its derivative*: the learner's Step function."""

from __future__ import annotations

import numpy as np

from ..core.activations import step
from .engine import Diagnosis, call, compare

__all__ = ["check_relu_derivative"]


def check_relu_derivative(fn) -> Diagnosis:
    """Check ``fn(z)`` against Step(z) on an array with positive, negative and zero entries.

    Both 0 and 1 are accepted at exactly z = 0 (the text explains why), but
    ``fn`` must be elementwise and return the shape of ``z``.
    """
    z = np.array([-3.0, -0.5, -1e-12, 0.0, 1e-12, 0.5, 3.0])
    got, err = call(fn, "ReLU derivative", z.copy())
    if err is not None:
        return err
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Diagnosis(False, f"✗ ReLU derivative: returned {got!r}, which is not an array of numbers.",
                         kind="error", hints=["return an array the shape of z."])
    expected = step(z)
    if got.shape == z.shape and got[3] in (0.0, 1.0):
        expected = expected.copy()
        expected[3] = got[3]
    z_text = "[" + ", ".join(f"{v:g}" for v in z) + "]"
    return compare("ReLU derivative", [got], [expected], [f"z = {z_text}"], zero_mask=[z < 0],
                   hints={"wrong": "Step(z) is 1 where z > 0 and 0 where z < 0; it does not depend on "
                                   "the size of z.",
                          "missing_step": "Negative z must give 0."})
