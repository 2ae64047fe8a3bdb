"""Exercise checkers for the chapter *Finite width: the lottery of a single network*.

Built on the engine of :mod:`reluprop.exercises` (:class:`~reluprop.exercises.engine.Diagnosis`,
:func:`~reluprop.exercises.engine.compare`): each checker calls the learner's
function on a set of cases, compares with the wide-layer law of Hanin and
Nica (``eq-finite-width-log-normal``) and recognises the typical slips.
"""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, call, compare
from ..finite_width import WIDE_LAYER_CONSTANT

__all__ = ["check_typical_log_factor", "check_width_for_spread"]


def _call_number(fn, name, *args):
    """``(float(fn(*args)), None)``, or ``(None, Diagnosis)`` if it raised or did not return a number."""
    value, err = call(fn, name, *args)
    if err is not None:
        return None, err
    try:
        return float(value), None
    except Exception:
        return None, Diagnosis(False, f"✗ {name}: return one number.",
                               [f"got {type(value).__name__}"], "shape")


def check_typical_log_factor(fn) -> Diagnosis:
    """Check ``fn(widths)``: the typical ``ln ||dC/dr^(0)||`` of a He-initialized ReLU network.

    ``widths`` lists the widths n_l of the layers the signal passes. The
    answer is the wide-layer mean ``-(5/4) sum_l 1/n_l``. Recognises 0 (the
    mean square's recursion read as a statement about the typical network,
    kind ``"mean_square"``), a positive sign (kind ``"sign"``), and
    ``-(5/8) sum 1/n`` (the drift of ``ln ||.||`` taken as half the variance of
    ``ln ||.||``, which holds for ``ln ||.||^2``; kind ``"half"``).
    """
    name = "typical log factor"
    cases = [[20] * 20, [100] * 50, [64] * 2000, [400, 200, 100, 50, 25], [1000] * 1000, [8, 512, 512]]
    got, desc = [], []
    for widths in cases:
        g, err = _call_number(fn, name, list(widths))
        if err is not None:
            return err
        got.append(g)
        desc.append(f"widths = {widths if len(widths) <= 5 else f'[{widths[0]}] * {len(widths)}'}")
    beta = np.array([sum(1.0 / n for n in w) for w in cases])
    expected = list(-WIDE_LAYER_CONSTANT * beta)
    d = compare(name, got, expected, desc, rtol=1e-6, atol=1e-9)
    if d.passed:
        return d
    head = d.details[:3]
    if np.allclose(got, 0.0):
        return Diagnosis(False, f"✗ {name}: yours is 0, the log of the root mean square.", head,
                         "mean_square",
                         ["He's initialization keeps the *mean* of ||.||² at 1, but a product of random "
                          "factors with mean 1 is typically smaller: E[ln ||.||] = -(5/4) · sum 1/n_l "
                          "for wide layers."])
    if np.allclose(got, WIDE_LAYER_CONSTANT * beta, rtol=1e-6):
        return Diagnosis(False, f"✗ {name}: the sign is flipped.", head, "sign",
                         ["the typical network falls *below* the average: the log drifts down."])
    if np.allclose(got, -0.5 * WIDE_LAYER_CONSTANT * beta, rtol=1e-6):
        return Diagnosis(False, f"✗ {name}: yours is half the drift.", head, "half",
                         ["'the log drifts down by half its variance' holds for ln ||.||² (mean -5β/2, "
                          "variance 5β). For ln ||.|| = (1/2) ln ||.||² the mean is -5β/4 and the "
                          "variance 5β/4: mean = -variance."])
    return Diagnosis(False, f"✗ {name}: differs from -(5/4) · sum_l 1/n_l.", head, d.kind,
                     ["each layer of width n lowers the mean of ln ||.|| by about 5/(4n)."])


def check_width_for_spread(fn) -> Diagnosis:
    """Check ``fn(depth, max_std)``: the equal width n at which std of ``ln ||dC/dr^(0)||`` is ``max_std``.

    From ``Var = (5/4) L / n`` (``eq-finite-width-log-normal``) the answer is
    ``n = (5/4) L / max_std**2`` (a real number; no rounding needed).
    Recognises the std used where its square belongs (kind
    ``"not_squared"``), the constant left out (kind ``"no_constant"``) and a
    constant measured on narrow layers, between 1.4 and 1.8 (kind
    ``"narrow_constant"``).
    """
    name = "width for spread"
    cases = [(1000, 1.0), (1000, 0.5), (30, 1.0), (200, 2.0), (50, 0.3)]
    got, desc = [], []
    for L, s in cases:
        g, err = _call_number(fn, name, L, s)
        if err is not None:
            return err
        got.append(g)
        desc.append(f"depth = {L}, max_std = {s}")
    expected = [WIDE_LAYER_CONSTANT * L / s**2 for L, s in cases]
    d = compare(name, got, expected, desc, rtol=1e-6, atol=1e-9)
    if d.passed:
        return d
    head = d.details[:3]
    if np.allclose(got, [WIDE_LAYER_CONSTANT * L / s for L, s in cases], rtol=1e-6):
        return Diagnosis(False, f"✗ {name}: the standard deviation enters squared.", head, "not_squared",
                         ["the law is about the variance: (5/4) L / n = max_std²."])
    if np.allclose(got, [L / s**2 for L, s in cases], rtol=1e-6):
        return Diagnosis(False, f"✗ {name}: the constant 5/4 is missing.", head, "no_constant",
                         ["Var[ln ||.||] = (5/4) sum_l 1/n_l, not sum_l 1/n_l."])
    c = np.array(got) / np.array([L / s**2 for L, s in cases])
    if np.all((c > 1.4) & (c < 1.8)) and np.ptp(c) < 1e-6 * c.max():
        return Diagnosis(False, f"✗ {name}: your constant is {c[0]:.3g}, measured on narrow layers.", head,
                         "narrow_constant",
                         ["at width 20 each layer adds more than 5/(4n); the answer is a width in the "
                          "hundreds or thousands, where the constant is 5/4."])
    return Diagnosis(False, f"✗ {name}: differs from (5/4) · depth / max_std².", head, d.kind)
