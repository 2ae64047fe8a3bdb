"""Self-checking exercises of Part I's later chapters, on the engine of :mod:`reluprop.exercises`.

- chapter *The computational graph*: :func:`check_mul_backward`, the local
  backward rule of a product node (``eq-graph-backward``).
"""

from __future__ import annotations

import numpy as np

from .engine import Diagnosis, compare

__all__ = ["check_mul_backward"]

_MUL_CASES = [(1.0, 2.0, 3.0), (-0.5, 4.0, 0.25), (2.0, -1.5, 0.0), (0.3, 0.0, -2.0), (1.5, -3.0, -0.7)]


def check_mul_backward(fn) -> Diagnosis:
    """Check ``fn(upstream, a, b) -> (grad_a, grad_b)`` for the node ``v = a * b``.

    The answer is ``(upstream * b, upstream * a)``: each input receives the
    upstream gradient times the local derivative ``∂v/∂input``, which is the
    *other* input.

    Parameters
    ----------
    fn : callable
        The learner's function of three floats, returning two floats.

    Returns
    -------
    Diagnosis
    """
    got, expected, desc = [], [], []
    for up, a, b in _MUL_CASES:
        desc.append(f"upstream={up:g}, a={a:g}, b={b:g}")
        expected.append(np.array([up * b, up * a]))
        try:
            out = fn(up, a, b)
            got.append(np.asarray(out, dtype=np.float64).reshape(-1))
        except Exception as exc:  # the learner's code may raise anything
            return Diagnosis(False, f"✗ mul backward: your function raised {type(exc).__name__}: {exc}",
                             kind="error", hints=["return two numbers, (grad_a, grad_b)."])
    swapped = all(np.allclose(g, [up * a, up * b]) for g, (up, a, b) in zip(got, _MUL_CASES)
                  if g.shape == (2,))
    hint = ("each input receives the upstream gradient times the local derivative of the product "
            "with respect to that input, ∂(a b)/∂a = b and ∂(a b)/∂b = a: the *other* input")
    if swapped:
        hint = "you multiplied each input by itself; " + hint
    return compare("mul backward (grad_a, grad_b)", got, expected, desc, hints={"wrong": hint})
