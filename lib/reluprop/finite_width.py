"""Finite width: how far one ReLU network's backpropagated signal strays from the average.

With He's initialization, Var[W^(k)] = 2 / n_k, the mean square of the
backpropagated signal dC/dr^(k) of a bias-free ReLU network is the same in
every layer, at any width (Hanin 2018): averaged over random networks,
nothing vanishes or explodes. One network is one draw, though, and its
signal is a product of one random factor per layer, so it is the *logarithm*
of the norm that adds up, layer by layer.

The per-layer model (chapter *Finite width*, equation
``eq-finite-width-layer-factor``). A layer of width n that receives a signal
of squared norm 1 passes on

    (2 / n) * chi^2_M,     M ~ Binomial(n, 1/2),

that is, M active units (each active with probability 1/2), each seeing an
independent Gaussian weight of variance 2/n. For the forward pass of one
input this law is exact and the factors of different layers are independent;
for the backward pass from a random output direction the measurements of the
chapter agree with it. Its mean is exactly 1 (He's condition), and for the
logarithm of the norm, ``X = (1/2) ln((2/n) chi^2_M)`` (half the log of
the squared factor), given M: ``ln chi^2_m`` has mean ``psi(m/2) + ln 2``
and variance ``psi'(m/2)``, with psi the digamma and psi' the trigamma
function, so ``E[X | M] = (1/2) (psi(M/2) + ln(4/n))`` and
``Var[X | M] = (1/4) psi'(M/2)``. Averaging over M (total variance: the
mean of the conditional variance plus the variance of the conditional
mean, in which the constant ln(4/n) drops out),

    E[X]   = (1/2) (E[psi(M/2)] + ln(4/n)),
    Var[X] = (1/4) (E[psi'(M/2)] + Var[psi(M/2)]).

For wide layers both are ``-/+ (5/4) / n`` to leading order: ``psi'(M/2)``
is about 2/M, about 4/n, the chi-square's share; and ``psi(M/2)`` is about
``ln(M/2)``, whose variance is about Var[M] / E[M]^2 = 1/n, the share of
the count of active units. So ``Var[ln ||.||^2]`` is about 5/n per layer and
``Var[ln ||.||]`` about 5/(4n). Summed
over layers this is Hanin and Nica's (2019) law for the product of many large
random matrices (equation ``eq-finite-width-log-normal``): ``ln ||dC/dr^(0)||``
is approximately normal with

    mean ~ -(5/4) sum_l 1/n_l,     variance ~ (5/4) sum_l 1/n_l.

(The mean is minus the variance because E[||.||^2] = 1: for a normal log,
E[e^{2X}] = e^{2 E[X] + 2 Var[X]}.) ``WIDE_LAYER_CONSTANT`` is that 5/4.

Only the case M >= 1 is kept: with probability 2^-n every unit is off and
the signal is exactly 0 (``log_grad_spread`` reports such draws separately).
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import require_int

__all__ = [
    "WIDE_LAYER_CONSTANT",
    "layer_log_factor_moments",
    "log_norm_prediction",
    "wide_layer_prediction",
]

WIDE_LAYER_CONSTANT = 1.25
"""Hanin and Nica's constant 5/4, the growth of Var[ln ||dC/dr^(0)||] per unit of sum_l 1/n_l (wide ReLU layers)."""

_EULER_GAMMA = 0.5772156649015329


def _psi_half(m: np.ndarray) -> np.ndarray:
    """Digamma psi(m / 2) for integers m >= 1 (closed forms at integers and half-integers)."""
    out = np.empty(m.shape)
    top = int(m.max())
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, top + 1))])  # H_j
    odd = np.concatenate([[0.0], np.cumsum(2.0 / (2.0 * np.arange(1, top + 1) - 1.0))])
    even = m % 2 == 0
    k = m // 2
    out[even] = -_EULER_GAMMA + harmonic[k[even] - 1]                          # psi(k) = -gamma + H_{k-1}
    out[~even] = -_EULER_GAMMA - 2.0 * math.log(2.0) + odd[k[~even]]          # psi(k + 1/2)
    return out


def _trigamma_half(m: np.ndarray) -> np.ndarray:
    """Trigamma psi'(m / 2) for integers m >= 1."""
    out = np.empty(m.shape)
    top = int(m.max())
    inv_sq = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, top + 1) ** 2)])
    odd_sq = np.concatenate([[0.0], np.cumsum(4.0 / (2.0 * np.arange(1, top + 1) - 1.0) ** 2)])
    even = m % 2 == 0
    k = m // 2
    out[even] = math.pi ** 2 / 6.0 - inv_sq[k[even] - 1]                      # psi'(k)
    out[~even] = math.pi ** 2 / 2.0 - odd_sq[k[~even]]                        # psi'(k + 1/2)
    return out


def layer_log_factor_moments(width: int) -> tuple[float, float]:
    """Mean and variance of ``ln`` of the norm factor of one He-initialized ReLU layer.

    The norm factor is ``sqrt((2/n) chi^2_M)`` with ``M ~ Binomial(n, 1/2)``
    conditioned on ``M >= 1``, the square root of the squared-norm factor of
    equation ``eq-finite-width-layer-factor``; its log is half the log of
    that factor. The formulas are in the module docstring:
    ``E = (1/2) (E[psi(M/2)] + ln(4/n))``, ``Var = (1/4) (E[psi'(M/2)] + Var[psi(M/2)])``.

    Parameters
    ----------
    width : int
        n >= 1.

    Returns
    -------
    (mean, variance) : tuple of float
        Both of order 1/n; ``-n * mean`` and ``n * variance`` tend to 5/4.
    """
    n = require_int(width, "width", minimum=1)
    m = np.arange(1, n + 1)
    log_p = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in m])
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    mean_given_m = 0.5 * (_psi_half(m) + math.log(2.0) + math.log(2.0 / n))
    var_given_m = 0.25 * _trigamma_half(m)
    mean = float(np.sum(p * mean_given_m))
    var = float(np.sum(p * var_given_m) + np.sum(p * (mean_given_m - mean) ** 2))
    return mean, var


def _widths(widths) -> list[int]:
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"widths must be a sequence of layer widths, got {type(widths).__name__}")
    out = [require_int(n, "widths[i]", minimum=1) for n in widths]
    if not out:
        raise ValueError("widths must list at least one layer width")
    return out


def log_norm_prediction(widths) -> tuple[float, float]:
    """Mean and variance of ``ln ||dC/dr^(0)||`` from the per-layer model, summed over layers.

    Parameters
    ----------
    widths : sequence of int
        The widths n_l of the layers the signal passes, one per layer
        (for ``L`` equal layers, ``[n] * L``).

    Returns
    -------
    (mean, variance) : tuple of float
    """
    moments = [layer_log_factor_moments(n) for n in _widths(widths)]
    return float(sum(m for m, _ in moments)), float(sum(v for _, v in moments))


def wide_layer_prediction(widths) -> tuple[float, float]:
    """Hanin and Nica's wide-layer law: ``(-(5/4) beta, (5/4) beta)`` with ``beta = sum_l 1/n_l``.

    Mean and variance of ``ln ||dC/dr^(0)||`` (equation ``eq-finite-width-log-normal``).
    """
    beta = sum(1.0 / n for n in _widths(widths))
    return -WIDE_LAYER_CONSTANT * beta, WIDE_LAYER_CONSTANT * beta
