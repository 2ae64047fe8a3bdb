"""Depth experiments: per-layer gradient profiles of deep networks, beside their theory.

:func:`gradient_profile` builds a bias-free network of ``depth`` layers, all of
width ``n``, with weights W^(k) ~ N(0, s^2 * 2/n) (``s = 1`` is He's
initialization, equation ``eq-he``), pushes a batch of standard-normal inputs
through it, starts the backward pass from a random output gradient, and
records per layer:

* ``dr_norm[k]`` = ||dC/dr^(k)||, k = 0..L (``eq-backward-dr``);
* ``dW_norm[k]`` = ||dC/dW^(k)||, k = 0..L-1 (``eq-backward-dw``);
* ``r_rms[k]``, the root mean square of r^(k) (the activation scale);
* ``dead_fraction[k]``: units of layer k whose derivative f'(z) is 0 for
  every example of the batch, and ``inactive_fraction[k]``: the fraction of
  (example, unit) pairs with f'(z) = 0;

and the mean-field prediction of the first three beside them. Norms are
Frobenius norms over the whole batch. Every layer, the last included, applies
the same activation.

The output gradient. The backward pass starts from dC/dr^(L) = G, a random
(batch, n) matrix of norm 1 drawn independently of the network: the gradient
of the random linear read-out C = sum_bj G_bj yhat_bj. So ``dr_norm[L] = 1``
and ``dr_norm[k]`` is directly the gain of the signal from the output back to
layer k. (A squared-error cost against y = 0 would give dC/dyhat = yhat / B,
which is built from the forward pass itself; for ReLU that aligns the signal
with the network's own Jacobian and makes ||dC/dr^(k)|| grow slowly going
back, a separate effect this experiment keeps out.) For bias-free ReLU
everything is then exactly positively homogeneous in ``s``: r^(k) scales as
s^k, dC/dr^(k) as s^(L-k) and dC/dW^(k) as s^(L-1), with the very same
active units, so the profile ``dW_norm / dW_norm[-1]`` does not depend on s.

Residual blocks and orthogonal weights. ``architecture="residual"`` replaces
the layers by ``depth`` residual blocks of :mod:`reluprop.residual`
(``eq-residual-block``): r^(k+1) = r^(k) + alpha * f(r^(k) W1^(k)) W2^(k),
branch width n, no biases, alpha = 1/sqrt(L) unless given. W1^(k) is made
from the same base draw as the plain network's W^(k), with the same
standard deviation, and W2^(k) ~ N(0, 1/n) from its own seed stream, so
the branch keeps the mean square (``eq-residual-variance``). Then k counts
blocks: ``dr_norm[k]`` is ||dC/dr^(k)|| of the stream, ``dW_norm[k]`` is
sqrt(||dC/dW1^(k)||^2 + ||dC/dW2^(k)||^2), ``r_rms[k]`` the stream's RMS,
and the unit fractions are those of the branch's hidden units.
``init="orthogonal"`` turns every base draw into the Haar orthogonal matrix
of that same draw (:func:`base_matrix`), times ``scale * sqrt(2)`` for W and
W1 (He's gain) and times 1 for W2: at ``scale = 1`` both inits have He's
variance, and switching between them keeps the seeds.

It runs the network's own code: each layer is a :class:`~reluprop.layers.Layer`
(its ``forward``), and the backward pass is :func:`reluprop.network.backpropagate`,
the loop behind :meth:`~reluprop.network.Network.backward_from`, with a hook that
records the norms of each layer's result and frees what is no longer needed.

Memory. At depth 2000 and width 512 the weights alone take 4 GiB. They are
never stored: layer k's weights are ``scale * sqrt(2/n) * Z^(k)``, where the
base draw Z^(k) (standard normal, n x n) comes from its own seed,
``numpy.random.default_rng([seed, 1, k])``, and is drawn again in the backward
pass (or kept in a :class:`WeightCache` while it fits a byte budget; residual
blocks draw W2's base from ``default_rng([seed, 3, k])``). Only
z^(k) is kept from the forward pass; r^(k) = f(z^(k)) is recomputed, bit for
bit, when the backward pass needs it (for ReLU, r^(k) is kept instead and
stands in for z^(k) too, since Step(ReLU(z)) = Step(z)). Arithmetic is
float64 throughout. The same ``seed`` gives the same base draws for every
scale, depth and batch, so changing ``scale`` rescales the very same
network, and a deeper network extends a shallower one. Residual blocks keep
the stream r^(k) and the branch's z^(k+1) (its h = ReLU(z) for ReLU).

Floating point. Very deep or badly scaled networks leave float64's range
(about 1e-308 to 1e308). Nothing is hidden: the computation runs under
``numpy.errstate(all="ignore")`` (no warnings), and the result flags, per layer,
``overflow`` (inf or NaN) and ``underflow`` (exactly 0 or subnormal, below
2.2e-308). A backward value computed from a forward pass that had already
overflowed (e.g. the Step of a NaN) is meaningless: it is set to NaN and
flagged as overflow too. A zero can also be a true zero: a ReLU layer whose
units are all inactive for every example passes nothing on;
:meth:`GradientProfile.status` tells the two apart.

Theory (mean field): :func:`reluprop.theory.mean_field_profile`, for width
n -> infinity with the gradient-independence assumption. For ReLU going back
one layer multiplies ||dr|| by exactly ``s``: the log falls by log s per
layer; leaky ReLU with slope a: by ``s * sqrt(1 + a^2)``; sigmoid and tanh:
by ``s * sqrt(2 E[f'(z)^2])`` with z at the forward recursion's variance
(sigmoid's f' <= 1/4 makes this about 0.3 at s = 1).
||dW^(k)||^2 = sum over example pairs (a, b) of (r^(k)_a . r^(k)_b)(dz^(k+1)_a .
dz^(k+1)_b); the theory keeps the pair terms (they are small here, because the
output gradients of different examples are independent).

The forward recursion starts from the measured input x and the backward one
from the output gradient G, so the prediction for ``dr_norm`` is, for ReLU,
exactly ``dr_norm[L] * s**(L - k)``. The theory is computed in logarithms, so
it never overflows: it is stored as ``log10_*_theory`` arrays. Residual
blocks follow :func:`reluprop.theory.residual_mean_field_profile` (for ReLU,
a factor sqrt(1 + alpha^2 s^2) per block, forward and backward). Orthogonal
weights have the same mean-field prediction as Gaussian ones (the recursions
use only the weights' second moments; see :mod:`reluprop.theory`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .core._validate import require_choice, require_generator, require_int, require_real
from .core.activations import get_activation
from .core.layers import Layer, init_std
from .core.network import Network, backpropagate
from .isometry import orthogonal_factor
from .residual import ResidualBlock, _check_alpha
from .theory import mean_field_profile, residual_mean_field_profile

__all__ = [
    "GradientProfile",
    "WeightCache",
    "base_weights",
    "base_matrix",
    "gradient_profile",
    "profile_network",
    "profile_grid",
    "log_slope",
    "PROFILE_ACTIVATIONS",
    "PROFILE_ARCHITECTURES",
    "PROFILE_INITS",
]

#: Activations :func:`gradient_profile` knows the theory of.
PROFILE_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")
#: Architectures of :func:`gradient_profile`: a plain stack of layers, or residual blocks.
PROFILE_ARCHITECTURES = ("plain", "residual")
#: Weight initializations of :func:`gradient_profile`: Gaussian, or Haar orthogonal from the same draws.
PROFILE_INITS = ("gaussian", "orthogonal")

_TINY = np.finfo(np.float64).tiny  # smallest normal float64, about 2.2e-308
_LN10 = math.log(10.0)


# ---------------------------------------------------------------------------
# Base draws: one seed per layer, optionally cached
# ---------------------------------------------------------------------------


def base_weights(seed: int, width: int, k: int, stream: int = 1) -> np.ndarray:
    """The standard-normal base draw Z^(k) of layer ``k``, shape (width, width).

    Drawn from ``numpy.random.default_rng([seed, stream, k])``, so it depends
    on ``seed``, ``width``, ``k`` and ``stream`` only, and can be drawn again
    at any time. Stream 1 holds the weights W^(k) of a plain network and the
    first branch layer W1^(k) of a residual block (the same draws); stream 3
    holds the second branch layer W2^(k). (Streams 0 and 2 give the input and
    the output gradient.) Layer k's weights are
    ``init_std("he", width, width, scale) * Z^(k)``.
    """
    return np.random.default_rng([seed, stream, k]).standard_normal((width, width))


def base_matrix(seed: int, width: int, k: int, stream: int = 1, init: str = "gaussian") -> np.ndarray:
    """The base matrix of a layer: Z^(k) itself (``"gaussian"``) or its orthogonal factor.

    For ``init="orthogonal"`` it is the Haar orthogonal matrix built from the
    very same draw Z^(k) by :func:`reluprop.isometry.orthogonal_factor`
    (sign-corrected QR), so switching the init keeps the seeds: it equals
    ``reluprop.isometry.orthogonal(width, width, rng=numpy.random.default_rng([seed, stream, k]))``.
    """
    Z = base_weights(seed, width, k, stream)
    return Z if init == "gaussian" else orthogonal_factor(Z)


class WeightCache:
    """Keeps base matrices, and the weights at the last scale used, in memory up to ``max_bytes``.

    An explorer that moves the scale slider reuses the same base matrices
    (:func:`base_matrix`: a Gaussian draw Z^(k), or its orthogonal factor)
    every time; caching them saves drawing (and factoring) them again.
    Entries of another ``(seed, width, init)`` are dropped first when the
    budget is full; beyond the budget, matrices are simply not kept (and
    are made again when needed). Once every base matrix asked for is kept,
    the scaled weights ``std * base`` are kept too (one scaled copy per
    layer, replaced when its ``std`` changes), which saves the multiplication
    when only depth, batch or activation change. A scaled weight is computed
    exactly as without a cache, so results never depend on what the cache
    holds.

    Parameters
    ----------
    max_bytes : int
        Budget in bytes (default 128 MiB); 0 disables caching.
    """

    def __init__(self, max_bytes: int = 128 * 2**20):
        self.max_bytes = require_int(max_bytes, "max_bytes", minimum=0)
        self._store: dict = {}
        self._scaled: dict = {}
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return (f"WeightCache({len(self)} draws, {len(self._scaled)} scaled, "
                f"{self.nbytes / 2**20:.1f} of {self.max_bytes / 2**20:.0f} MiB)")

    def clear(self) -> None:
        """Forget every cached matrix."""
        self._store.clear()
        self._scaled.clear()
        self.nbytes = 0

    def _drop_scaled(self) -> None:
        self.nbytes -= sum(W.nbytes for _, W in self._scaled.values())
        self._scaled.clear()

    def weights(self, seed: int, width: int, k: int, std: float, stream: int = 1,
                init: str = "gaussian") -> np.ndarray:
        """``std * base_matrix(seed, width, k, stream, init)`` (read-only), kept while the budget allows."""
        key = (seed, width, k, stream, init)
        entry = self._scaled.get(key)
        if entry is not None:
            if entry[0] == std:
                return entry[1]
            self.nbytes -= self._scaled.pop(key)[1].nbytes
        W = np.multiply(self.get(seed, width, k, stream, init), std)
        if key in self._store and self.nbytes + W.nbytes <= self.max_bytes:
            W.flags.writeable = False
            self._scaled[key] = (std, W)
            self.nbytes += W.nbytes
        return W

    def get(self, seed: int, width: int, k: int, stream: int = 1, init: str = "gaussian") -> np.ndarray:
        """:func:`base_matrix` ``(seed, width, k, stream, init)``: from the cache, or made (and kept if it fits)."""
        key = (seed, width, k, stream, init)
        M = self._store.get(key)
        if M is not None:
            return M
        if init == "gaussian":
            M = base_weights(seed, width, k, stream)
        else:  # factor a cached Gaussian draw if there is one, without caching the draw
            Z = self._store.get((seed, width, k, stream, "gaussian"))
            M = orthogonal_factor(Z if Z is not None else base_weights(seed, width, k, stream))
        if M.nbytes <= self.max_bytes:
            if self.nbytes + M.nbytes > self.max_bytes:
                self._drop_scaled()  # base matrices come first
                group = (seed, width, init)
                for other in [key2 for key2 in self._store if (key2[0], key2[1], key2[4]) != group]:
                    self.nbytes -= self._store.pop(other).nbytes
            if self.nbytes + M.nbytes <= self.max_bytes:
                M.flags.writeable = False
                self._store[key] = M
                self.nbytes += M.nbytes
        return M


# ---------------------------------------------------------------------------
# Floating-point helpers
# ---------------------------------------------------------------------------


def _norm(a: np.ndarray) -> float:
    """Frobenius norm that neither overflows nor underflows on finite input.

    Returns inf if ``a`` holds an infinity and NaN if it holds a NaN.
    """
    v = a.ravel()
    s = float(np.dot(v, v))
    if 1e-280 < s < 1e300:  # the fast path is exact to rounding
        return math.sqrt(s)
    finite = np.isfinite(v)
    if not finite.all():
        return math.nan if np.isnan(v).any() else math.inf
    m = float(np.max(np.abs(v))) if v.size else 0.0
    if m == 0.0:
        return 0.0
    u = v / m
    return m * math.sqrt(float(np.dot(u, u)))


def _gram_stats(A: np.ndarray):
    """Mean squared row norm and mean off-diagonal row inner product, as (log d, o/d).

    For a (B, n) matrix A: d = mean_b ||A_b||^2 and o = mean_{a != b} A_a . A_b.
    Returns ``(log(d), o / d)``, or None if A is not finite or is zero.
    """
    B = A.shape[0]
    nrm = _norm(A)
    if not (math.isfinite(nrm) and nrm > _TINY):
        return None
    U = A / nrm  # rows scaled so that sum of squared row norms is 1
    d = 1.0 / B
    if B > 1:
        col = U.sum(axis=0)
        o = (float(np.dot(col, col)) - 1.0) / (B * (B - 1))
        ratio = o / d
    else:
        ratio = 0.0
    return 2.0 * math.log(nrm) - math.log(B), ratio


def _classify(values: np.ndarray):
    """Per-entry flags of non-negative measured values: (overflow, underflow)."""
    overflow = ~np.isfinite(values)
    underflow = np.isfinite(values) & (values < _TINY)
    return overflow, underflow


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


def _ranges(idx) -> str:
    """'0-3, 7, 9-12' from sorted integers."""
    idx = [int(i) for i in idx]
    if not idx:
        return ""
    parts, start, prev = [], idx[0], idx[0]
    for i in idx[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
        if i is not None:
            start = prev = i
    return ", ".join(parts)


_QUANTITY_NAMES = {
    "dr": "‖∂C/∂r^(k)‖",
    "dW": "‖∂C/∂W^(k)‖",
    "r": "RMS of r^(k)",
}


@dataclass(frozen=True, eq=False)
class GradientProfile:
    """Per-layer measurements of one deep network, with the mean-field theory beside them.

    Attributes
    ----------
    depth, width, batch : int
        L, n and B.
    activation : str
        Name of the activation of every layer.
    slope : float
        Leaky ReLU's slope (only meaningful for ``"leaky_relu"``).
    scale : float
        s: the weights' standard deviation is ``s * sqrt(2 / n)``.
    seed : int
        Seed of the base draws; the same seed gives the same network up to scale.
    dr_norm : array, shape (L + 1,)
        ||dC/dr^(k)||, k = 0..L (Frobenius norm over the batch).
    dW_norm : array, shape (L,)
        ||dC/dW^(k)||, k = 0..L-1.
    r_rms : array, shape (L + 1,)
        Root mean square of r^(k) over examples and units; ``r_rms[0]`` is the input's.
    dead_fraction : array, shape (L + 1,)
        Fraction of layer k's units with f'(z) = 0 for every example; NaN for
        k = 0 and for layers whose pre-activations overflowed or underflowed.
    inactive_fraction : array, shape (L + 1,)
        Fraction of (example, unit) pairs of layer k with f'(z) = 0 (NaN as above).
    log10_dr_norm_theory, log10_dW_norm_theory, log10_r_rms_theory : arrays
        log10 of the mean-field predictions, same shapes as the measurements;
        logarithms so that predictions beyond float64's range stay usable.
    overflow, underflow : dict of str -> bool array
        Keys ``"dr"``, ``"dW"``, ``"r"``: per layer, the measured value is
        inf/NaN, or computed from an overflowed forward pass (overflow; the
        value is then NaN), or it is 0/subnormal (underflow).
    dead_layer : int or None
        The first layer whose units are all inactive for every example while
        its pre-activations are finite and not underflowed (a true zero).
        Always None for residual blocks: a dead branch leaves the identity path.
    architecture : str
        ``"plain"`` (layers) or ``"residual"`` (blocks; then k counts blocks,
        ``dW_norm[k]`` is the norm of both branch layers' gradients together,
        and the unit fractions are those of the branch's hidden units).
    alpha : float or None
        The branch scale of residual blocks; None for a plain network.
    init : str
        ``"gaussian"`` or ``"orthogonal"``.
    """

    depth: int
    width: int
    batch: int
    activation: str
    slope: float
    scale: float
    seed: int
    dr_norm: np.ndarray
    dW_norm: np.ndarray
    r_rms: np.ndarray
    dead_fraction: np.ndarray
    inactive_fraction: np.ndarray
    log10_dr_norm_theory: np.ndarray
    log10_dW_norm_theory: np.ndarray
    log10_r_rms_theory: np.ndarray
    overflow: dict = field(repr=False)
    underflow: dict = field(repr=False)
    dead_layer: int | None = None
    architecture: str = "plain"
    alpha: float | None = None
    init: str = "gaussian"

    # -- convenience views --------------------------------------------------
    @property
    def dr_norm_theory(self) -> np.ndarray:
        """10 ** log10_dr_norm_theory (inf or 0 beyond float64's range)."""
        with np.errstate(all="ignore"):
            return 10.0 ** self.log10_dr_norm_theory

    @property
    def dW_norm_theory(self) -> np.ndarray:
        """10 ** log10_dW_norm_theory (inf or 0 beyond float64's range)."""
        with np.errstate(all="ignore"):
            return 10.0 ** self.log10_dW_norm_theory

    @property
    def r_rms_theory(self) -> np.ndarray:
        """10 ** log10_r_rms_theory (inf or 0 beyond float64's range)."""
        with np.errstate(all="ignore"):
            return 10.0 ** self.log10_r_rms_theory

    def measured(self, quantity: str) -> np.ndarray:
        """The measured array for ``quantity`` in ``"dr"``, ``"dW"``, ``"r"``."""
        return {"dr": self.dr_norm, "dW": self.dW_norm, "r": self.r_rms}[_check_quantity(quantity)]

    def theory_log10(self, quantity: str) -> np.ndarray:
        """log10 of the prediction for ``quantity`` in ``"dr"``, ``"dW"``, ``"r"``."""
        return {
            "dr": self.log10_dr_norm_theory,
            "dW": self.log10_dW_norm_theory,
            "r": self.log10_r_rms_theory,
        }[_check_quantity(quantity)]

    def log10(self, quantity: str) -> np.ndarray:
        """log10 of the measured values, NaN where a layer is flagged."""
        v = self.measured(quantity)
        out = np.full(v.shape, np.nan)
        ok = ~(self.overflow[quantity] | self.underflow[quantity])
        out[ok] = np.log10(v[ok])
        return out

    def dW_profile(self) -> np.ndarray:
        """``dW_norm / dW_norm[-1]``: the weight-gradient profile relative to the last layer."""
        with np.errstate(all="ignore"):
            return self.dW_norm / self.dW_norm[-1]

    @property
    def flagged(self) -> bool:
        """True if any measured value overflowed or underflowed."""
        return any(v.any() for v in self.overflow.values()) or any(
            v.any() for v in self.underflow.values()
        )

    def flagged_layers(self, quantity: str, kind: str = "overflow") -> np.ndarray:
        """Indices k where ``quantity`` is flagged with ``kind`` (``"overflow"`` or ``"underflow"``)."""
        if kind not in ("overflow", "underflow"):
            raise ValueError(f"kind must be 'overflow' or 'underflow', got {kind!r}")
        flags = self.overflow if kind == "overflow" else self.underflow
        return np.flatnonzero(flags[_check_quantity(quantity)])

    def status(self) -> str:
        """A plain-text summary of what overflowed or underflowed, and where.

        One line per flagged quantity, e.g. ``"overflow (inf/NaN):
        ‖∂C/∂r^(k)‖, k = 0–1999 (2000 of 2001)"``; ``"all values finite and
        non-zero"`` when nothing is flagged. A first line names the
        architecture and init when they are not the defaults (plain, Gaussian).
        """
        lines = [self._setup()] if self._setup() else []
        if self.dead_layer is not None:
            lines.append(
                f"layer {self.dead_layer} is dead: every unit is inactive for every example, "
                "so it passes on exactly 0 (a true zero, not a rounding underflow)"
            )
        for q in ("r", "dr", "dW"):
            n = self.measured(q).size
            for kind, label in (("overflow", "overflow (inf/NaN)"), ("underflow", "underflow (< 2.2e-308)")):
                idx = self.flagged_layers(q, kind)
                if idx.size:
                    lines.append(f"{label}: {_QUANTITY_NAMES[q]}, k = {_ranges(idx)} ({idx.size} of {n})")
        if len(lines) == (1 if self._setup() else 0):
            lines.append("all values finite and non-zero")
        return "\n".join(lines)

    def _setup(self) -> str:
        """'residual blocks, α = 0.0224; orthogonal init' (empty for the defaults)."""
        parts = []
        if self.architecture != "plain":
            parts.append(f"{self.architecture} blocks, α = {self.alpha:.3g}")
        if self.init != "gaussian":
            parts.append(f"{self.init} init")
        return "; ".join(parts)

    def __repr__(self) -> str:
        extra = ""
        if self.architecture != "plain":
            extra += f", architecture={self.architecture!r}, alpha={self.alpha:g}"
        if self.init != "gaussian":
            extra += f", init={self.init!r}"
        return (
            f"GradientProfile(depth={self.depth}, width={self.width}, batch={self.batch}, "
            f"activation={self.activation!r}, scale={self.scale:g}, seed={self.seed}{extra}, "
            f"flagged={self.flagged})"
        )


def _check_quantity(quantity):
    return require_choice(quantity, _QUANTITY_NAMES, "quantity")


# ---------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------


class _DrawnLayers:
    """Layers (or residual blocks) ``0..L-1`` whose weights are made when asked for.

    A sequence of :class:`~reluprop.layers.Layer` (``weights(k)`` gives W^(k))
    or of :class:`~reluprop.residual.ResidualBlock` (``weights(k)`` gives
    ``(W1^(k), W2^(k))``) for :func:`~reluprop.network.backpropagate` that
    never holds more than one layer's weights.
    """

    def __init__(self, weights, b, L, alpha=None):
        self._weights, self._b, self._L, self._alpha = weights, b, L, alpha

    def __len__(self):
        return self._L

    def __getitem__(self, k):
        if self._alpha is None:
            return Layer._unchecked(self._weights(k), self._b)
        W1, W2 = self._weights(k)
        return ResidualBlock._unchecked(W1, self._b, W2, self._b, self._alpha)


class _RecomputedTrace:
    """The forward record of :func:`gradient_profile`: ``z[k]`` kept, ``r[k] = f(z[k])`` recomputed.

    With ``f = None`` (ReLU), ``z[k]`` holds r^(k) itself and ``r[k]`` returns it.
    The last ``r[k]`` computed is remembered, since the backward loop asks for
    r^(k+1) right after it asked for it as r^(k) of the layer above.
    """

    def __init__(self, z, x, f):
        self.z = z
        self.r = self
        self.cache = _Nones()
        self._x, self._f, self._last = x, f, (None, None)

    def __getitem__(self, k):
        if k == 0:
            return self._x
        if self._f is None:
            return self.z[k]
        if self._last[0] != k:
            self._last = (k, self._f(self.z[k]))
        return self._last[1]


class _Nones:
    def __getitem__(self, k):
        return None


class _ResidualTrace:
    """The forward record of residual blocks: the stream ``r[k]`` and the branch's ``z[k + 1]`` kept.

    ``cache[k]``, the branch's hidden units h = f(z^(k+1)) of block k, is
    recomputed from ``z[k + 1]``; with ``f = None`` (ReLU) ``z[k + 1]`` holds h
    itself, which also stands in for z (Step(ReLU(z)) = Step(z)).
    """

    def __init__(self, z, r, f):
        self.z, self.r, self._f = z, r, f
        self.cache = self

    def __getitem__(self, k):
        h = self.z[k + 1]
        return h if self._f is None else self._f(h)


def _check_activation(activation, slope):
    return get_activation(activation, slope=slope, allowed=PROFILE_ACTIVATIONS)


def _check_choice(value, name, choices):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(repr, choices))}; "
                        f"got {type(value).__name__}")
    return require_choice(value, choices, name)


