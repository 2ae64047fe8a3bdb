"""Chapter *Training a thousand layers*: the largest branch scale for a bound on the mean square."""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, compare
from .residual import _first_pattern, _numbers

__all__ = ["check_branch_scale"]


def check_branch_scale(fn) -> Diagnosis:
    """Check ``fn(depth, bound)``: the largest alpha with ``(1 + alpha**2) ** depth <= bound``.

    The answer is ``sqrt(bound ** (1 / depth) - 1)``, which for large depth
    is close to ``sqrt(log(bound) / depth)``: the 1/sqrt(L) rule. Recognises
    that approximation (kind ``"approximation"``, close but a little too
    small), and ``sqrt(bound / depth)`` (kind ``"additive"``, the mean squares
    added instead of multiplied).
    """
    cases = [(10, 2.0), (1000, np.e), (100, 10.0), (3, 1.5), (10_000, 4.0)]
    name = "largest branch scale"
    got, err = _numbers(fn, name, cases)
    if err is not None:
        return err
    desc = [f"depth = {L}, bound = {B:.4g}" for L, B in cases]

    def answer(f):
        return [f(L, B) for L, B in cases]

    d = compare(name, got, answer(lambda L, B: np.sqrt(B ** (1.0 / L) - 1.0)), desc, rtol=1e-9, atol=0.0)
    if d.passed:
        return d
    found = _first_pattern(got, [
        ("approximation", answer(lambda L, B: np.sqrt(np.log(B) / L)),
         "yours is the large-depth approximation, slightly too small.",
         "solve (1 + alpha²)^L = bound exactly: alpha² = bound^(1/L) - 1. Since log(1 + a²) < a², "
         "sqrt(log(bound) / L) falls a little short (by 1.7 % at depth 10 and bound 2)."),
        ("additive", answer(lambda L, B: np.sqrt(B / L)), "yours adds the blocks' mean squares.",
         "each block multiplies the mean square by (1 + alpha²): take the L-th root of the bound."),
    ])
    if found is None:
        return d
    kind, summary, hint = found
    return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3], kind, [hint])
