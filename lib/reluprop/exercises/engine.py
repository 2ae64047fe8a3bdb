"""The engine of every exercise checker: the diagnosis, the comparison, the hints.

A chapter's exercise lives in one small module of this package, named after
the chapter (``relu.py``, ``one_neuron.py``, ...). Adding one means editing
that file alone:

1. write ``check_<name>(fn, ...) -> Diagnosis``: call the learner's
   function through :func:`call` (an exception becomes a diagnosis), then
   compare its answers with the reference through :func:`compare`, which
   names the first differing case, shows both values and recognises the
   common patterns (a flipped sign, a missing Step factor, a constant
   factor, a wrong shape);
2. where the checker recognises a slip of its own, return a
   :class:`Diagnosis` with the comparison's first lines as ``details`` and
   the advice in ``hints``;
3. list the checker in the module's ``__all__``: it then appears as
   ``reluprop.exercises.check_<name>``.

Hints have one form: each is a single sentence or paragraph in the
``hints`` field of a :class:`Diagnosis` (never a detail line). Printing a
diagnosis is the one place that lays them out: every hint starts with
``hint:`` and is wrapped to ``WIDTH`` characters, its continuation lines
indented to where its words begin. A checker writes a hint's words, never
its line breaks.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Diagnosis", "compare", "call", "WIDTH"]

#: The width, in characters, of every printed hint line (indentation included).
WIDTH = 78
_INDENT = "  "
_HINT = "hint: "


@dataclass
class Diagnosis:
    """The outcome of a check.

    Attributes
    ----------
    passed : bool
    summary : str
        One line: what was checked and the verdict.
    details : list of str
        Where the answers differ: the first differing case and both values.
        A detail line is printed as it is (indented by two spaces).
    kind : str
        ``"ok"``, ``"sign"``, ``"missing_step"``, ``"extra_zero"``,
        ``"scale"``, ``"shape"``, ``"error"`` or ``"wrong"`` (or a pattern a
        chapter's checker recognises): the recognised pattern, for tests and
        for the hint.
    hints : list of str
        What to look at, one paragraph per hint, without line breaks and
        without the ``"hint: "`` prefix: printing adds both.

    Raises
    ------
    TypeError
        If ``details`` or ``hints`` is not a list of strings.
    ValueError
        If a hint is empty, contains a line break or starts with ``"hint:"``,
        or a detail line starts with ``"hint:"`` (hints go in ``hints``).
    """

    passed: bool
    summary: str
    details: list = field(default_factory=list)
    kind: str = "ok"
    hints: list = field(default_factory=list)

    def __post_init__(self):
        for arg in ("details", "hints"):
            value = getattr(self, arg)
            if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
                raise TypeError(f"{arg} must be a list of str; got {value!r}")
            setattr(self, arg, list(value))
        for d in self.details:
            if d.lstrip().lower().startswith("hint:"):
                raise ValueError(f"details must not contain hints (pass them as hints=[...]); got {d!r}")
        for h in self.hints:
            if not h.strip() or "\n" in h or h.lstrip().lower().startswith("hint:"):
                raise ValueError("every hint must be one non-empty paragraph without line breaks "
                                 f"and without the 'hint:' prefix; got {h!r}")

    def __str__(self) -> str:
        lines = [self.summary] + [_INDENT + d for d in self.details]
        for h in self.hints:
            lines += _wrap_hint(h)
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return self.passed

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


# A lone operator between spaces ("y - ŷ", "a · b") stays on the line of both of its operands.
_OPERATOR = re.compile(r" ([-+*/·=<>@×]{1,2}) ")
_GLUE = "\x00"  # a space at which no line may break
_SHORT = 40      # brackets spanning at most this many characters are never broken


def _glue(hint: str) -> str:
    """``hint`` with the spaces at which no line may break replaced by ``_GLUE``."""
    chars, opened = list(hint), []
    for i, ch in enumerate(hint):
        if ch in "([{":
            opened.append(i)
        elif ch in ")]}" and opened:
            start = opened.pop()
            if i - start <= _SHORT:
                chars[start:i] = [_GLUE if c == " " else c for c in chars[start:i]]
    glued = _OPERATOR.sub(lambda m: _GLUE + m.group(1) + _GLUE, "".join(chars))
    room = WIDTH - len(_INDENT + _HINT)
    # A glued group longer than a line may break after all.
    return " ".join(w if len(w) <= room else w.replace(_GLUE, " ") for w in glued.split(" "))


def _wrap_hint(hint: str) -> list:
    """The printed lines of one hint: ``"  hint: "``, then its words wrapped to ``WIDTH``.

    Continuation lines are indented to where the hint's words begin. A line
    never starts or ends with a lone operator, and a short bracketed group
    such as ``E[ln ||.||]`` or ``(1 - beta1**t)`` stays on one line.
    """
    lines = textwrap.wrap(_glue(hint), width=WIDTH, initial_indent=_INDENT + _HINT,
                          subsequent_indent=" " * len(_INDENT + _HINT),
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace(_GLUE, " ") for line in lines]


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
        A chapter's wording of the hint for a pattern kind (``"sign"``,
        ``"scale"``, ``"wrong"``, ...), in place of the default wording.

    Returns
    -------
    Diagnosis
        On a mismatch: ``details`` are the number of differing cases, the
        first one and both values; ``hints`` the hint for the recognised
        pattern (the sign's hint first when a flipped sign comes on top of a
        missing Step factor).
    """
    hints = hints or {}
    default_hints = {
        "sign": "The sign is flipped: dC/dŷ = ŷ - y (prediction minus target), not y - ŷ. "
                "With the flipped sign, gradient descent climbs the cost.",
        "missing_step": "Where a unit is inactive (z <= 0) the true gradient is 0, but yours is not: "
                        "every layer from the one the weight feeds up to the output contributes a "
                        "factor Step(z).",
        "extra_zero": "Yours is 0 where the true gradient is not: check which Step factors you use "
                      "and whether Step(z) is 1 for z > 0.",
        "scale": "Yours is a constant multiple of the true gradient: check the 1/2 in the cost, "
                 "the 1/batch, or a repeated factor.",
        "shape": "The shapes differ: every gradient has the shape of the quantity it differentiates.",
        "wrong": "Write the chain rule one factor per layer: (ŷ - y) · Step(z^(L)) at the output, then "
                 "w^(m) · Step(z^(m)) for every layer m from k+1 (the layer the weight w^(k) feeds) "
                 "to L-1, then the weight's own input r^(k).",
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
                kind="error",
                hints=["return numbers (floats or NumPy arrays)."],
            )
        e = np.asarray(expected[i], dtype=np.float64)
        if g.shape != e.shape:
            return Diagnosis(
                False,
                f"✗ {name}: wrong shape in case {i + 1} ({case_desc[i]}): got {g.shape}, expected {e.shape}",
                kind="shape",
                hints=[hints.get("shape", default_hints["shape"])],
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
    advice = []
    if kind == "missing_step":
        # A flipped sign can come on top of a missing step: say so.
        if all_cases(lambda g, e, i: np.allclose(np.where(np.asarray(zero_mask[i]), 0.0, g), -e, rtol=rtol, atol=atol)):
            advice.append(hints.get("sign", default_hints["sign"]))
    advice.append(hints.get(kind, default_hints[kind]))
    return Diagnosis(False, f"✗ {name}: differs from the true gradient.", details, kind, advice)


def call(fn, name, *args):
    """``(fn(*args), None)``, or ``(None, Diagnosis)`` naming the exception if the learner's code raised."""
    try:
        return fn(*args), None
    except Exception as exc:  # the learner's code may raise anything
        return None, Diagnosis(False, f"✗ {name}: your function raised {type(exc).__name__}: {exc}",
                               kind="error", hints=["call it yourself on the inputs above to see why."])
