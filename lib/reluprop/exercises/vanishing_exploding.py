"""Chapter *Vanishing and exploding*: the gain of the backpropagated signal over L layers."""

from __future__ import annotations

import numpy as np

from ..theory import norm_gain
from .engine import Diagnosis, call, compare

__all__ = ["check_signal_gain"]


def check_signal_gain(fn) -> Diagnosis:
    """Check ``fn(scale, depth, slope)``: the predicted ||dC/dr^(0)|| / ||dC/dr^(L)|| of a wide net.

    For bias-free leaky ReLU (slope ``a``; 0 is ReLU) with weights
    N(0, scale² · 2/n), going back one layer multiplies the signal's norm by
    ``scale * sqrt(1 + a**2)`` (half of E[f'(z)²] = (1 + a²)/2 times
    n · Var[W] = 2 scale², under the square root), so the answer is
    ``(scale * sqrt(1 + a**2)) ** depth``. Recognises: every unit treated as
    active, factor ``scale * sqrt(2)`` (kind ``"all_active"``); the variance's
    gain instead of the norm's (kind ``"squared"``); one factor too few or too
    many (kind ``"off_by_one"``); the scale left out (kind ``"ignores_scale"``).
    """
    cases = [(1.0, 10, 0.0), (0.5, 10, 0.0), (2.0, 5, 0.0), (0.71, 50, 0.0),
             (1.0, 20, 0.1), (1.2, 30, 0.3), (0.9, 7, 1.0)]
    name = "signal gain"
    got, desc = [], []
    for s, L, a in cases:
        g, err = call(fn, name, s, L, a)
        if err is not None:
            return err
        try:
            g = float(g)
        except Exception:
            return Diagnosis(False, f"✗ {name}: return one number.", [f"got {type(g).__name__}"], "shape",
                             ["return a single float, the ratio of the two norms."])
        got.append(g)
        desc.append(f"scale = {s}, depth = {L}, slope = {a}")

    def per_layer(factor):
        return [factor(s, a) ** L for s, L, a in cases]

    expected = per_layer(lambda s, a: norm_gain("leaky_relu", s, slope=a))
    d = compare(name, got, expected, desc, rtol=1e-9, atol=0.0)
    if d.passed:
        return d
    head = d.details[:3]
    patterns = [
        ("all_active", per_layer(lambda s, a: s * np.sqrt(2.0)),
         "yours treats every unit as active (f'(z) = 1).",
         "about half of the units are inactive, where f'(z) = 0 "
         "(or a for leaky ReLU): E[f'(z)²] = (1 + a²)/2, not 1. With "
         "n · Var[W] = 2·scale², one layer multiplies the norm by "
         "sqrt(2·scale² · (1 + a²)/2) = scale · sqrt(1 + a²)."),
        ("squared", per_layer(lambda s, a: s * s * (1.0 + a * a)),
         "yours is the gain of the squared norm (the variance).",
         "the norm is the square root of the squared norm: "
         "take the square root of the per-layer factor."),
        ("off_by_one", [(s * np.sqrt(1.0 + a * a)) ** (L - 1) for s, L, a in cases],
         "yours has one factor too few.",
         "from r^(L) back to r^(0) the signal passes L layers: "
         "one factor per layer, L factors."),
        ("off_by_one", [(s * np.sqrt(1.0 + a * a)) ** (L + 1) for s, L, a in cases],
         "yours has one factor too many.",
         "from r^(L) back to r^(0) the signal passes L layers: "
         "one factor per layer, L factors."),
        ("ignores_scale", [np.sqrt(1.0 + a * a) ** L for s, L, a in cases],
         "yours does not depend on the scale.",
         "the weights enter once per layer: their standard deviation "
         "scale·sqrt(2/n) multiplies the signal's norm by scale·sqrt(2) "
         "(times the activation's share)."),
    ]
    for kind, values, summary, hint in patterns:
        if np.allclose(got, values, rtol=1e-9, atol=0.0):
            return Diagnosis(False, f"✗ {name}: {summary}", head, kind, [hint])
    return Diagnosis(False, f"✗ {name}: differs from (scale · sqrt(1 + a²)) ** depth.", d.details, d.kind,
                     ["one layer back multiplies the norm by sqrt(n · Var[W] · E[f'(z)²]); "
                      "with Var[W] = scale² · 2/n and E[f'(z)²] = (1 + a²)/2 "
                      "that is scale · sqrt(1 + a²)."])
