"""Self-checking exercises of Part III's residual chapters, on the engine of :mod:`reluprop.exercises`.

- chapter *Residual connections*: :func:`check_residual_backward` (one block's
  backward, ``eq-residual-backward``) and :func:`check_residual_variance`
  (the variance recursion over a stack, ``eq-residual-variance``);
- chapter *Training a thousand layers*: :func:`check_branch_scale` (the
  largest branch scale that keeps the mean square below a bound).
"""

from __future__ import annotations

import numpy as np

from .exercises import Diagnosis, compare

__all__ = ["check_residual_backward", "check_residual_variance", "check_branch_scale"]


def _call(fn, name, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # the learner's code may raise anything
        return None, Diagnosis(False, f"✗ {name}: your function raised {type(exc).__name__}: {exc}",
                               ["hint: call it yourself on the inputs above to see why."], "error")


def _numbers(fn, name, cases):
    """Call ``fn(*case)`` for every case; return (floats, None) or (None, Diagnosis)."""
    got = []
    for case in cases:
        value, err = _call(fn, name, *case)
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
        value, err = _call(fn, name, dr.copy(), J.copy(), alpha)
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
    return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3] + ["hint: " + hint], kind)


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
    return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3] + ["hint: " + hint], kind)


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
    return Diagnosis(False, f"✗ {name}: {summary}", d.details[:3] + ["hint: " + hint], kind)
