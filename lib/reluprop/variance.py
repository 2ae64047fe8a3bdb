"""Variance at initialization: measurement beside the theory.

The predictions (the forward and backward variance recursions and the
activations' gains) live in :mod:`reluprop.theory`; they are re-exported
here (``variance_gain``, ``activation_second_moment``,
``derivative_second_moment``, ``predicted_forward_variance``,
``predicted_backward_variance``) so that the chapter *Initialization* finds
theory and measurement in one place.

"Variance" here means the second moment per unit, averaged over units,
examples and network draws: with zero biases and symmetric weights every
pre-activation has mean 0 over draws, so the two coincide.

The measurements build networks with :func:`reluprop.layers.init_layers`,
run :meth:`reluprop.network.Network.forward`, and go backwards with
:meth:`reluprop.network.Network.backward_from`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core._validate import as_float_array, require_generator, require_int, require_network, require_sizes
from .core.activations import get_activation
from .core.layers import Layer, init_layers, init_std
from .core.network import Network, Trace
from .theory import (  # noqa: F401  (re-exported: the chapter finds theory and measurement here)
    MEAN_FIELD_ACTIVATIONS,
    _slope,
    activation_second_moment,
    derivative_second_moment,
    predicted_backward_variance,
    predicted_forward_variance,
    variance_gain,
)

# The theory's names above are re-exported for the chapter; they are documented in reluprop.theory.
__all__ = [
    "measured_forward_variance",
    "measured_backward_variance",
    "backward_from",
    "VarianceExperiment",
    "forward_variance_experiment",
    "GradSpread",
    "log_grad_spread",
    "dead_unit_fraction",
]


def _activation(activation, slope):
    return get_activation(activation, slope=slope, allowed=MEAN_FIELD_ACTIVATIONS)


def _networks(sizes, scheme, scale, act, draws, *, rng, weights="gaussian"):
    if weights == "gaussian":
        for _ in range(draws):
            yield Network(init_layers(sizes, scheme, scale, rng=rng), act, act)
        return
    from .isometry import orthogonal  # orthogonal draws with the scheme's mean square per entry

    gains = [init_std(scheme, a, b, scale) * np.sqrt(max(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    for _ in range(draws):
        yield Network([Layer(orthogonal(a, b, rng=rng, scale=g))
                       for a, b, g in zip(sizes[:-1], sizes[1:], gains)], act, act)


def measured_forward_variance(sizes, scheme: str = "he", scale: float = 1.0, activation="relu",
                              *, batch: int = 256, rng, draws: int = 1,
                              slope: float = 0.01) -> np.ndarray:
    """Measured ``E[(z^(k))^2]`` for k = 1..L on standard normal inputs.

    Draws ``draws`` networks with :func:`reluprop.layers.init_layers`
    (every layer, the last included, uses ``activation``; zero biases), runs
    :meth:`reluprop.network.Network.forward` on a fresh batch of standard
    normal inputs for each, and averages ``z[k] ** 2`` over examples, units
    and draws.

    Parameters
    ----------
    sizes, scheme, scale, activation, slope
        As in :func:`~reluprop.theory.predicted_forward_variance`.
    batch : int
        Examples per draw, >= 1.
    rng : numpy.random.Generator
    draws : int
        Independent networks, >= 1.

    Returns
    -------
    array, shape (L,)
        Entry ``k - 1`` is the measurement for layer ``k``.
    """
    sizes = require_sizes(sizes)
    act = _activation(activation, slope)
    batch = require_int(batch, "batch", minimum=1)
    draws = require_int(draws, "draws", minimum=1)
    require_generator(rng)
    total = np.zeros(len(sizes) - 1)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for net in _networks(sizes, scheme, scale, act, draws, rng=rng):
            trace = net.forward(rng.standard_normal((batch, sizes[0])))
            total += np.array([np.mean(z * z) for z in trace.z[1:]])
    return total / draws


def backward_from(net: Network, trace: Trace, dr_out) -> list:
    """Backpropagate a given ``dC/dr^(L)`` through ``net``, layer by layer.

    :meth:`reluprop.network.Network.backward_from` (the network's own
    backward loop), started from an arbitrary upstream gradient instead of
    the cost's: useful to follow a signal of known size through the layers.

    Parameters
    ----------
    net : Network
    trace : Trace
        ``net.forward(x)``.
    dr_out : array, shape (batch, n_L)
        The gradient at the output.

    Returns
    -------
    list of arrays, length L + 1
        ``dr[k]`` = dC/dr^(k), shape (batch, n_k).
    """
    require_network(net)
    if not isinstance(trace, Trace) or len(trace.r) != net.depth + 1:
        raise ValueError("trace must be net.forward(x) for this network")
    dr_out = as_float_array(dr_out, "dr_out", ndim=2)
    if dr_out.shape != trace.r[-1].shape:
        raise ValueError(f"dr_out must have shape {trace.r[-1].shape} (batch, n_L); got {dr_out.shape}")
    return net.backward_from(trace, dr_out).dr


def measured_backward_variance(sizes, scheme: str = "he", scale: float = 1.0, activation="relu",
                               *, batch: int = 256, rng, draws: int = 1,
                               slope: float = 0.01) -> np.ndarray:
    """Measured ``E[(dC/dr^(k))^2]`` for k = 0..L, relative to the output's.

    For each of ``draws`` networks: a forward pass on standard normal inputs,
    then :func:`backward_from` starting from ``dC/dr^(L)`` with independent
    standard normal entries (second moment 1). Averages ``dr[k] ** 2`` over
    examples, units and draws.

    Returns
    -------
    array, shape (L + 1,)
        Entry ``k`` is the measurement for ``dC/dr^(k)``.
    """
    sizes = require_sizes(sizes)
    act = _activation(activation, slope)
    batch = require_int(batch, "batch", minimum=1)
    draws = require_int(draws, "draws", minimum=1)
    require_generator(rng)
    total = np.zeros(len(sizes))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for net in _networks(sizes, scheme, scale, act, draws, rng=rng):
            trace = net.forward(rng.standard_normal((batch, sizes[0])))
            dr = backward_from(net, trace, rng.standard_normal((batch, sizes[-1])))
            total += np.array([np.mean(d * d) for d in dr])
    return total / draws


@dataclass(frozen=True)
class VarianceExperiment:
    """Forward second moments per layer, predicted and measured at several widths.

    Attributes
    ----------
    label : str
        A legend label, e.g. ``"ReLU, He"``.
    depth : int
        Number of layers L.
    widths : tuple of int
        The widths ``n`` measured (every layer, the input included, has width ``n``).
    predicted : array, shape (len(widths), L)
        :func:`~reluprop.theory.predicted_forward_variance`, one row per width (the rows are
        equal for the schemes that scale with the width).
    measured : array, shape (len(widths), L)
        :func:`measured_forward_variance`, one row per width.
    """

    label: str
    depth: int
    widths: tuple
    predicted: np.ndarray
    measured: np.ndarray

    def max_log_error(self) -> float:
        """Largest ``|log(measured / predicted)|`` over widths and layers."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.max(np.abs(np.log(self.measured / self.predicted))))


