"""The engine of every exercise checker: the diagnosis, the comparison, the hints.

A chapter's checkers (one small module per chapter in this package) call the
learner's function through :func:`call`, compare its answers with the
reference through :func:`compare`, and return a :class:`Diagnosis`. Hints
are detail lines that start with ``"hint: "``: :func:`compare` adds one for
the pattern it recognises (its wording can be overridden per pattern with
``hints=``); a checker that recognises a pattern of its own writes the
line itself, with :func:`hint_lines` for a hint broken into lines by hand or
:func:`wrap_hints` to wrap long hint lines to a notebook's width.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Diagnosis", "compare", "call", "hint_lines", "wrap_hints"]


@dataclass
class Diagnosis:
    """The outcome of a check.

    Attributes
    ----------
    passed : bool
    summary : str
        One line: what was checked and the verdict.
    details : list of str
        Where the answers differ (first differing case, values) and hints.
    kind : str
        ``"ok"``, ``"sign"``, ``"missing_step"``, ``"extra_zero"``,
        ``"scale"``, ``"shape"``, ``"error"`` or ``"wrong"``: the recognised
        pattern, for tests and for the hint.
    """

    passed: bool
    summary: str
    details: list = field(default_factory=list)
    kind: str = "ok"

    def __str__(self) -> str:
        return "\n".join([self.summary] + ["  " + d for d in self.details])

    def __bool__(self) -> bool:
        return self.passed

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def _fmt(v) -> str:
    arr = np.asarray(v, dtype=np.float64) + 0.0  # + 0.0 turns -0 into 0
    if arr.ndim == 0:
        return f"{float(arr):.4g}"
    return np.array2string(arr, precision=4, suppress_small=True, max_line_width=70)


def compare(name, got, expected, case_desc, rtol=1e-6, atol=1e-9, zero_mask=None, hints=None):
    """Compare arrays case by case and recognise typical patterns.

    Parameters
    ----------
    name : str
        What is being checked, e.g. ``"dC/dw"``.
    got, expected : list of arrays
        The learner's values and the reference, one entry per case.
    case_desc : list of str
        A description of each case (its inputs), shown for the first mismatch.
    rtol, atol : float
        Tolerances of ``numpy.allclose`` per case.
    zero_mask : list of bool arrays, optional
        Where the reference is zero *because a unit is inactive* (a Step
        factor is 0); used to recognise a missing Step factor.
    hints : dict, optional
        Extra hint per pattern kind, overriding the default wording.

    Returns
    -------
    Diagnosis
    """
    hints = hints or {}
    default_hints = {
        "sign": "The sign is flipped: dC/dŷ = ŷ - y (prediction minus target), not y - ŷ. "
                "With the flipped sign, gradient descent climbs the cost.",
        "missing_step": "Where a unit is inactive (z <= 0) the true gradient is 0, but yours is not: "
                        "every layer between the weight and the output contributes a factor Step(z).",
        "extra_zero": "Yours is 0 where the true gradient is not: check which Step factors you use "
                      "and whether Step(z) is 1 for z > 0.",
        "scale": "Yours is a constant multiple of the true gradient: check the 1/2 in the cost, "
                 "the 1/batch, or a repeated factor.",
        "shape": "The shapes differ: every gradient has the shape of the quantity it differentiates.",
        "wrong": "Write the chain rule one factor per layer: (ŷ - y), then w·Step(z) for every layer "
                 "above the weight, then the weight's own input.",
    }
    n = len(expected)
    mismatches = []
    for i in range(n):
        try:
            g = np.asarray(got[i], dtype=np.float64)
        except (TypeError, ValueError):
            return Diagnosis(
                False,
                f"✗ {name}: case {i + 1} ({case_desc[i]}) returned {got[i]!r}, which is not a number or array.",
                ["hint: return numbers (floats or NumPy arrays)."],
                "error",
            )
        e = np.asarray(expected[i], dtype=np.float64)
        if g.shape != e.shape:
            return Diagnosis(
                False,
                f"✗ {name}: wrong shape in case {i + 1} ({case_desc[i]}): got {g.shape}, expected {e.shape}",
                [hints.get("shape", default_hints["shape"])],
                "shape",
            )
        if not np.allclose(g, e, rtol=rtol, atol=atol):
            mismatches.append(i)
    if not mismatches:
        return Diagnosis(True, f"✓ {name}: correct on all {n} case{'s' if n != 1 else ''}.")

    g_all = [np.asarray(got[i], dtype=np.float64) for i in range(n)]
    e_all = [np.asarray(expected[i], dtype=np.float64) for i in range(n)]
    first = mismatches[0]

    def all_cases(pred):
        return all(pred(g_all[i], e_all[i], i) for i in range(n))

    kind = "wrong"
    if all_cases(lambda g, e, i: np.allclose(g, -e, rtol=rtol, atol=atol)):
        kind = "sign"
    elif zero_mask is not None and any(
        np.any(np.asarray(zero_mask[i]) & ~np.isclose(g_all[i], 0, atol=atol)) for i in mismatches
    ) and all_cases(
        lambda g, e, i: np.allclose(
            np.where(np.asarray(zero_mask[i]), 0.0, np.abs(g)),
            np.abs(e), rtol=rtol, atol=atol)
    ):
        kind = "missing_step"
    elif all(np.allclose(g_all[i][~np.isclose(g_all[i], 0, atol=atol)],
                         e_all[i][~np.isclose(g_all[i], 0, atol=atol)], rtol=rtol, atol=atol)
             for i in range(n)):
        kind = "extra_zero"
    else:
        ratios = []
        for i in range(n):
            mask = np.abs(e_all[i]) > atol
            if np.any(mask):
                ratios.extend((g_all[i][mask] / e_all[i][mask]).ravel().tolist())
        if ratios and np.allclose(ratios, ratios[0], rtol=1e-6) and not np.isclose(ratios[0], 1.0):
            kind = "scale"
            hints = dict(hints)
            hints.setdefault("scale", default_hints["scale"] + f" (ratio {ratios[0]:.4g})")
    details = [
        f"{len(mismatches)} of {n} cases differ; first: case {first + 1} ({case_desc[first]})",
        f"yours:    {_fmt(g_all[first])}",
        f"expected: {_fmt(e_all[first])}",
    ]
    if kind == "missing_step":
        # A flipped sign can come on top of a missing step: say so.
        if all_cases(lambda g, e, i: np.allclose(np.where(np.asarray(zero_mask[i]), 0.0, g), -e, rtol=rtol, atol=atol)):
            details.append("hint: " + hints.get("sign", default_hints["sign"]))
    details.append("hint: " + hints.get(kind, default_hints[kind]))
    return Diagnosis(False, f"✗ {name}: differs from the true gradient.", details, kind)


def call(fn, name, *args):
    """``(fn(*args), None)``, or ``(None, Diagnosis)`` naming the exception if the learner's code raised."""
    try:
        return fn(*args), None
    except Exception as exc:  # the learner's code may raise anything
        return None, Diagnosis(False, f"✗ {name}: your function raised {type(exc).__name__}: {exc}",
                               ["hint: call it yourself on the inputs above to see why."], "error")


def wrap_hints(check):
    """Decorator: wrap the long hint lines of a checker's diagnosis to fit a notebook's width."""
    @functools.wraps(check)
    def wrapped(*args, **kwargs):
        d = check(*args, **kwargs)
        d.details = [textwrap.fill(x, width=76, subsequent_indent="      ")
                     if x.startswith("hint:") else x for x in d.details]
        return d

    return wrapped


def hint_lines(hint):
    """``"hint: ..."`` as detail lines, one per line of ``hint``, continuation lines indented."""
    first, *rest = hint.split("\n")
    return ["hint: " + first] + ["      " + line for line in rest]