def _resolve_seed(rng, seed):
    if (rng is None) == (seed is None):
        raise TypeError("give exactly one of rng (a numpy.random.Generator) or seed (an integer >= 0)")
    if rng is not None:
        require_generator(rng)
        return int(rng.integers(0, 2**63 - 1))
    return require_int(seed, "seed", minimum=0)


def _check_profile_args(depth, width, batch, scale, activation, slope):
    """The arguments a profile's network shares, checked: (L, n, B, scale, slope, Activation)."""
    L = require_int(depth, "depth", minimum=1)
    n = require_int(width, "width", minimum=1)
    B = require_int(batch, "batch", minimum=1)
    scale = require_real(scale, "scale", minimum=0.0, strict=True)
    slope = require_real(slope, "slope", minimum=0.0)
    return L, n, B, scale, slope, _check_activation(activation, slope)


def _profile_input(seed: int, width: int, batch: int) -> np.ndarray:
    """The profile's input x of shape (batch, width): standard normal, from ``default_rng([seed, 0])``."""
    return np.random.default_rng([seed, 0]).standard_normal((batch, width))


def _profile_output_gradient(seed: int, width: int, batch: int) -> np.ndarray:
    """The profile's dC/dr^(L) of shape (batch, width): a random direction of norm 1.

    Drawn from ``default_rng([seed, 2])``.
    """
    G = np.random.default_rng([seed, 2]).standard_normal((batch, width))
    G /= _norm(G)
    return G