def forward_variance_experiment(depth: int, widths, scheme: str = "he", scale: float = 1.0,
                                activation="relu", *, rng, batch: int = 64, draws=8,
                                slope: float = 0.01, label: str | None = None) -> VarianceExperiment:
    """Predict and measure ``E[(z^(k))^2]`` for equal-width networks ``[n] * (depth + 1)``.

    Parameters
    ----------
    depth : int
        Number of layers L >= 1.
    widths : sequence of int
        Widths to measure; for each, :func:`measured_forward_variance` with
        ``batch`` examples and ``draws`` networks.
    draws : int or sequence of int
        Networks per width: one number for all widths, or one per width
        (narrow networks fluctuate more and are cheap, so they can get more).
    scheme, scale, activation, slope
        As in :func:`~reluprop.theory.predicted_forward_variance`.
    rng : numpy.random.Generator
    label : str, optional
        Legend label; by default built from the activation, scheme and scale.

    Returns
    -------
    VarianceExperiment
    """
    depth = require_int(depth, "depth", minimum=1)
    widths = tuple(require_int(n, "widths[i]", minimum=1) for n in widths)
    if not widths:
        raise ValueError("widths must list at least one width")
    act = _activation(activation, slope)
    if isinstance(draws, (list, tuple, np.ndarray)):
        draws = tuple(draws)
        if len(draws) != len(widths):
            raise ValueError(f"draws must be one int or one per width ({len(widths)}); got {len(draws)}")
    else:
        draws = (draws,) * len(widths)
    predicted = np.array([predicted_forward_variance([n] * (depth + 1), scheme, scale, act)
                          for n in widths])
    measured = np.array([
        measured_forward_variance([n] * (depth + 1), scheme, scale, act, batch=batch, rng=rng,
                                  draws=d)
        for n, d in zip(widths, draws)
    ])
    if label is None:
        name = {"relu": "ReLU", "leaky_relu": f"leaky ReLU (a={_slope(act):g})",
                "identity": "linear", "sigmoid": "sigmoid", "tanh": "tanh"}[act.name]
        label = f"{name}, {scheme}" + ("" if scale == 1 else f" × {scale:g}")
    return VarianceExperiment(label, depth, widths, predicted, measured)


