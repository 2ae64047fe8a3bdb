"""Chapter *Initialization*: the variance-preserving standard deviation and one layer's gain."""

from __future__ import annotations

import numpy as np

from ..core.activations import get_activation
from ..theory import variance_gain
from .engine import Diagnosis, call, compare

__all__ = ["check_init_std", "check_variance_gain"]


_INIT_WIDTHS = (1, 3, 10, 64, 256, 1000)


def _gain(activation, slope):
    act = get_activation(activation, slope=slope)
    if act.name not in ("relu", "leaky_relu", "identity"):
        raise ValueError(f"activation must be 'relu', 'leaky_relu' or 'identity'; got {act.name!r}")
    return variance_gain(act), act


def check_init_std(fn, activation="relu", slope: float = 0.01) -> Diagnosis:
    """Check ``fn(n_in)``: the weight standard deviation that keeps the variance constant.

    For ReLU the answer is He's ``sqrt(2 / n_in)`` (``eq-he``); for leaky ReLU
    with slope ``a`` it is ``sqrt(2 / ((1 + a**2) n_in))``; for the identity
    ``sqrt(1 / n_in)``. Recognises LeCun's ``sqrt(1 / n_in)`` (Xavier's
    too, for equal widths) used for ReLU (kind ``"xavier"``), the variance returned instead of the
    standard deviation (kind ``"variance"``), He's value used for leaky ReLU
    (kind ``"ignores_slope"``) and other constant factors (kind ``"scale"``).
    """
    gain, act = _gain(activation, slope)
    name = f"init std ({act.name}{', a = %g' % act.params['slope'] if act.name == 'leaky_relu' else ''})"
    got, expected, desc = [], [], []
    for n in _INIT_WIDTHS:
        g, err = call(fn, name, n)
        if err is not None:
            return err
        try:
            g = float(g)
        except Exception:
            return Diagnosis(False, f"✗ {name}: return one number, the standard deviation.",
                             [f"got {type(g).__name__} for n_in = {n}"], "shape")
        got.append(g)
        expected.append(float(np.sqrt(1.0 / (gain * n))))
        desc.append(f"n_in = {n}")
    d = compare(name, got, expected, desc, rtol=1e-9, atol=1e-12)
    if d.passed:
        return d
    got_a, exp_a = np.array(got), np.array(expected)
    rule = (f"one layer multiplies the variance by {gain:.4g} · n_in · Var[W]; set that to 1, "
            f"so Var[W] = {1 / gain:.4g} / n_in, and return its square root.")
    if np.allclose(got_a, exp_a ** 2, rtol=1e-9):
        return Diagnosis(False, f"✗ {name}: yours is the variance, not the standard deviation.",
                         d.details[:3], "variance",
                         ["rng.normal and init_std take a standard deviation: "
                          "return the square root of the variance."])
    if act.name != "identity" and np.allclose(got_a, np.sqrt(1.0 / np.array(_INIT_WIDTHS)), rtol=1e-9):
        return Diagnosis(False, f"✗ {name}: yours is LeCun's sqrt(1/n_in), Xavier's for equal widths.",
                         d.details[:3], "xavier",
                         [f"that value suits a linear unit. ReLU sets about half of its inputs to 0, "
                          f"so E[f(z)²] = {gain:g} · Var[z], not Var[z]: {rule}"])
    if act.name == "leaky_relu" and np.allclose(got_a, np.sqrt(2.0 / np.array(_INIT_WIDTHS)), rtol=1e-9):
        return Diagnosis(False, f"✗ {name}: yours is He's value for ReLU; it ignores the slope.",
                         d.details[:3], "ignores_slope",
                         [f"leaky ReLU keeps a fraction a² of the negative half's second moment, "
                          f"so E[f(z)²] = (1 + a²)/2 · Var[z]: {rule}"])
    details = list(d.details)
    if d.kind == "scale":
        details.append(f"yours is {got_a[0] / exp_a[0]:.4g} times the variance-preserving value")
    return Diagnosis(False, f"✗ {name}: differs from the variance-preserving value.", details, d.kind, [rule])


def check_variance_gain(fn) -> Diagnosis:
    """Check ``fn(n_in, var_w, slope)``: the factor by which one leaky-ReLU layer multiplies Var[z].

    The answer is ``(1 + slope**2) / 2 * n_in * var_w`` (slope 0 is ReLU,
    slope 1 the identity). Recognises a missing 1/2 (kind ``"scale"``) and
    ``(1 + slope)`` in place of ``(1 + slope**2)`` (kind ``"slope_not_squared"``).
    """
    cases = [(n, v, a) for n in (4, 100) for v in (0.02, 0.5) for a in (0.0, 0.01, 0.2, 1.0)]
    got, expected, desc = [], [], []
    for n, v, a in cases:
        g, err = call(fn, "variance gain", n, v, a)
        if err is not None:
            return err
        try:
            g = float(g)
        except Exception:
            return Diagnosis(False, "✗ variance gain: return one number.", [], "shape")
        got.append(g)
        expected.append(variance_gain("leaky_relu", slope=a) * n * v)
        desc.append(f"n_in = {n}, var_w = {v}, slope = {a}")
    hints = {
        "scale": "Half of a symmetric z is negative: E[ReLU(z)²] = Var[z]/2. Keep the 1/2.",
        "wrong": "Var[z_next] = n_in · Var[W] · E[f(z)²] and E[f(z)²] = (1 + a²)/2 · Var[z] "
                 "(the positive half, plus a² times the negative half).",
    }
    d = compare("variance gain", got, expected, desc, rtol=1e-9, atol=1e-12, hints=hints)
    if d.passed:
        return d
    slope_lin = [0.5 * (1.0 + a) * n * v for n, v, a in cases]
    if np.allclose(got, slope_lin, rtol=1e-9):
        return Diagnosis(False, "✗ variance gain: the slope enters squared.", d.details[:3], "slope_not_squared",
                         ["on the negative half f(z) = a·z, so f(z)² = a²·z²: the factor is (1+a²)/2, "
                          "not (1+a)/2."])
    return Diagnosis(False, "✗ variance gain: differs from (1 + a²)/2 · n_in · Var[W].", d.details, d.kind,
                     d.hints)