def profile_network(depth, width, activation="relu", scale=1.0, batch=16, *, seed, slope=0.01):
    """The plain Gaussian network of :func:`gradient_profile`, whole, with its input and output gradient.

    :func:`gradient_profile` never holds every layer at once; this builds the
    same network as an :class:`~reluprop.network.Network` (every layer,
    output included, with the activation ``activation``; weights
    ``scale * sqrt(2 / width) * base_weights(seed, width, k)``, zero biases),
    for what the profile does not record: the arrays ``z^(k)``, ``r^(k)`` and
    ``dC/dz^(k)`` themselves. ``net.backward_from(net.forward(x), G)`` gives
    the gradients whose norms the profile records.

    Parameters
    ----------
    depth, width, activation, scale, batch, slope
        As in :func:`gradient_profile` (plain architecture, Gaussian init).
    seed : int >= 0
        The profile's seed (keyword-only, required).

    Returns
    -------
    net : Network
        ``depth`` layers of shape (width, width).
    x : array, shape (batch, width)
        The profile's input.
    G : array, shape (batch, width)
        The profile's output gradient dC/dr^(L), of norm 1.
    """
    L, n, B, scale, slope, act = _check_profile_args(depth, width, batch, scale, activation, slope)
    seed = require_int(seed, "seed", minimum=0)
    std = init_std("he", n, n, scale)
    layers = [Layer._unchecked(base_weights(seed, n, k) * std, np.zeros(n)) for k in range(L)]
    return Network(layers, act, act), _profile_input(seed, n, B), _profile_output_gradient(seed, n, B)


