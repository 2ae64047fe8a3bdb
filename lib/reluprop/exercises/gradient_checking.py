"""Chapter *Gradient checking*: the learner's central difference."""

from __future__ import annotations

import math

import numpy as np

from .engine import Diagnosis, call, compare

__all__ = ["check_central_difference"]


def _cd_cases():
    """Smooth test functions (plain Python arithmetic, exact derivatives), points and steps."""
    funcs = [
        ("t**3 - 2*t", lambda t: t ** 3 - 2.0 * t, lambda t: 3.0 * t ** 2 - 2.0),
        ("exp(t)", math.exp, math.exp),
        ("1/(1 + t**2)", lambda t: 1.0 / (1.0 + t * t), lambda t: -2.0 * t / (1.0 + t * t) ** 2),
    ]
    return [(name, f, df, x, h) for name, f, df in funcs for x in (-0.7, 0.4, 1.3) for h in (1e-2, 1e-3)]


def check_central_difference(fn) -> Diagnosis:
    """Check ``fn(f, x, h)`` = (f(x + h) - f(x - h)) / (2h), the central difference (``eq-central-diff``).

    ``f`` is a smooth function of one float, ``x`` a float, ``h > 0`` the step.
    Recognises the one-sided differences (f(x + h) - f(x)) / h and
    (f(x) - f(x - h)) / h (kind ``"one_sided"``: error O(h) instead of O(h²)),
    a missing factor 2 (kind ``"scale"``) and a flipped sign (kind ``"sign"``).
    """
    cases = _cd_cases()
    got, expected, forward, backward_d, desc, exact = [], [], [], [], [], []
    for name, f, df, x, h in cases:
        g, err = call(fn, "central difference", f, x, h)
        if err is not None:
            return err
        try:
            g = float(g)
        except Exception:
            return Diagnosis(False, "✗ central difference: return one number, the estimate of f'(x).",
                             [f"got {type(g).__name__} for f(t) = {name}, x = {x}, h = {h}"], "shape")
        got.append(g)
        expected.append((f(x + h) - f(x - h)) / (2 * h))
        forward.append((f(x + h) - f(x)) / h)
        backward_d.append((f(x) - f(x - h)) / h)
        desc.append(f"f(t) = {name}, x = {x}, h = {h}")
        exact.append(df(x))
    n = len(cases)
    if all(np.isclose(g, e, rtol=1e-9, atol=1e-12) for g, e in zip(got, expected)):
        return Diagnosis(True, f"✓ central difference: correct on all {n} cases.")

    def matches(ref):
        return all(np.isclose(g, r, rtol=1e-9, atol=1e-12) for g, r in zip(got, ref))

    if matches(forward) or matches(backward_d):
        side = "(f(x + h) - f(x)) / h" if matches(forward) else "(f(x) - f(x - h)) / h"
        # Show the order of the error on the first function and point: h = 1e-2 and h = 1e-3.
        e_big, e_small = abs(got[0] - exact[0]), abs(got[1] - exact[1])
        c_big, c_small = abs(expected[0] - exact[0]), abs(expected[1] - exact[1])
        return Diagnosis(
            False,
            "✗ central difference: yours is one-sided, " + side + ".",
            [
                f"errors against the exact f'(x), for {desc[0].rsplit(',', 1)[0]}:",
                f"  yours:   {e_big:.1e} at h = 1e-2, {e_small:.1e} at h = 1e-3 (10 times smaller)",
                f"  central: {c_big:.1e} at h = 1e-2, {c_small:.1e} at h = 1e-3 (100 times smaller)",
            ],
            "one_sided",
            ["one-sided: error O(h). Step to both sides, to f(x + h) and f(x - h), and divide by the "
             "distance between them, 2h: the h² terms of the two Taylor series cancel, and the error "
             "is O(h²)."],
        )
    return compare("central difference", got, expected, desc, rtol=1e-9, atol=1e-12,
                   hints={"scale": "The distance between x - h and x + h is 2h: divide by 2h, not h.",
                          "sign": "Subtract in the order f(x + h) - f(x - h): the later point first.",
                          "wrong": "The central difference is (f(x + h) - f(x - h)) / (2h)."})
