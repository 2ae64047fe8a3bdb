"""Self-checking exercises: compare a learner's function with the library's.

Each ``check_*`` function calls the learner's function on a set of cases,
compares the result with the reference computation, and returns a
:class:`Diagnosis`. A diagnosis does not stop at pass/fail: it names the
first case where the answers differ, shows both values, and recognises the
typical slips of the first attempt (a flipped sign, a missing Step factor,
a wrong input to the last layer, a missing transpose or batch sum) with a
hint. In a notebook, the diagnosis prints itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .core import scalar
from .core.activations import get_activation, step
from .core.layers import backward_step
from .theory import norm_gain, variance_gain

__all__ = [
    "Diagnosis",
    "compare",
    "check_relu_derivative",
    "check_one_neuron_gradient",
    "check_two_layer_gradients",
    "check_chain_gradient",
    "check_backward_step",
    # chapter "Gradient checking"
    "check_central_difference",
    # chapters "Initialization" and "Training deep networks"
    "check_init_std",
    "check_variance_gain",
    "check_sgd_step",
    # chapter "Vanishing and exploding"
    "check_signal_gain",
]


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


def _call(fn, name, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # the learner's code may raise anything
        return None, Diagnosis(False, f"✗ {name}: your function raised {type(exc).__name__}: {exc}",
                               ["hint: call it yourself on the inputs above to see why."], "error")


def _scalar_cases():
    """Inputs covering active and inactive units, positive and negative weights."""
    return [
        (1.5, 2.0, 1.0), (0.5, 1.0, 3.0), (-0.7, 2.0, 1.0), (2.0, 0.5, 0.2),
        (-1.2, 1.5, -0.5), (0.8, 3.0, 0.0), (1.1, 0.7, 2.5), (-0.3, 0.9, 0.4),
    ]


def check_relu_derivative(fn) -> Diagnosis:
    """Check ``fn(z)`` against Step(z) on an array with positive, negative and zero entries.

    Both 0 and 1 are accepted at exactly z = 0 (the text explains why), but
    ``fn`` must be elementwise and return the shape of ``z``.
    """
    z = np.array([-3.0, -0.5, -1e-12, 0.0, 1e-12, 0.5, 3.0])
    got, err = _call(fn, "ReLU derivative", z.copy())
    if err is not None:
        return err
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Diagnosis(False, f"✗ ReLU derivative: returned {got!r}, which is not an array of numbers.",
                         ["hint: return an array the shape of z."], "error")
    expected = step(z)
    if got.shape == z.shape and got[3] in (0.0, 1.0):
        expected = expected.copy()
        expected[3] = got[3]
    z_text = "[" + ", ".join(f"{v:g}" for v in z) + "]"
    return compare("ReLU derivative", [got], [expected], [f"z = {z_text}"],
                   hints={"wrong": "Step(z) is 1 where z > 0 and 0 where z < 0; it does not depend on "
                                   "the size of z.",
                          "missing_step": "Negative z must give 0."})


def check_one_neuron_gradient(fn) -> Diagnosis:
    """Check ``fn(w, x, y)`` = dC/dw for one ReLU neuron, ŷ = ReLU(w x), C = (ŷ - y)²/2.

    The reference is :func:`reluprop.core.scalar.one_layer_gradient` (``eq-one-neuron-dw``).
    """
    cases = _scalar_cases()
    got, expected, desc, zero = [], [], [], []
    for w, x, y in cases:
        g, err = _call(fn, "dC/dw (one neuron)", w, x, y)
        if err is not None:
            return err
        got.append(g)
        expected.append(scalar.one_layer_gradient(w, x, y))
        desc.append(f"w={w}, x={x}, y={y}")
        zero.append(np.asarray(w * x <= 0))
    return compare("dC/dw (one neuron)", got, expected, desc, zero_mask=zero)


def check_two_layer_gradients(fn) -> Diagnosis:
    """Check ``fn(w0, w1, x, y)`` returning ``(dC/dw0, dC/dw1)`` for ŷ = ReLU(w1 ReLU(w0 x)).

    The reference is :func:`reluprop.core.scalar.two_layer_gradients`
    (``eq-two-dw0``, ``eq-two-dw1``).
    """
    cases = [(w0, w1, x, y) for (w0, x, y) in _scalar_cases() for w1 in (1.3, -0.6)]
    got, expected, desc, zero = [], [], [], []
    for w0, w1, x, y in cases:
        g, err = _call(fn, "(dC/dw0, dC/dw1)", w0, w1, x, y)
        if err is not None:
            return err
        try:
            g = np.asarray([np.asarray(v, dtype=np.float64) for v in g])
        except Exception:
            return Diagnosis(False, "✗ (dC/dw0, dC/dw1): return a pair (dC/dw0, dC/dw1).", [], "shape")
        e = np.asarray(scalar.two_layer_gradients(w0, w1, x, y))
        z1 = w0 * x
        z2 = w1 * max(z1, 0.0)
        got.append(g)
        expected.append(e)
        desc.append(f"w0={w0}, w1={w1}, x={x}, y={y}")
        inactive = (z1 <= 0) or (z2 <= 0)
        zero.append(np.array([inactive, z2 <= 0]))
    return compare("(dC/dw0, dC/dw1)", got, expected, desc, zero_mask=zero)


def check_chain_gradient(fn, depth: int = 4) -> Diagnosis:
    """Check ``fn(w, x, y)`` returning the list ``[dC/dw^(0), ..., dC/dw^(L-1)]``
    for a scalar ReLU chain of ``depth`` layers (``eq-chain``).

    The reference is :func:`reluprop.core.scalar.chain_gradient`. Weights are
    drawn from a fixed seed, so the check is the same on every run.
    """
    rng = np.random.default_rng(12345)
    got, expected, desc, zero = [], [], [], []
    for case in range(12):
        w = list(np.round(rng.uniform(-0.5, 2.0, size=depth), 2))
        x = float(np.round(rng.uniform(0.2, 2.0), 2))
        y = float(np.round(rng.uniform(-1.0, 3.0), 2))
        g, err = _call(fn, "chain gradient", list(w), x, y)
        if err is not None:
            return err
        try:
            g = np.asarray([np.asarray(v, dtype=np.float64) for v in g])
        except Exception:
            return Diagnosis(False, f"✗ chain gradient: return a list of {depth} numbers.", [], "shape")
        e = np.asarray(scalar.chain_gradient(w, x, y))
        z, _ = scalar.chain_forward(w, x)
        dead_above = np.array([any(z[m] <= 0 for m in range(k + 1, depth + 1)) for k in range(depth)])
        got.append(g)
        expected.append(e)
        desc.append(f"w={[float(v) for v in w]}, x={x}, y={y}")
        zero.append(dead_above)
    return compare(f"chain gradient (L={depth})", got, expected, desc, zero_mask=zero,
                   hints={"wrong": "dC/dw^(k) = (ŷ - y) · Step(z^(L)) · Π_{m=k+1}^{L-1} w^(m) Step(z^(m)) · r^(k): "
                                   "the last factor is the weight's own input r^(k), not x."})


def check_backward_step(fn, activation="relu") -> Diagnosis:
    """Check ``fn(dr, z, r_prev, W)`` returning ``(dz, dr_prev, dW, db)`` for one batched layer.

    The reference is :func:`reluprop.core.layers.backward_step`
    (``eq-backward-dz`` to ``eq-backward-db``). Shapes: ``dr``, ``z`` are
    (batch, n_out); ``r_prev`` is (batch, n_in); ``W`` is (n_in, n_out).
    """
    act = get_activation(activation)
    rng = np.random.default_rng(2024)
    names = ["dz", "dr_prev", "dW", "db"]
    hints = {
        "dz": "dz = dr * f'(z), elementwise (eq-backward-dz).",
        "dr_prev": "dr_prev = dz @ W.T: each input unit sums over the units it feeds (eq-backward-dr).",
        "dW": "dW = r_prev.T @ dz, shape (n_in, n_out): it sums over the batch (eq-backward-dw).",
        "db": "db = dz.sum(axis=0): one entry per output unit, summed over the batch (eq-backward-db).",
    }
    shapes = [(3, 4, 2), (1, 2, 3), (5, 3, 3)]
    per_name = {n: ([], [], [], []) for n in names}
    for batch, n_in, n_out in shapes:
        dr = rng.standard_normal((batch, n_out))
        z = rng.standard_normal((batch, n_out))
        r_prev = rng.standard_normal((batch, n_in))
        W = rng.standard_normal((n_in, n_out))
        g, err = _call(fn, "backward step", dr.copy(), z.copy(), r_prev.copy(), W.copy())
        if err is not None:
            return err
        if not isinstance(g, (tuple, list)) or len(g) != 4:
            return Diagnosis(False, "✗ backward step: return a tuple (dz, dr_prev, dW, db).", [], "shape")
        e = backward_step(dr, z, r_prev, W, act)
        for n, gv, ev in zip(names, g, e):
            per_name[n][0].append(gv)
            per_name[n][1].append(ev)
            per_name[n][2].append(f"batch={batch}, n_in={n_in}, n_out={n_out}")
            per_name[n][3].append(np.broadcast_to(z <= 0, np.shape(ev)) if n == "dz" else np.zeros(np.shape(ev), bool))
    for n in names:
        got, expected, desc, zero = per_name[n]
        d = compare(n, got, expected, desc, zero_mask=zero, hints={"wrong": hints[n], "shape": hints[n]})
        if not d.passed:
            return d
    return Diagnosis(True, f"✓ backward step: dz, dr_prev, dW and db are correct on all {len(shapes)} cases.")


# ---------------------------------------------------------------------------
# Chapter "Gradient checking": a learner's central difference.
# ---------------------------------------------------------------------------

def _cd_cases():
    """Smooth test functions (plain Python arithmetic, exact derivatives), points and steps."""
    import math

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
        g, err = _call(fn, "central difference", f, x, h)
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
                "hint: one-sided: error O(h). Step to both sides, to f(x + h) and",
                "  f(x - h), and divide by the distance between them, 2h: the h² terms",
                "  of the two Taylor series cancel, and the error is O(h²).",
            ],
            "one_sided",
        )
    return compare("central difference", got, expected, desc, rtol=1e-9, atol=1e-12,
                   hints={"scale": "The distance between x - h and x + h is 2h: divide by 2h, not h.",
                          "sign": "Subtract in the order f(x + h) - f(x - h): the later point first.",
                          "wrong": "The central difference is (f(x + h) - f(x - h)) / (2h)."})


# ---------------------------------------------------------------------------
# Chapter "Initialization": the standard deviation that preserves the variance.
# ---------------------------------------------------------------------------

_INIT_WIDTHS = (1, 3, 10, 64, 256, 1000)


def _wrap_hints(check):
    """Wrap the long hint lines of a checker's diagnosis to fit a notebook's width."""
    import functools
    import textwrap

    @functools.wraps(check)
    def wrapped(*args, **kwargs):
        d = check(*args, **kwargs)
        d.details = [textwrap.fill(x, width=76, subsequent_indent="      ")
                     if x.startswith("hint:") else x for x in d.details]
        return d

    return wrapped


def _gain(activation, slope):
    act = get_activation(activation, slope=slope)
    if act.name not in ("relu", "leaky_relu", "identity"):
        raise ValueError(f"activation must be 'relu', 'leaky_relu' or 'identity'; got {act.name!r}")
    return variance_gain(act), act


@_wrap_hints
def check_init_std(fn, activation="relu", slope: float = 0.01) -> Diagnosis:
    """Check ``fn(n_in)``: the weight standard deviation that keeps the variance constant.

    For ReLU the answer is He's ``sqrt(2 / n_in)`` (``eq-he``); for leaky ReLU
    with slope ``a`` it is ``sqrt(2 / ((1 + a**2) n_in))``; for the identity
    ``sqrt(1 / n_in)``. Recognises LeCun's/Xavier's ``sqrt(1 / n_in)`` used
    for ReLU (kind ``"xavier"``), the variance returned instead of the
    standard deviation (kind ``"variance"``), He's value used for leaky ReLU
    (kind ``"ignores_slope"``) and other constant factors (kind ``"scale"``).
    """
    gain, act = _gain(activation, slope)
    name = f"init std ({act.name}{', a = %g' % act.params['slope'] if act.name == 'leaky_relu' else ''})"
    got, expected, desc = [], [], []
    for n in _INIT_WIDTHS:
        g, err = _call(fn, name, n)
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
                         d.details[:3] + ["hint: rng.normal and init_std take a standard deviation: "
                                          "return the square root of the variance."], "variance")
    if act.name != "identity" and np.allclose(got_a, np.sqrt(1.0 / np.array(_INIT_WIDTHS)), rtol=1e-9):
        return Diagnosis(False, f"✗ {name}: yours is LeCun's/Xavier's sqrt(1/n_in).",
                         d.details[:3] + [f"hint: that value suits a linear unit. ReLU sets about half "
                                          f"of its inputs to 0, so E[f(z)²] = {gain:g} · Var[z], not "
                                          f"Var[z]: {rule}"], "xavier")
    if act.name == "leaky_relu" and np.allclose(got_a, np.sqrt(2.0 / np.array(_INIT_WIDTHS)), rtol=1e-9):
        return Diagnosis(False, f"✗ {name}: yours is He's value for ReLU; it ignores the slope.",
                         d.details[:3] + [f"hint: leaky ReLU keeps a fraction a² of the negative half's "
                                          f"second moment, so E[f(z)²] = (1 + a²)/2 · Var[z]: {rule}"],
                         "ignores_slope")
    details = [x for x in d.details if not x.startswith("hint:")]
    if d.kind == "scale":
        details.append(f"yours is {got_a[0] / exp_a[0]:.4g} times the variance-preserving value")
    return Diagnosis(False, f"✗ {name}: differs from the variance-preserving value.",
                     details + ["hint: " + rule], d.kind)


@_wrap_hints
def check_variance_gain(fn) -> Diagnosis:
    """Check ``fn(n_in, var_w, slope)``: the factor by which one leaky-ReLU layer multiplies Var[z].

    The answer is ``(1 + slope**2) / 2 * n_in * var_w`` (slope 0 is ReLU,
    slope 1 the identity). Recognises a missing 1/2 (kind ``"scale"``) and
    ``(1 + slope)`` in place of ``(1 + slope**2)`` (kind ``"slope_not_squared"``).
    """
    cases = [(n, v, a) for n in (4, 100) for v in (0.02, 0.5) for a in (0.0, 0.01, 0.2, 1.0)]
    got, expected, desc = [], [], []
    for n, v, a in cases:
        g, err = _call(fn, "variance gain", n, v, a)
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
        return Diagnosis(False, "✗ variance gain: the slope enters squared.",
                         d.details[:3] + ["hint: on the negative half f(z) = a·z, so f(z)² = a²·z²: "
                                          "the factor is (1+a²)/2, not (1+a)/2."], "slope_not_squared")
    return Diagnosis(False, "✗ variance gain: differs from (1 + a²)/2 · n_in · Var[W].", d.details, d.kind)


# ---------------------------------------------------------------------------
# Chapter "Training deep networks": one step of gradient descent.
# ---------------------------------------------------------------------------

@_wrap_hints
def check_sgd_step(fn) -> Diagnosis:
    """Check ``fn(W, b, dW, db, lr)`` returning new lists ``(W_new, b_new)`` after one SGD step.

    The answer is ``W[k] - lr * dW[k]`` and ``b[k] - lr * db[k]``, returned as
    new arrays: the arguments must not be modified. The *updates*
    ``W_new - W`` are compared with ``-lr * dW``, so a step uphill is reported
    as kind ``"sign"``; another constant factor as kind ``"scale"``;
    a missing learning rate as kind ``"missing_lr"``; modifying the arguments
    in place as kind ``"in_place"``.
    """
    rng = np.random.default_rng(7)
    shapes = [[(3, 2)], [(2, 4), (4, 1)], [(5, 3), (3, 3), (3, 2)]]
    got, expected, no_lr, desc = [], [], [], []
    for lr, shape_list in zip((0.1, 0.03, 0.5), shapes):
        W = [rng.standard_normal(s) for s in shape_list]
        b = [rng.standard_normal(s[1]) for s in shape_list]
        dW = [rng.standard_normal(s) for s in shape_list]
        db = [rng.standard_normal(s[1]) for s in shape_list]
        originals = [a.copy() for a in W + b + dW + db]
        out, err = _call(fn, "SGD step", W, b, dW, db, lr)
        if err is not None:
            return err
        if any(not np.array_equal(a, o) for a, o in zip(W + b + dW + db, originals)):
            return Diagnosis(False, "✗ SGD step: your function modified its arguments in place.",
                             ["hint: build new arrays, e.g. [w - lr * g for w, g in zip(W, dW)]: the "
                              "old network must stay as it was (for comparison, or to go back)."],
                             "in_place")
        try:
            W_new, b_new = out
            upd = np.concatenate([(np.asarray(wn, dtype=np.float64) - w).ravel()
                                  for wn, w in zip(list(W_new) + list(b_new), originals[:2 * len(W)])])
        except Exception:
            return Diagnosis(False, "✗ SGD step: return a pair (W_new, b_new) of lists of arrays "
                             "with the shapes of W and b.", [], "shape")
        got.append(upd)
        expected.append(np.concatenate([(-lr * g).ravel() for g in dW + db]))
        no_lr.append(np.concatenate([(-g).ravel() for g in dW + db]))
        desc.append(f"lr = {lr}, {len(W)} layer(s)")
    d = compare("SGD step (W_new - W, b_new - b)", got, expected, desc, rtol=1e-9, atol=1e-12,
                hints={"sign": "You stepped uphill: gradient descent moves against the gradient, "
                               "W-lr*dW, not W+lr*dW (the first attempt's sign slip, once more).",
                       "scale": "Multiply the gradient by the learning rate lr, once.",
                       "extra_zero": "Some parameters did not move: update every W[k] and every b[k].",
                       "wrong": "W_new[k] = W[k] - lr * dW[k] and b_new[k] = b[k] - lr * db[k], "
                                "for every layer k."})
    if not d.passed and all(np.shape(g) == np.shape(e) and np.allclose(g, e, rtol=1e-9, atol=1e-12)
                            for g, e in zip(got, no_lr)):
        return Diagnosis(False, "✗ SGD step: the learning rate is missing.",
                         d.details[:3] + ["hint: the step is lr * dW, not dW: multiply by lr."],
                         "missing_lr")
    if not d.passed:
        return Diagnosis(False, "✗ SGD step: the updates W_new - W, b_new - b differ from -lr · gradient.",
                         d.details, d.kind)
    return d


# ---------------------------------------------------------------------------
# Chapter "Vanishing and exploding": the gain of the backpropagated signal over L layers.
# ---------------------------------------------------------------------------

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
        g, err = _call(fn, name, s, L, a)
        if err is not None:
            return err
        try:
            g = float(g)
        except Exception:
            return Diagnosis(False, f"✗ {name}: return one number.",
                             [f"got {type(g).__name__}", "hint: return a single float, the ratio of the two norms."],
                             "shape")
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
         "about half of the units are inactive, where f'(z) = 0\n"
         "(or a for leaky ReLU): E[f'(z)²] = (1 + a²)/2, not 1. With\n"
         "n · Var[W] = 2·scale², one layer multiplies the norm by\n"
         "sqrt(2·scale² · (1 + a²)/2) = scale · sqrt(1 + a²)."),
        ("squared", per_layer(lambda s, a: s * s * (1.0 + a * a)),
         "yours is the gain of the squared norm (the variance).",
         "the norm is the square root of the squared norm:\n"
         "take the square root of the per-layer factor."),
        ("off_by_one", [(s * np.sqrt(1.0 + a * a)) ** (L - 1) for s, L, a in cases],
         "yours has one factor too few.",
         "from r^(L) back to r^(0) the signal passes L layers:\n"
         "one factor per layer, L factors."),
        ("off_by_one", [(s * np.sqrt(1.0 + a * a)) ** (L + 1) for s, L, a in cases],
         "yours has one factor too many.",
         "from r^(L) back to r^(0) the signal passes L layers:\n"
         "one factor per layer, L factors."),
        ("ignores_scale", [np.sqrt(1.0 + a * a) ** L for s, L, a in cases],
         "yours does not depend on the scale.",
         "the weights enter once per layer: their standard deviation\n"
         "scale·sqrt(2/n) multiplies the signal's norm by scale·sqrt(2)\n"
         "(times the activation's share)."),
    ]
    for kind, values, summary, hint in patterns:
        if np.allclose(got, values, rtol=1e-9, atol=0.0):
            return Diagnosis(False, f"✗ {name}: {summary}", head + _wrap_hint(hint), kind)
    return Diagnosis(False, f"✗ {name}: differs from (scale · sqrt(1 + a²)) ** depth.",
                     [x for x in d.details if not x.startswith("hint:")]
                     + _wrap_hint("one layer back multiplies the norm by sqrt(n · Var[W] · E[f'(z)²]);\n"
                                  "with Var[W] = scale² · 2/n and E[f'(z)²] = (1 + a²)/2\n"
                                  "that is scale · sqrt(1 + a²)."),
                     d.kind)


def _wrap_hint(hint):
    """``"hint: ..."`` as detail lines, one per line of ``hint``, continuation lines indented."""
    first, *rest = hint.split("\n")
    return ["hint: " + first] + ["      " + line for line in rest]


# Part III checkers live in their own modules and are re-exported here, so a
# chapter calls every checker as ``rp.exercises.check_...``.
from .exercises_part3_isometry import check_jacobian_spectrum  # noqa: E402
from .exercises_part3_normalization import check_norm_backward  # noqa: E402

__all__ += ["check_norm_backward", "check_jacobian_spectrum"]