def gradient_profile(
    depth,
    width,
    activation="relu",
    scale=1.0,
    batch=16,
    *,
    rng=None,
    seed=None,
    slope=0.01,
    cache=None,
    architecture="plain",
    alpha=None,
    init="gaussian",
) -> GradientProfile:
    """Measure ||dC/dr^(k)||, ||dC/dW^(k)|| and the activations of every layer.

    A bias-free network of ``depth`` layers of width ``width`` with weights
    N(0, scale^2 * 2/width), standard-normal inputs of shape (batch, width),
    and a random output gradient dC/dr^(L) of norm 1. See the module
    docstring for the design (weights drawn again instead of stored) and the
    theory.

    With ``architecture="residual"`` the network is ``depth`` residual blocks
    of :mod:`reluprop.residual` instead (``eq-residual-block``):
    r^(k+1) = r^(k) + alpha * f(r^(k) W1^(k)) W2^(k), branch width ``width``,
    no biases, W1^(k) made from the same base draw as the plain network's
    W^(k) (and with the same standard deviation), W2^(k) ~ N(0, 1/width)
    from its own draws. With ``init="orthogonal"`` every weight matrix is
    the Haar orthogonal matrix made from the same base draw
    (:func:`base_matrix`), times ``scale * sqrt(2)`` (W, W1: He's gain) or
    times 1 (W2).

    Parameters
    ----------
    depth : int >= 1
        Number of layers L (of blocks, for residual).
    width : int >= 1
        Width n of every layer (and of the input).
    activation : str
        ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``, ``"tanh"`` or ``"identity"``.
    scale : float > 0
        s, the multiplier of He's standard deviation sqrt(2/n).
    batch : int >= 1
        Number of examples B.
    rng : numpy.random.Generator, optional
        Draws the seed of the network and input. Give ``rng`` or ``seed``.
    seed : int >= 0, optional
        The seed itself: the same seed gives the same base draws for any
        ``scale``, ``depth``, ``batch``, ``architecture`` and ``init``.
    slope : float >= 0
        Leaky ReLU's slope for z <= 0.
    cache : WeightCache, optional
        Keeps base matrices between calls (the explorer uses one).
    architecture : str
        ``"plain"`` (default) or ``"residual"``.
    alpha : float >= 0, optional
        The residual branch scale; ``1 / sqrt(depth)`` if omitted (the rule
        of :func:`reluprop.residual.init_residual_blocks`). Only for
        ``architecture="residual"``.
    init : str
        ``"gaussian"`` (default) or ``"orthogonal"``.

    Returns
    -------
    GradientProfile

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or out of range (``alpha`` given for
        a plain network included); the message names the argument.
    """
    L, n, B, scale, slope, act = _check_profile_args(depth, width, batch, scale, activation, slope)
    architecture = _check_choice(architecture, "architecture", PROFILE_ARCHITECTURES)
    init = _check_choice(init, "init", PROFILE_INITS)
    residual = architecture == "residual"
    if not residual and alpha is not None:
        raise ValueError("alpha (the branch scale) is only for architecture='residual'; "
                         f"got alpha={alpha!r} with architecture='plain'")
    if residual:
        alpha = 1.0 / math.sqrt(L) if alpha is None else _check_alpha(alpha)
    seed = _resolve_seed(rng, seed)
    if cache is not None and not isinstance(cache, WeightCache):
        raise TypeError(f"cache must be a WeightCache or None, got {type(cache).__name__}")

    if init == "gaussian":
        std = init_std("he", n, n, scale)
        std2 = init_std("lecun", n, n)  # W2 ~ N(0, 1/n): the branch keeps the mean square
    else:
        std = scale * math.sqrt(2.0)  # He's gain on an orthogonal matrix
        std2 = 1.0
    W = np.empty((n, n))  # buffers for every layer's weights: no fresh allocation per layer
    W2buf = np.empty((n, n)) if residual else None

    def matrix(k, stream, gain, out):
        """gain * base matrix of layer k, from the cache or into the buffer ``out``."""
        if cache is not None:
            if gain == 1.0:
                return cache.get(seed, n, k, stream, init)
            return cache.weights(seed, n, k, gain, stream, init)
        M = base_matrix(seed, n, k, stream, init)
        return M if gain == 1.0 else np.multiply(M, gain, out=out)

    if residual:
        def weights(k):
            return matrix(k, 1, std, W), matrix(k, 3, std2, W2buf)
    elif cache is not None and init == "gaussian":
        def weights(k):
            return cache.weights(seed, n, k, std)
    else:
        def weights(k):
            return matrix(k, 1, std, W)

    b = np.zeros(n)
    x = _profile_input(seed, n, B)
    layers = _DrawnLayers(weights, b, L, alpha if residual else None)

    r_rms = np.empty(L + 1)
    dead = np.full(L + 1, np.nan)
    inactive = np.full(L + 1, np.nan)
    z_over = np.zeros(L + 1, dtype=bool)
    z_under = np.zeros(L + 1, dtype=bool)
    dead_layer = None
    dr_norm = np.empty(L + 1)
    dW_norm = np.empty(L)
    size = B * n
    with np.errstate(all="ignore"):
        r_rms[0] = _norm(x) / math.sqrt(size)
        # forward: keep z^(k) only (for ReLU keep r^(k) = ReLU(z^(k)) instead: Step(r) = Step(z),
        # so r^(k) serves the backward step both as the layer's input and in place of z^(k));
        # residual blocks keep the stream r^(k) and the branch's z^(k+1) (for ReLU, its h = ReLU(z))
        keep_r = act.name == "relu"
        zs = [None] * (L + 1)
        stream = [x] + [None] * L if residual else None
        r = x
        for k in range(L):
            z, r, h = layers[k].forward(r, act)
            if residual:
                stream[k + 1] = r
                zs[k + 1] = h if keep_r else z
            else:
                h = r
                zs[k + 1] = r if keep_r else z
            r_rms[k + 1] = _norm(r) / math.sqrt(size)
            z_n = _norm(z)
            if not math.isfinite(z_n):
                z_over[k + 1] = True
            elif z_n < 1e-300 and np.abs(z).max() < _TINY:
                z_under[k + 1] = True
            else:
                # f'(z) = 0 marks an inactive unit; for ReLU that is exactly f(z) = 0 (cheaper to count)
                on = h if act.name == "relu" else act.df(z)
                inactive[k + 1] = (size - np.count_nonzero(on)) / size
                dead[k + 1] = (n - np.count_nonzero(on.any(axis=0))) / n
                if (not residual and dead_layer is None and inactive[k + 1] == 1.0
                        and not z_over[: k + 1].any()):
                    dead_layer = k + 1
        del r, z, h
        # backward from dC/dr^(L) = G, a random direction of norm 1, through the network's own
        # loop; the hook records the norms and frees what block k no longer needs
        G = _profile_output_gradient(seed, n, B)
        dr_norm[L] = 1.0

        if residual:
            def record(k, dz, dr_prev, grads):
                zs[k + 1] = stream[k + 1] = None
                dr_norm[k] = _norm(dr_prev)
                dW_norm[k] = math.hypot(_norm(grads["W1"]), _norm(grads["W2"]))

            trace = _ResidualTrace(zs, stream, None if keep_r else act.f)
        else:
            def record(k, dz, dr_prev, grads):
                zs[k + 1] = None
                dr_norm[k] = _norm(dr_prev)
                dW_norm[k] = _norm(grads["W"])

            trace = _RecomputedTrace(zs, x, None if keep_r else act.f)
        backpropagate(layers, lambda k: act, trace, G, on_block=record, keep=False)
        del trace
        if residual:
            log_dr2, log_dW2, log_r2 = residual_mean_field_profile(L, n, B, act, scale, alpha, _gram_stats(x),
                                                                   _gram_stats(G))
        else:
            log_dr2, log_dW2, log_r2 = mean_field_profile(L, n, B, act, scale, _gram_stats(x), _gram_stats(G))
    # Backward values that used an overflowed forward pass are meaningless:
    # dr^(k) uses z^(k+1..L), dW^(k) uses z^(k..L).
    lost_above = np.logical_or.accumulate(z_over[::-1])[::-1]  # any z^(j) overflowed, j >= k
    dr_norm[:L][lost_above[1:]] = np.nan
    dW_norm[lost_above[:L]] = np.nan

    overflow, underflow = {}, {}
    for q, v in (("dr", dr_norm), ("dW", dW_norm), ("r", r_rms)):
        overflow[q], underflow[q] = _classify(v)
    return GradientProfile(
        depth=L,
        width=n,
        batch=B,
        activation=act.name,
        slope=slope,
        scale=scale,
        seed=seed,
        dr_norm=dr_norm,
        dW_norm=dW_norm,
        r_rms=r_rms,
        dead_fraction=dead,
        inactive_fraction=inactive,
        log10_dr_norm_theory=0.5 * log_dr2 / _LN10,
        log10_dW_norm_theory=0.5 * log_dW2 / _LN10,
        log10_r_rms_theory=0.5 * log_r2 / _LN10,
        overflow=overflow,
        underflow=underflow,
        dead_layer=dead_layer,
        architecture=architecture,
        alpha=alpha if residual else None,
        init=init,
    )


