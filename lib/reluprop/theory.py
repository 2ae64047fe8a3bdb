"""Mean-field theory: the moments of each activation, the recursions, the gains.

One module for every prediction the course makes about random networks at
initialization: the variance recursions of the chapter *Initialization*
(:mod:`reluprop.variance` measures them), the per-layer profiles of the
chapter *Vanishing and exploding* (:mod:`reluprop.experiments` measures them)
and the answer keys of the exercises about gains (:mod:`reluprop.exercises`).

Moments. For a pre-activation ``z ~ N(0, q)`` the recursions need
``E[f(z)^2]`` and ``E[f'(z)^2]`` (and, for pairs of examples at correlation
``c``, ``E[f(u) f(v)]`` and ``E[f'(u) f'(v)]``). For ReLU, leaky ReLU (slope
``a``) and the identity they have closed forms, exact whenever ``z`` is
symmetric about 0: ``E[f(z)^2] = (1 + a^2)/2 * q`` and ``E[f'(z)^2] =
(1 + a^2)/2`` (the gain, :func:`variance_gain`; the pair terms are the
arc-cosine kernels). For sigmoid and tanh they are computed by quadrature
(:class:`SmoothMoments`), which assumes ``z`` Gaussian: the wide-network
approximation.

Forward. For a bias-free network whose weights ``W^(k)`` are drawn
independently with mean 0 and variance ``Var[W^(k)]`` (He et al. 2015)::

    q_{k+1} = n_k Var[W^(k)] E[f(z^(k))^2],      q_k = E[(z^(k))^2]

so for ReLU ``q_{k+1} = (1/2) n_k Var[W^(k)] q_k`` and He's choice
``Var[W] = 2 / n_in`` (``eq-he``) keeps ``q`` constant.

Backward. With the gradient-independence assumption (the weights used going
back treated as independent of those used going forward)::

    E[(dC/dr^(k))^2] = n_{k+1} Var[W^(k)] E[f'(z^(k+1))^2] E[(dC/dr^(k+1))^2]

so going back one ReLU layer of a network with weights N(0, s^2 * 2/n)
multiplies ||dC/dr|| by exactly ``s``; leaky ReLU by ``s * sqrt(1 + a^2)``.
:func:`mean_field_profile` runs both recursions for a batch (keeping the
cross-example terms) in logarithms, so that predictions beyond float64's
range stay usable.

Residual blocks. For the block of :mod:`reluprop.residual`,
``r^(k+1) = r^(k) + alpha F(r^(k))`` with ``F(r) = f(r W1) W2`` (branch width
``m = n``, no biases), ``W1`` entries of variance ``2 s^2 / n`` and ``W2``
entries of variance ``1 / n``, write ``q_k`` for the mean square of a unit
of ``r^(k)``. A branch pre-activation ``z = r^(k) W1`` has variance
``2 s^2 q_k``; ``F``'s units have mean square ``E[f(z)^2]`` (``W2`` keeps the
mean square of ``h = f(z)``), and the cross term ``r . F`` has mean 0
because ``F`` is linear in ``W2``, which has mean 0. So::

    q_{k+1} = q_k + alpha^2 E[f(z)^2],      z ~ N(0, 2 s^2 q_k)

which for ReLU is ``q_{k+1} = (1 + alpha^2 s^2) q_k``: at ``s = 1`` the
chapter's ``eq-residual-variance``, ``(1 + alpha^2)`` per block. Going back,
with the gradient-independence assumption, the branch adds a term to the
identity path's ``dC/dr^(k+1)``: ``alpha dr W2^T`` (mean square kept),
times ``f'(z)`` (mean square times ``E[f'(z)^2]``), times ``W1^T``
(times ``n * 2 s^2 / n``). So::

    E||dC/dr^(k)||^2 = (1 + alpha^2 2 s^2 E[f'(z)^2]) E||dC/dr^(k+1)||^2

(for ReLU ``1 + alpha^2 s^2``; the backward analogue of
``eq-residual-variance``, derived for one block in :mod:`reluprop.residual`).
:func:`residual_mean_field_profile` runs both with the batch's pair terms
and predicts the weight gradients ``dW1^(k) = r^(k)T dz`` and
``dW2^(k) = h^T (alpha dC/dr^(k+1))`` from them as for a plain layer.

Orthogonal weights. A weight matrix ``c Q`` with ``Q`` Haar orthogonal
(:func:`reluprop.isometry.orthogonal`) has entries of mean 0 and variance
``c^2 / n``, like the Gaussian matrix it replaces (``c = s sqrt(2)`` gives
He's ``2 s^2 / n``), and ``||x Q|| = ||x||`` exactly. The recursions above
only use these second moments, so their predictions are the same for both
inits: orthogonal weights change the fluctuations around the mean field
(Saxe, McClelland and Ganguli 2014; Pennington, Schoenholz and Ganguli
2017), not the mean-field prediction itself.
"""