@dataclass(frozen=True)
class GradSpread:
    """How much the backpropagated signal's size varies from network to network.

    Attributes
    ----------
    depth, width : int
        L and n of the networks ``[n] * (L + 1)``.
    log_norms : array, shape (draws,)
        ``log ||dC/dr^(0)||`` for each draw, starting from a unit-norm
        ``dC/dr^(L)`` (natural log); ``-inf`` where the signal died (some
        layer had every unit inactive for that input).
    """

    depth: int
    width: int
    log_norms: np.ndarray

    @property
    def depth_over_width(self) -> float:
        """L / n, the sum of 1/n_l over the layers for equal widths, up to one term."""
        return self.depth / self.width

    @property
    def n_dead(self) -> int:
        """Draws whose signal died completely (``log_norms == -inf``)."""
        return int(np.sum(~np.isfinite(self.log_norms)))

    @property
    def finite(self) -> np.ndarray:
        """The finite log-norms."""
        return self.log_norms[np.isfinite(self.log_norms)]

    @property
    def std(self) -> float:
        """Standard deviation of the finite log-norms across draws (NaN if fewer than 2)."""
        f = self.finite
        return float(np.std(f)) if f.size >= 2 else float("nan")

    @property
    def mean(self) -> float:
        """Mean of the finite log-norms, the log of the typical (geometric-mean) size (NaN if none)."""
        f = self.finite
        return float(np.mean(f)) if f.size >= 1 else float("nan")


def log_grad_spread(depth: int, width: int, draws: int, *, rng, scheme: str = "he",
                    scale: float = 1.0, activation="relu", slope: float = 0.01,
                    weights: str = "gaussian") -> GradSpread:
    """Spread over random networks of ``log ||dC/dr^(0)||`` at initialization.

    For each draw: a fresh network ``[width] * (depth + 1)`` from
    :func:`reluprop.layers.init_layers` (zero biases), one standard normal
    input (batch 1), and a backward pass (:func:`backward_from`) started
    from a random unit vector ``dC/dr^(L)`` instead of a cost's gradient, so
    that ``||dC/dr^(0)||`` is the factor by which the network scales the
    signal on its way back. With He's initialization the mean of its square
    is 1 at every depth; its logarithm's spread across draws grows with
    ``sum_l 1/n_l = L/n`` (Hanin 2018).

    Parameters
    ----------
    depth : int
        L >= 1.
    width : int
        n >= 1.
    draws : int
        Number of independent networks, >= 2.
    rng : numpy.random.Generator
    scheme, scale, activation, slope
        As in :func:`reluprop.layers.init_layers` and
        :func:`reluprop.activations.get_activation`.
    weights : str
        ``"gaussian"`` (i.i.d. normal entries, :func:`~reluprop.layers.init_layers`)
        or ``"orthogonal"`` (:func:`reluprop.isometry.orthogonal` times
        ``sqrt(width)`` times the scheme's standard deviation: the same mean
        square per entry, so the same mean of the squared norm).

    Returns
    -------
    GradSpread
    """
    if not isinstance(weights, str) or weights not in ("gaussian", "orthogonal"):
        raise ValueError(f"weights must be 'gaussian' or 'orthogonal'; got {weights!r}")
    depth = require_int(depth, "depth", minimum=1)
    width = require_int(width, "width", minimum=1)
    draws = require_int(draws, "draws", minimum=2)
    require_generator(rng)
    act = _activation(activation, slope)
    sizes = [width] * (depth + 1)
    out = np.empty(draws)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for i, net in enumerate(_networks(sizes, scheme, scale, act, draws, rng=rng, weights=weights)):
            trace = net.forward(rng.standard_normal((1, width)))
            u = rng.standard_normal((1, width))
            u /= np.linalg.norm(u)
            norm = np.linalg.norm(backward_from(net, trace, u)[0])
            out[i] = np.log(norm) if norm > 0 else -np.inf
    return GradSpread(depth, width, out)


def dead_unit_fraction(net: Network, x) -> np.ndarray:
    """Fraction of units in each layer that pass no gradient for any example of ``x``.

    A unit of layer k is dead on the batch when ``f'(z^(k)) == 0`` for every
    example: for ReLU, when ``z <= 0`` for all of them. Its incoming weights
    then get no gradient from this batch (``eq-backward-dz``).

    Parameters
    ----------
    net : Network
    x : array, shape (batch, n_0)

    Returns
    -------
    array, shape (L,)
        Entry ``k - 1`` is the dead fraction of layer k (the output layer last).
    """
    require_network(net)
    trace = net.forward(x)
    out = np.empty(net.depth)
    for k in range(1, net.depth + 1):
        live = net.activation_of(k).df(trace.z[k]) != 0
        out[k - 1] = 1.0 - np.mean(np.any(live, axis=0))
    return out
