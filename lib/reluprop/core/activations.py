"""Activation functions and their derivatives.

Each activation is an :class:`Activation`: a name, the function ``f`` and its
derivative ``df``, both applied elementwise to pre-activations ``z`` of any
shape. In the backward pass the derivative enters exactly one equation,
``dz = dr * df(z)`` (equation ``eq-backward-dz`` in the chapter *The general
layer*), so swapping activations changes nothing else.

ReLU's derivative at exactly ``z = 0`` is taken to be 0, as PyTorch,
TensorFlow and JAX do; the chapter *ReLU and its derivative* explains why the
choice only matters on the kink itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validate import require_choice, require_real

__all__ = ["Activation", "get_activation", "ACTIVATIONS", "relu", "step", "sigmoid"]


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``f`` with its derivative ``df``.

    Attributes
    ----------
    name : str
        One of ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"identity"``,
        ``"leaky_relu"``.
    f : callable
        ``f(z)``: array of any shape to an array of the same shape.
    df : callable
        ``df(z)``: the derivative f'(z), same shape as ``z``.
    params : dict
        Parameters of the function, e.g. ``{"slope": 0.01}`` for leaky ReLU.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    params: dict = field(default_factory=dict)

    def __call__(self, z):
        return self.f(z)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Activation({self.name!r}{extra})"


def relu(z):
    """ReLU(z) = max(0, z), elementwise (equation ``eq-relu``)."""
    z = np.asarray(z, dtype=np.float64)
    return np.maximum(z, 0.0)


def step(z):
    """Step(z), the derivative of ReLU: 1 where z > 0, else 0 (``eq-step``).

    The value at exactly 0 is 0, as in the major frameworks.
    """
    z = np.asarray(z, dtype=np.float64)
    return (z > 0).astype(np.float64)


def sigmoid(z):
    """The logistic sigmoid 1 / (1 + exp(-z)), computed without overflow.

    Uses sigmoid(z) = (1 + tanh(z / 2)) / 2, which is exact and never
    overflows for large ``|z|``.
    """
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def _tanh(z):
    return np.tanh(np.asarray(z, dtype=np.float64))


def _tanh_derivative(z):
    t = np.tanh(np.asarray(z, dtype=np.float64))
    return 1.0 - t * t


def _identity(z):
    return np.array(z, dtype=np.float64, copy=True)


def _identity_derivative(z):
    return np.ones_like(np.asarray(z, dtype=np.float64))


def _leaky_relu(slope):
    def f(z):
        z = np.asarray(z, dtype=np.float64)
        return np.where(z > 0, z, slope * z)

    def df(z):
        z = np.asarray(z, dtype=np.float64)
        return np.where(z > 0, 1.0, slope)

    return f, df


ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity", "leaky_relu")


def get_activation(name, slope: float = 0.01, allowed=None) -> Activation:
    """Return the :class:`Activation` called ``name``.

    Parameters
    ----------
    name : str or Activation
        ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"identity"`` or
        ``"leaky_relu"``. An :class:`Activation` is returned unchanged.
    slope : float
        Slope of leaky ReLU for ``z <= 0`` (ignored by the others); must be
        finite and ``>= 0``.
    allowed : sequence of str, optional
        Names a caller supports (e.g. those it knows the theory of); any
        other activation, an :class:`Activation` object included, raises
        ValueError.

    Raises
    ------
    ValueError
        If ``name`` is not a known activation, or ``slope`` is negative.
    TypeError
        If ``name`` is neither a string nor an :class:`Activation`.
    """
    act = _lookup(name, slope)
    if allowed is not None:
        require_choice(act.name, allowed, "activation")
    return act


def _lookup(name, slope) -> Activation:
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"activation must be a name (one of {', '.join(ACTIVATIONS)}) or an "
            f"Activation, got {type(name).__name__}"
        )
    if name == "relu":
        return Activation("relu", relu, step)
    if name == "sigmoid":
        return Activation("sigmoid", sigmoid, _sigmoid_derivative)
    if name == "tanh":
        return Activation("tanh", _tanh, _tanh_derivative)
    if name == "identity":
        return Activation("identity", _identity, _identity_derivative)
    if name == "leaky_relu":
        slope = require_real(slope, "slope", minimum=0.0)
        f, df = _leaky_relu(slope)
        return Activation("leaky_relu", f, df, {"slope": slope})
    require_choice(name, ACTIVATIONS, "activation")