from __future__ import annotations

import math

import numpy as np

from .core._validate import require_real, require_sizes
from .core.activations import Activation, get_activation
from .core.layers import init_std

__all__ = [
    "MEAN_FIELD_ACTIVATIONS",
    "variance_gain",
    "norm_gain",
    "activation_second_moment",
    "derivative_second_moment",
    "predicted_forward_variance",
    "predicted_backward_variance",
    "PiecewiseLinearMoments",
    "SmoothMoments",
    "moments",
    "mean_field_profile",
    "residual_mean_field_profile",
]

_EXACT = ("relu", "leaky_relu", "identity")
#: Activations whose moments this module knows.
MEAN_FIELD_ACTIVATIONS = ("relu", "leaky_relu", "identity", "sigmoid", "tanh")


def _activation(activation, slope):
    return get_activation(activation, slope=slope, allowed=MEAN_FIELD_ACTIVATIONS)


def _slope(act) -> float:
    return float(act.params.get("slope", 0.0)) if act.name == "leaky_relu" else 0.0


def variance_gain(activation="relu", slope: float = 0.01) -> float:
    """The factor ``E[f(z)^2] / E[z^2]`` for ``z`` symmetric about 0.

    ReLU: 1/2; leaky ReLU with slope ``a``: (1 + a^2) / 2; identity: 1. One
    layer then multiplies the second moment by ``n_in * Var[W] * gain``, so
    the variance-preserving weight variance is ``1 / (gain * n_in)``.

    Parameters
    ----------
    activation : str or Activation
        ``"relu"``, ``"leaky_relu"`` or ``"identity"`` (the positively
        homogeneous activations, for which the gain does not depend on the
        scale of ``z``).
    slope : float
        Slope of leaky ReLU for ``z <= 0``.

    Raises
    ------
    ValueError
        For sigmoid and tanh, whose gain depends on the variance of ``z``:
        use :func:`activation_second_moment` for them.
    """
    act = _activation(activation, slope)
    if act.name not in _EXACT:
        raise ValueError(
            f"variance_gain is defined for relu, leaky_relu and identity; {act.name!r} is not "
            "positively homogeneous, so its gain depends on Var[z]: use activation_second_moment"
        )
    return moments(act).m2


def norm_gain(activation="relu", scale: float = 1.0, slope: float = 0.01) -> float:
    """Factor by which going back one wide layer multiplies ||dC/dr||, weights N(0, scale^2 * 2/n).

    ``sqrt(n Var[W] E[f'(z)^2]) = sqrt(2 scale^2 * gain)``: ``scale`` for
    ReLU, ``scale * sqrt(1 + a^2)`` for leaky ReLU, ``scale * sqrt(2)`` for
    the identity. Over ``L`` layers the signal's norm changes by this factor
    to the power ``L`` (chapter *Vanishing and exploding*).
    """
    scale = require_real(scale, "scale", minimum=0.0)
    return scale * math.sqrt(2.0 * variance_gain(activation, slope))


def activation_second_moment(activation, q, slope: float = 0.01) -> float:
    """``E[f(z)^2]`` for ``z`` with second moment ``q`` (Gaussian for sigmoid/tanh).

    Exact for relu, leaky_relu and identity whenever ``z`` is symmetric
    about 0 (``gain * q``); for sigmoid and tanh, ``z ~ N(0, q)`` is assumed
    and the expectation is computed by quadrature (:class:`SmoothMoments`).
    """
    act = _activation(activation, slope)
    q = float(q)
    if act.name in _EXACT:
        return variance_gain(act) * q
    return moments(act).ef2(max(q, 0.0))