def profile_grid(depths, scales, width=64, activation="relu", batch=16, *, seed=0, slope=0.01,
                 cache_bytes=128 * 2**20):
    """Profiles for every (scale, depth) pair, on the same base draws.

    Returns a list of rows, one per scale, each a list of
    :class:`GradientProfile`, one per depth: the input of
    :func:`reluprop.plotting.plot_profiles_grid`. One :class:`WeightCache`
    (``cache_bytes``) is shared by all of them.
    """
    depths = [require_int(d, "depths[]", minimum=1) for d in depths]
    scales = [require_real(s, "scales[]", minimum=0.0, strict=True) for s in scales]
    if not depths or not scales:
        raise ValueError("depths and scales must each hold at least one value")
    cache = WeightCache(cache_bytes)
    return [
        [gradient_profile(d, width, activation, s, batch, seed=seed, slope=slope, cache=cache) for d in depths]
        for s in scales
    ]


def log_slope(values, layers=None) -> float:
    """Least-squares slope of ln(values[k]) against k, over the finite, positive entries.

    For ``result.dr_norm`` of bias-free ReLU the prediction is ``-ln(scale)``
    per layer. Raises ValueError if fewer than two entries are usable.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"values must be a 1-D array, got shape {v.shape}")
    k = np.arange(v.size) if layers is None else np.asarray(layers, dtype=np.float64)
    if k.shape != v.shape:
        raise ValueError(f"layers must have the shape of values {v.shape}, got {k.shape}")
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 2:
        raise ValueError("values needs at least two finite, positive entries to fit a slope")
    return float(np.polyfit(k[ok], np.log(v[ok]), 1)[0])
