"""Where the first attempt's formulas agree with the true gradient, and where not.

The learner's formulas (:mod:`reluprop.scalar`, ``first_attempt_*``) are
compared with the true gradients point by point, and every point gets one of
four integer codes:

====  ======================  ================================================
code  name                    meaning
====  ======================  ================================================
0     ``"equal"``             the formula gives the true gradient
1     ``"sign only"``         it gives minus the true gradient (non-zero)
2     ``"non-zero, true 0"``  the true gradient is 0 (a unit is inactive), the
                              formula is not
3     ``"otherwise wrong"``   anything else
====  ======================  ================================================

Every function broadcasts over NumPy arrays, so passing grids of weights
gives a map of the weight plane (the chapter *Two layers*). Arguments follow
the answer's numbering (``w0`` is the first layer's weight, ``w1`` the last
one's); the learner's formulas, which number from the output, are called with
their own numbering inside.
"""

from __future__ import annotations

import numpy as np

from .core import scalar
from .core._validate import as_float_array, require_real
from .core.activations import relu

__all__ = [
    "EQUAL",
    "SIGN_ONLY",
    "NONZERO_WHERE_ZERO",
    "OTHER",
    "CATEGORY_NAMES",
    "classify",
    "category_fractions",
    "classify_first_attempt_one_layer",
    "classify_first_attempt_two_layers",
    "two_layer_identity_holds",
]

EQUAL, SIGN_ONLY, NONZERO_WHERE_ZERO, OTHER = 0, 1, 2, 3

#: Names of the codes, indexed by code.
CATEGORY_NAMES = ("equal", "sign only", "non-zero, true 0", "otherwise wrong")


def _tolerances(rtol, atol):
    return require_real(rtol, "rtol", minimum=0.0), require_real(atol, "atol", minimum=0.0)


def classify(attempt, truth, rtol: float = 1e-9, atol: float = 1e-12) -> np.ndarray:
    """Compare a claimed gradient with the true one, elementwise.

    Parameters
    ----------
    attempt, truth : arrays of broadcastable shapes
        The claimed and the true gradient.
    rtol, atol : float
        Tolerances of :func:`numpy.isclose`; ``|truth| <= atol`` counts as 0.

    Returns
    -------
    array of int8, the broadcast shape
        ``EQUAL`` (0), ``SIGN_ONLY`` (1), ``NONZERO_WHERE_ZERO`` (2) or
        ``OTHER`` (3) at each point, checked in that order.
    """
    rtol, atol = _tolerances(rtol, atol)
    a = as_float_array(attempt, "attempt")
    t = as_float_array(truth, "truth")
    a, t = np.broadcast_arrays(a, t)
    equal = np.isclose(a, t, rtol=rtol, atol=atol)
    sign = ~equal & np.isclose(a, -t, rtol=rtol, atol=atol)
    spurious = ~equal & ~sign & (np.abs(t) <= atol)
    codes = np.full(a.shape, OTHER, dtype=np.int8)
    codes[spurious] = NONZERO_WHERE_ZERO
    codes[sign] = SIGN_ONLY
    codes[equal] = EQUAL
    return codes


def category_fractions(codes) -> dict:
    """Fraction of points in each category, as plain floats.

    Parameters
    ----------
    codes : integer array
        Output of one of the ``classify*`` functions (at least one element).

    Returns
    -------
    dict
        ``CATEGORY_NAMES[c]`` -> fraction of ``codes`` equal to ``c``, for
        every code (fractions sum to 1).
    """
    codes = np.asarray(codes)
    if codes.size == 0:
        raise ValueError("codes must hold at least one element")
    if not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"codes must be an integer array, got dtype {codes.dtype}")
    bad = ~np.isin(codes, np.arange(len(CATEGORY_NAMES)))
    if np.any(bad):
        raise ValueError(f"codes must be in 0..{len(CATEGORY_NAMES) - 1}; got {np.unique(codes[bad])}")
    return {name: float(np.mean(codes == c)) for c, name in enumerate(CATEGORY_NAMES)}


def classify_first_attempt_one_layer(w, x, y, rtol: float = 1e-9, atol: float = 1e-12,
                                     fix_sign: bool = False) -> np.ndarray:
    """Classify the learner's one-neuron formula (y - ReLU(w x)) x.

    The truth is :func:`reluprop.scalar.one_layer_gradient` (``eq-one-neuron-dw``).
    With ``fix_sign=True`` the formula is negated first, isolating the
    missing Step(w x) factor.

    Returns
    -------
    array of int8
        Codes as in :func:`classify`, broadcast over ``w``, ``x``, ``y``.
    """
    attempt = scalar.first_attempt_one_layer(w, x, y)
    if fix_sign:
        attempt = -attempt
    return classify(attempt, scalar.one_layer_gradient(w, x, y), rtol, atol)


def classify_first_attempt_two_layers(w0, w1, x, y, rtol: float = 1e-9, atol: float = 1e-12,
                                      fix_sign: bool = False) -> np.ndarray:
    """Classify the learner's two-layer formula for the first layer's weight.

    The network is ŷ = ReLU(w1 ReLU(w0 x)) in the answer's numbering. The
    learner calls the first weight ``w2`` and writes
    dC/dw2 = (y - ŷ)(w1 x); the truth is dC/dw0 from
    :func:`reluprop.scalar.two_layer_gradients` (``eq-two-dw0``).

    Parameters
    ----------
    w0, w1, x, y : floats or arrays (broadcast together)
        First and last weight (answer's numbering), input and target.
    rtol, atol : float
        Tolerances, as in :func:`classify`.
    fix_sign : bool
        Negate the learner's formula first: what is left is the error of
        the identity ReLU(w1 ReLU(w0 x)) = w1 w0 x.

    Returns
    -------
    array of int8
        Codes as in :func:`classify`; e.g. on a grid ``W0, W1 =
        np.meshgrid(...)`` a map of the (w1, w0) plane.
    """
    learner_w1, learner_w2 = w1, w0  # the learner numbers from the output
    attempt = scalar.first_attempt_two_layers(learner_w1, learner_w2, x, y)
    if fix_sign:
        attempt = -attempt
    d_w0, _ = scalar.two_layer_gradients(w0, w1, x, y)
    return classify(attempt, d_w0, rtol, atol)


def two_layer_identity_holds(w0, w1, x, rtol: float = 1e-9, atol: float = 1e-12) -> np.ndarray:
    """Where ReLU(w1 ReLU(w0 x)) = w1 w0 x, the identity behind the first attempt.

    It holds when w0 x >= 0 and w1 w0 x >= 0, and trivially wherever
    w1 w0 x = 0 (both sides 0). For x > 0: the closed quadrant w0, w1 >= 0
    plus the two axes w0 = 0 and w1 = 0.

    Returns
    -------
    array of bool, the broadcast shape of the inputs
    """
    rtol, atol = _tolerances(rtol, atol)
    w0, w1, x = (as_float_array(v, n) for v, n in ((w0, "w0"), (w1, "w1"), (x, "x")))
    return np.isclose(relu(w1 * relu(w0 * x)), w1 * w0 * x, rtol=rtol, atol=atol)