def derivative_second_moment(activation, q, slope: float = 0.01) -> float:
    """``E[f'(z)^2]`` for ``z`` with second moment ``q``.

    ReLU: 1/2 (exact for symmetric ``z``); leaky ReLU: (1 + a^2)/2; identity:
    1; sigmoid and tanh: quadrature for ``z ~ N(0, q)`` (:class:`SmoothMoments`).
    """
    act = _activation(activation, slope)
    if act.name in _EXACT:
        return variance_gain(act)
    return moments(act).edf2(max(float(q), 0.0))


def _weight_variances(sizes, scheme, scale):
    scale = require_real(scale, "scale", minimum=0.0)
    return [init_std(scheme, n_in, n_out, scale) ** 2 for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def predicted_forward_variance(sizes, scheme: str = "he", scale: float = 1.0, activation="relu",
                               *, slope: float = 0.01, input_second_moment: float = 1.0) -> np.ndarray:
    """Predicted ``E[(z^(k))^2]`` for k = 1..L from the forward recursion.

    ``q_1 = n_0 Var[W^(0)] E[x^2]`` (the input is not an activation's
    output, so no 1/2 there), then ``q_{k+1} = n_k Var[W^(k)] E[f(z^(k))^2]``;
    for ReLU ``q_{k+1} = (1/2) n_k Var[W^(k)] q_k``, so
    ``q_L = q_1 * prod_{k=1}^{L-1} (1/2) n_k Var[W^(k)]``.

    Parameters
    ----------
    sizes : sequence of int
        Widths ``[n_0, ..., n_L]``.
    scheme, scale
        As in :func:`reluprop.layers.init_layers`: ``Var[W^(k)]`` is
        ``init_std(scheme, n_k, n_{k+1}, scale) ** 2``.
    activation : str
        ``"relu"``, ``"leaky_relu"``, ``"identity"`` (exact), ``"sigmoid"``,
        ``"tanh"`` (Gaussian approximation).
    slope : float
        Leaky ReLU's slope.
    input_second_moment : float
        ``E[x^2]`` per input unit (1 for standard normal inputs).

    Returns
    -------
    array, shape (L,)
        Entry ``k - 1`` is the prediction for layer ``k``.
    """
    sizes = require_sizes(sizes)
    act = _activation(activation, slope)
    var_w = _weight_variances(sizes, scheme, scale)
    m = require_real(input_second_moment, "input_second_moment", minimum=0.0)
    q = np.empty(len(var_w))
    q[0] = sizes[0] * var_w[0] * m
    for k in range(1, len(var_w)):
        q[k] = sizes[k] * var_w[k] * activation_second_moment(act, q[k - 1])
    return q


def predicted_backward_variance(sizes, scheme: str = "he", scale: float = 1.0, activation="relu",
                                *, slope: float = 0.01, input_second_moment: float = 1.0) -> np.ndarray:
    """Predicted ``E[(dC/dr^(k))^2]`` for k = 0..L, relative to the output's.

    Starts from ``E[(dC/dr^(L))^2] = 1`` and applies
    ``E[(dC/dr^(k))^2] = n_{k+1} Var[W^(k)] E[f'(z^(k+1))^2] E[(dC/dr^(k+1))^2]``;
    for ReLU ``E[Step^2] = 1/2``. (This treats the weights seen going back as
    independent of the step pattern; for ReLU the measurement agrees.)

    Returns
    -------
    array, shape (L + 1,)
        Entry ``k`` is the prediction for ``dC/dr^(k)``; entry ``L`` is 1.
    """
    sizes = require_sizes(sizes)
    act = _activation(activation, slope)
    var_w = _weight_variances(sizes, scheme, scale)
    q = predicted_forward_variance(sizes, scheme, scale, act, slope=slope,
                                   input_second_moment=input_second_moment)
    L = len(var_w)
    g = np.empty(L + 1)
    g[L] = 1.0
    for k in range(L - 1, -1, -1):
        g[k] = sizes[k + 1] * var_w[k] * derivative_second_moment(act, q[k]) * g[k + 1]
    return g


class PiecewiseLinearMoments:
    """Closed-form moments of f(z) = z (z > 0), a z (z <= 0): ReLU (a=0), leaky, identity (a=1).

    Ratios ``cf(c)`` = E[f(u) f(v)] / E[f(u)^2] and ``cdf(c)`` =
    E[f'(u) f'(v)] / E[f'(u)^2] for (u, v) centred Gaussian with equal
    variances and correlation c (arc-cosine kernel of degree 1 and 0).
    """

    def __init__(self, a: float):
        self.a = a
        self.m2 = (1.0 + a * a) / 2.0  # E[f(z)^2] / q and E[f'(z)^2]

    def log_ef2(self, log_q: float) -> float:
        return log_q + math.log(self.m2)

    def cf(self, c: float) -> float:
        a = self.a
        c = min(1.0, max(-1.0, c))
        theta = math.acos(c)
        k1 = (math.sqrt(max(0.0, 1.0 - c * c)) + (math.pi - theta) * c) / (2.0 * math.pi)
        return (a * c + (1.0 - a) ** 2 * k1) / self.m2

    def log_edf2(self, log_q: float) -> float:
        return math.log(self.m2)

    def cdf(self, c: float) -> float:
        a = self.a
        c = min(1.0, max(-1.0, c))
        k0 = (math.pi - math.acos(c)) / (2.0 * math.pi)
        return (a + (1.0 - a) ** 2 * k0) / self.m2


class SmoothMoments:
    """Moments of a smooth activation by quadrature (sigmoid, tanh).

    One-dimensional expectations use the package's one rule for them, the
    trapezoidal rule on a fine uniform grid of the standardised variable
    (spectrally accurate for these smooth integrands, even when f'(z) is a
    narrow bump compared with the spread of z); the two-dimensional ones
    (pairs of examples, which only enter the depth profiles through small
    cross-example terms) use a 32 x 32 Gauss-Hermite rule.
    """

    _x1 = np.linspace(-9.0, 9.0, 361)
    _w1 = np.exp(-0.5 * _x1 * _x1)
    _w1 = _w1 / _w1.sum()
    _x2, _w2 = np.polynomial.hermite_e.hermegauss(32)
    _w2 = _w2 / _w2.sum()
    _U = np.repeat(_x2, _x2.size)
    _V = np.tile(_x2, _x2.size)
    _W = np.outer(_w2, _w2).ravel()

    def __init__(self, f, df):
        self.f, self.df = f, df
        self._memo = {}  # the recursions reach fixed points: the same arguments come back

    def _e1(self, g, log_q):
        key = (g is self.df, log_q)
        if key not in self._memo:
            self._memo[key] = float(np.dot(self._w1, g(math.exp(0.5 * log_q) * self._x1) ** 2))
        return self._memo[key]

    def _e2(self, g, log_q, c):
        c = min(1.0, max(-1.0, c))
        key = (g is self.df, log_q, c)
        if key not in self._memo:
            sq = math.exp(0.5 * log_q)
            u = sq * self._U
            v = sq * (c * self._U + math.sqrt(max(0.0, 1.0 - c * c)) * self._V)
            self._memo[key] = float(np.dot(self._W, g(u) * g(v)))
        return self._memo[key]

    def ef2(self, q: float) -> float:
        """E[f(z)^2] for z ~ N(0, q), q >= 0."""
        return self._e1(self.f, math.log(q)) if q > 0 else float(self.f(np.zeros(1))[0] ** 2)

    def edf2(self, q: float) -> float:
        """E[f'(z)^2] for z ~ N(0, q), q >= 0."""
        return self._e1(self.df, math.log(q)) if q > 0 else float(self.df(np.zeros(1))[0] ** 2)

    def log_ef2(self, log_q):
        return math.log(max(self._e1(self.f, log_q), 1e-300))

    def cf(self, c, log_q):
        return self._e2(self.f, log_q, c) / self._e1(self.f, log_q)

    def log_edf2(self, log_q):
        return math.log(max(self._e1(self.df, log_q), 1e-300))

    def cdf(self, c, log_q):
        return self._e2(self.df, log_q, c) / max(self._e1(self.df, log_q), 1e-300)


def moments(act: Activation):
    """The mean-field moments of ``act``: closed forms or quadrature.

    :class:`PiecewiseLinearMoments` for relu (a = 0), leaky_relu (its slope)
    and identity (a = 1); :class:`SmoothMoments` for sigmoid and tanh.
    """
    if act.name == "relu":
        return PiecewiseLinearMoments(0.0)
    if act.name == "leaky_relu":
        return PiecewiseLinearMoments(float(act.params["slope"]))
    if act.name == "identity":
        return PiecewiseLinearMoments(1.0)
    return SmoothMoments(act.f, act.df)


def _profile_piecewise(L, n, B, m, scale, x_gram, out_gram):
    """:func:`mean_field_profile` for ReLU, leaky ReLU and the identity, vectorised.

    Their E[f(z)^2] and E[f'(z)^2] are fixed multiples of q and 1, so every
    logarithm is an arithmetic progression in k; only the pair correlation
    needs a scalar loop.
    """
    log_2s2 = math.log(2.0 * scale * scale)
    log_m2 = math.log(m.m2)
    ks = np.arange(L + 1)
    log_R0, cr0 = x_gram
    log_R = log_R0 + ks * (log_2s2 + log_m2)
    cr = np.empty(L + 1)
    c = cr[0] = cr0
    for k in range(1, L + 1):
        c = cr[k] = m.cf(c)
    # z^(k) has the pair correlation of r^(k-1); f'(z^(k)) pair ratio, k = 1..L
    cz = np.clip(cr[:-1], -1.0, 1.0)
    ratio = (m.a + (1.0 - m.a) ** 2 * (np.pi - np.arccos(cz)) / (2.0 * np.pi)) / m.m2
    log_P_L, rp_L = out_gram
    log_P = log_P_L + (L - ks) * (log_2s2 + log_m2)  # dr^(k), k = 0..L
    log_Z = log_P[1:] + log_m2  # dz^(k), k = 1..L (index k - 1)
    rz = rp_L * np.cumprod(ratio[::-1])[::-1]  # pair ratio of dz^(k), k = 1..L
    pair = np.maximum(1.0 + (B - 1) * cr[:L] * rz, 1e-300)
    log_dW2 = math.log(B) + log_R[:L] + log_Z + np.log(pair)
    log_dr2 = math.log(B) + log_P
    return log_dr2, log_dW2, log_R - math.log(n)


def mean_field_profile(L, n, B, act, scale, x_gram, out_gram, loop=False):
    """Predicted per-layer sizes of a deep network of width ``n`` (logarithms).

    The recursions of the module docstring for a bias-free network of ``L``
    layers, weights N(0, scale^2 * 2/n), a batch of ``B`` examples.
    ``x_gram`` and ``out_gram`` describe the input x and the output gradient
    dC/dr^(L) as ``(log d, o / d)``: the log of the mean squared row norm and
    the mean off-diagonal row inner product relative to it. Returns
    natural-log arrays (log_dr2, log_dW2, log_r2) of the predicted
    ||dr^(k)||^2 (k = 0..L), ||dW^(k)||^2 (k = 0..L-1) and mean r^(k)^2
    (k = 0..L). Piecewise-linear activations take a vectorised form of the
    same recursion unless ``loop``.
    """
    m = moments(act)
    smooth = isinstance(m, SmoothMoments)
    if not smooth and not loop:
        return _profile_piecewise(L, n, B, m, scale, x_gram, out_gram)
    log_2s2 = math.log(2.0 * scale * scale)
    # forward: per-example mean squared norm of r^(k) (log) and pair correlation
    log_R = np.empty(L + 1)
    cr = np.empty(L + 1)
    log_q = np.empty(L + 1)  # pre-activation variance of z^(k), k >= 1
    cz = np.empty(L + 1)
    log_R[0], cr[0] = x_gram
    log_q[0] = cz[0] = np.nan
    for k in range(1, L + 1):
        lq = log_2s2 + log_R[k - 1] - math.log(n)
        c = cr[k - 1]
        log_q[k], cz[k] = lq, c
        log_R[k] = math.log(n) + m.log_ef2(lq)
        cr[k] = m.cf(c, lq) if smooth else m.cf(c)
    # backward: start from dC/dr^(L), then dz^(L) = dr^(L) * f'(z^(L))
    log_P, rp = out_gram
    log_dr2 = np.empty(L + 1)
    log_dW2 = np.empty(L)
    log_dr2[L] = math.log(B) + log_P
    lq = log_q[L]
    log_Z = log_P + m.log_edf2(lq)
    rz = rp * (m.cdf(cz[L], lq) if smooth else m.cdf(cz[L]))
    for k in range(L - 1, -1, -1):
        # dW^(k) from r^(k) and dz^(k+1)
        pair = 1.0 + (B - 1) * cr[k] * rz
        log_dW2[k] = math.log(B) + log_R[k] + log_Z + math.log(max(pair, 1e-300))
        # dr^(k) = dz^(k+1) @ W^(k).T
        log_P, rp = log_2s2 + log_Z, rz
        log_dr2[k] = math.log(B) + log_P
        if k >= 1:  # dz^(k) = dr^(k) * f'(z^(k))
            lq = log_q[k]
            log_Z = log_P + m.log_edf2(lq)
            rz = rp * (m.cdf(cz[k], lq) if smooth else m.cdf(cz[k]))
    log_r2 = log_R - math.log(n)
    return log_dr2, log_dW2, log_r2


def residual_mean_field_profile(L, n, B, act, scale, alpha, x_gram, out_gram):
    """Predicted per-layer sizes of ``L`` residual blocks of width ``n`` (logarithms).

    The residual recursions of the module docstring (``eq-residual-variance``
    and its backward analogue) for blocks ``r -> r + alpha f(r W1) W2`` with
    ``W1`` entries of variance ``scale^2 * 2/n`` and ``W2`` entries of
    variance ``1/n`` (branch width ``n``, no biases), a batch of ``B``
    examples. ``x_gram`` and ``out_gram`` describe the input and the output
    gradient as in :func:`mean_field_profile`. Per example pair, the stream's
    inner products add the branch's (arc-cosine kernel of the branch
    pre-activations, whose correlation is the stream's), and so do the
    gradients' going back.

    Returns natural-log arrays ``(log_dr2, log_dW2, log_r2)``: predicted
    ||dC/dr^(k)||^2 (k = 0..L), ||dC/dW1^(k)||^2 + ||dC/dW2^(k)||^2
    (k = 0..L-1) and the mean square of r^(k) (k = 0..L). With ``alpha = 0``
    the weight gradients are exactly 0 and their logarithm is ``-inf``.
    """
    m = moments(act)
    smooth = isinstance(m, SmoothMoments)
    log_n = math.log(n)
    log_2s2 = math.log(2.0 * scale * scale)
    log_a2 = 2.0 * math.log(alpha) if alpha > 0 else -math.inf

    def ratio_f(c, lq):
        return m.cf(c, lq) if smooth else m.cf(c)

    def ratio_df(c, lq):
        return m.cdf(c, lq) if smooth else m.cdf(c)

    # forward: per-example mean squared norm of r^(k) (log) and its pair correlation
    log_R = np.empty(L + 1)
    cr = np.empty(L + 1)
    log_q = np.empty(L)  # variance of the branch pre-activations of block k (log)
    log_H = np.empty(L)  # per-example mean squared norm of h = f(z) of block k (log)
    ch = np.empty(L)  # pair correlation of h
    log_R[0], cr[0] = x_gram
    for k in range(L):
        lq = log_q[k] = log_2s2 + log_R[k] - log_n
        log_H[k] = log_n + m.log_ef2(lq)
        ch[k] = ratio_f(cr[k], lq)
        log_R[k + 1] = np.logaddexp(log_R[k], log_a2 + log_H[k])
        w = math.exp(log_R[k] - log_R[k + 1])  # share of the identity path, in [0, 1]
        cr[k + 1] = w * cr[k] + (1.0 - w) * ch[k]
    # backward from dC/dr^(L)
    log_P, rp = out_gram
    log_dr2 = np.empty(L + 1)
    log_dW2 = np.empty(L)
    log_dr2[L] = math.log(B) + log_P
    log_B = math.log(B)
    for k in range(L - 1, -1, -1):
        lq = log_q[k]
        # dz of block k: alpha dr^(k+1) W2^T (mean square kept) times f'(z)
        log_Z = log_a2 + log_P + m.log_edf2(lq)
        rz = rp * ratio_df(cr[k], lq)
        dW1 = log_B + log_R[k] + log_Z + math.log(max(1.0 + (B - 1) * cr[k] * rz, 1e-300))
        dW2 = log_B + log_H[k] + log_a2 + log_P + math.log(max(1.0 + (B - 1) * ch[k] * rp, 1e-300))
        log_dW2[k] = np.logaddexp(dW1, dW2)
        # dr^(k) = dr^(k+1) + dz W1^T
        log_P_prev = np.logaddexp(log_P, log_2s2 + log_Z)
        w = math.exp(log_P - log_P_prev)
        rp = w * rp + (1.0 - w) * rz
        log_P = log_P_prev
        log_dr2[k] = log_B + log_P
    return log_dr2, log_dW2, log_R - log_n
