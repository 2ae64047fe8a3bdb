"""Chapter *Residual connections*: one block's backward and the variance recursion over a stack."""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, call, compare

__all__ = ["check_residual_backward", "check_residual_variance"]


def _numbers(fn, name, cases):
    """Call ``fn(*case)`` for every case; return (floats, None) or (None, Diagnosis)."""
    got = []
    for case in cases:
        value, err = call(fn, name, *case)
        if err is not None:
            return None, err
        try:
            got.append(float(value))
        except (TypeError, ValueError):
            return None, Diagnosis(False, f"✗ {name}: return one number.", [f"got {type(value).__name__}"],
                                   "shape")
    return got, None


def _first_pattern(got, patterns, rtol=1e-9):
    """The first ``(kind, summary, hint)`` whose values match ``got``, or None."""
    for kind, values, summary, hint in patterns:
        if all(np.shape(g) == np.shape(v) and np.allclose(g, v, rtol=rtol, atol=1e-12)
               for g, v in zip(got, values)):
            return kind, summary, hint
    return None


def check_residual_backward(fn) -> Diagnosis:
    """Check ``fn(dr, J, alpha)`` = dC/dr^(k) for one residual block and one example (a row).

    ``dr`` is dC/dr^(k+1), shape (n,); ``J`` the branch's Jacobian in the row
    convention (a change ``d`` of the input changes the branch by ``d @ J``),
    shape (n, n); ``alpha`` the branch scale. The answer is
    ``dr @ (I + alpha J).T = dr + alpha dr @ J.T`` (``eq-residual-backward``).
    Recognises: the identity path left out (kind ``"no_identity"``), ``J``
    not transposed (kind ``"transpose"``), the branch scale left out (kind
    ``"missing_alpha"``).
    """
    rng = np.random.default_rng(11)
    cases = []
    for n, alpha in [(2, 0.5), (3, 1.0), (4, 0.1), (3, 2.0)]:
        cases.append((rng.standard_normal(n), rng.standard_normal((n, n)), alpha))  # J not symmetric
    name = "dC/dr^(k)"
    got, desc = [], []
    for dr, J, alpha in cases:
        value, err = call(fn, name, dr.copy(), J.copy(), alpha)
        if err is not None:
            return err
        got.append(value)
        desc.append(f"n = {dr.size}, alpha = {alpha}")

    def answer(f):
        return [f(dr, J, a) for dr, J, a in cases]

    expected = answer(lambda dr, J, a: dr + a * dr @ J.T)
    d = compare(name, got, expected, desc, rtol=1e-9, atol=1e-12)
    if d.passed:
        return d
    try:
        arrays = [np.asarray(g, dtype=np.float64) for g in got]
    except (TypeError, ValueError):
        return d
    found = _first_pattern(arrays, [
        ("no_identity", answer(lambda dr, J, a: a * dr @ J.T), "yours leaves out the identity path.",
         "the block's output is r + alpha F(r): the r term passes dC/dr^(k+1) back unchanged, "
         "so dr itself is part of the answer."),
        ("transpose", answer(lambda dr, J, a: dr + a * dr @ J), "yours multiplies by J, not by its transpose.",
         "a change d of the input changes F by d @ J, so C changes by (d @ J) . (alpha dr) = "
         "d . (alpha dr @ J.T): the gradient takes J transposed."),
        ("missing_alpha", answer(lambda dr, J, a: dr + dr @ J.T), "yours leaves out the branch scale.",
         "the branch's output is multiplied by alpha, so its contribution to the gradient is too."),
    ])
    if found is None:
        return d
    kind, summary, hint = found
    return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3], kind, [hint])


def check_residual_variance(fn) -> Diagnosis:
    """Check ``fn(alpha, depth)`` = E||r^(L)||^2 / ||x||^2 for ``depth`` blocks (``eq-residual-variance``).

    The blocks are those of :func:`reluprop.residual.init_residual_blocks`
    (the branch preserves the mean square). The answer is
    ``(1 + alpha**2) ** depth``. Recognises: ``alpha`` not squared (kind
    ``"not_squared"``), the branches' contributions added instead of
    compounded, ``1 + depth * alpha**2`` (kind ``"additive"``), the identity
    path left out, ``alpha ** (2 depth)`` (kind ``"no_identity"``).
    """
    cases = [(1.0, 10), (0.5, 20), (0.1, 100), (0.0, 5), (1 / np.sqrt(50), 50), (2.0, 3)]
    name = "E||r^(L)||² / ||x||²"
    got, err = _numbers(fn, name, cases)
    if err is not None:
        return err
    desc = [f"alpha = {a:.4g}, depth = {L}" for a, L in cases]

    def answer(f):
        return [f(a, L) for a, L in cases]

    d = compare(name, got, answer(lambda a, L: (1 + a * a) ** L), desc, rtol=1e-9, atol=0.0)
    if d.passed:
        return d
    found = _first_pattern(got, [
        ("not_squared", answer(lambda a, L: (1 + a) ** L), "yours has (1 + alpha) where (1 + alpha²) belongs.",
         "mean squares add: E||r + alpha F||² = E||r||² + alpha² E||F||², because the cross term has mean 0."),
        ("additive", answer(lambda a, L: 1 + L * a * a), "yours adds the branches' contributions once each.",
         "each block multiplies the mean square it receives by (1 + alpha²): the factors compound, "
         "so the answer is a power, not a sum."),
        ("no_identity", answer(lambda a, L: a ** (2 * L)), "yours leaves out the identity path.",
         "the block passes r on unchanged and adds alpha F(r): per block the mean square is "
         "multiplied by 1 + alpha², not by alpha²."),
    ])
    if found is None:
        return d
    kind, summary, hint = found
    return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3], kind, [hint])
