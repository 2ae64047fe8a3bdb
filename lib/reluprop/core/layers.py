"""Layers: parameters, initialization, and one layer's forward and backward step.

Rows are examples. Layer ``k`` maps ``r^(k)`` of shape ``(batch, n_k)`` to
``r^(k+1)`` of shape ``(batch, n_{k+1})`` with weights ``W^(k)`` of shape
``(n_k, n_{k+1})`` and bias ``b^(k)`` of shape ``(n_{k+1},)``::

    z^(k+1) = r^(k) @ W^(k) + b^(k)                     (eq-forward-z)
    r^(k+1) = f(z^(k+1))                                (eq-forward-r)

Given the upstream gradient ``dr = dC/dr^(k+1)``, the backward step is the
answer's three equations plus the bias, in matrix form (chapter *The general
layer*)::

    dz      = dr * f'(z^(k+1))                          (eq-backward-dz)
    dr_prev = dz @ W^(k).T                              (eq-backward-dr)
    dW      = r^(k).T @ dz                              (eq-backward-dw)
    db      = dz summed over the batch                  (eq-backward-db)

:func:`forward_step` and :func:`backward_step` are pure functions; both the
:class:`~reluprop.network.Network` and the depth experiments call them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, require_choice, require_finite, require_generator, require_real, require_sizes
from .activations import Activation, get_activation

__all__ = ["Layer", "init_layers", "init_std", "forward_step", "backward_step", "SCHEMES"]

SCHEMES = ("he", "xavier", "lecun", "normal")


@dataclass(frozen=True, eq=False)
class Layer:
    """One fully connected layer (no hidden state): the first block of the block protocol.

    A block has ``n_in``, ``n_out``, ``params`` (name -> array) and the two
    methods ``forward(r_prev, activation) -> (z, r, cache)`` and
    ``backward(dr, z, r, r_prev, cache, activation) -> (dz, dr_prev, grads)``;
    :meth:`reluprop.network.Network.backward_from` runs any list of blocks.
    For a Layer they are :func:`forward_step` and :func:`backward_step`.

    Parameters
    ----------
    W : array, shape (n_in, n_out)
        Weights; ``W[i, j]`` connects unit ``i`` of this layer's input to unit
        ``j`` of its output (the answer's W^(k)_ij).
    b : array, shape (n_out,), optional
        Bias; zeros if omitted.

    Raises
    ------
    ValueError
        If ``W`` is not 2-D, has a zero dimension, or holds NaN/inf, or ``b``
        does not have shape ``(n_out,)``.
    """

    W: np.ndarray
    b: np.ndarray

    def __init__(self, W, b=None):
        W = as_float_array(W, "W", ndim=2)
        if W.shape[0] < 1 or W.shape[1] < 1:
            raise ValueError(f"W must have at least one row and one column, got shape {W.shape}")
        require_finite(W, "W")
        if b is None:
            b = np.zeros(W.shape[1])
        else:
            b = as_float_array(b, "b")
            if b.shape != (W.shape[1],):
                raise ValueError(
                    f"b must have shape (n_out,) = ({W.shape[1]},) to match W of shape "
                    f"{W.shape}; got {b.shape}"
                )
            require_finite(b, "b")
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)

    @property
    def n_in(self) -> int:
        """Number of inputs, ``n_k``."""
        return self.W.shape[0]

    @property
    def n_out(self) -> int:
        """Number of outputs, ``n_{k+1}``."""
        return self.W.shape[1]

    @property
    def params(self) -> dict:
        """The parameters by name, ``{"W": W, "b": b}`` (the block protocol)."""
        return {"W": self.W, "b": self.b}

    def forward(self, r_prev, activation):
        """The block's forward: :func:`forward_step`, with no cache.

        Returns ``(z, r, None)``: ``z`` and ``r`` of shape (batch, n_out).
        """
        z, r = forward_step(r_prev, self.W, self.b, activation)
        return z, r, None

    def backward(self, dr, z, r, r_prev, cache, activation):
        """The block's backward: :func:`backward_step` (``r`` and ``cache`` are not needed).

        Returns ``(dz, dr_prev, {"W": dW, "b": db})``.
        """
        dz, dr_prev, dW, db = backward_step(dr, z, r_prev, self.W, activation)
        return dz, dr_prev, {"W": dW, "b": db}

    @classmethod
    def _unchecked(cls, W, b):
        """A Layer around float64 arrays already known to be valid (no copy, no checks)."""
        layer = object.__new__(cls)
        object.__setattr__(layer, "W", W)
        object.__setattr__(layer, "b", b)
        return layer

    def __repr__(self) -> str:
        return f"Layer(n_in={self.n_in}, n_out={self.n_out})"


def init_std(scheme: str, n_in: int, n_out: int, scale: float = 1.0) -> float:
    """Standard deviation of the weights for one layer under ``scheme``.

    ``"he"``: sqrt(2 / n_in) (He et al. 2015, equation ``eq-he``);
    ``"xavier"``: sqrt(2 / (n_in + n_out)) (Glorot and Bengio 2010; equal to
    ``"lecun"`` when the widths are equal); ``"lecun"``: sqrt(1 / n_in);
    ``"normal"``: 1. The result is multiplied by ``scale``.
    """
    require_choice(scheme, SCHEMES, "scheme")
    if scheme == "he":
        std = np.sqrt(2.0 / n_in)
    elif scheme == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    elif scheme == "lecun":
        std = np.sqrt(1.0 / n_in)
    else:
        std = 1.0
    return float(scale * std)


def init_layers(sizes, scheme: str = "he", scale: float = 1.0, *, rng, bias_std: float = 0.0):
    """Draw a list of layers for widths ``sizes = [n_0, ..., n_L]``.

    Weights are drawn from an untruncated normal N(0, (scale * std)^2), with
    ``std`` from :func:`init_std`, so their variance is exactly what the
    scheme promises. Biases are zero unless ``bias_std > 0``.

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        Layer widths, input first; every width >= 1.
    scheme : str
        ``"he"``, ``"xavier"``, ``"lecun"`` or ``"normal"``.
    scale : float
        Multiplier of the scheme's standard deviation, >= 0 (``s`` in Part II).
    rng : numpy.random.Generator
        Source of randomness (keyword-only, required).
    bias_std : float
        Standard deviation of the biases, >= 0.

    Returns
    -------
    list of Layer
        ``L = len(sizes) - 1`` layers; layer ``k`` has ``W`` of shape
        ``(sizes[k], sizes[k+1])``.
    """
    sizes = require_sizes(sizes)
    init_std(scheme, 1, 1)  # validates scheme
    scale = require_real(scale, "scale", minimum=0.0)
    bias_std = require_real(bias_std, "bias_std", minimum=0.0)
    require_generator(rng)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        std = init_std(scheme, int(n_in), int(n_out), scale)
        W = rng.standard_normal((int(n_in), int(n_out))) * std
        b = rng.standard_normal(int(n_out)) * bias_std if bias_std > 0 else np.zeros(int(n_out))
        layers.append(Layer(W, b))
    return layers


def forward_step(r_prev, W, b, activation):
    """One layer forward (``eq-forward-z``, ``eq-forward-r``).

    Parameters
    ----------
    r_prev : array, shape (batch, n_k)
        The layer's input r^(k).
    W : array, shape (n_k, n_{k+1})
    b : array, shape (n_{k+1},)
    activation : Activation or str
        An :class:`~reluprop.activations.Activation` or its name.

    Returns
    -------
    z : array, shape (batch, n_{k+1})
        Pre-activations z^(k+1) = r^(k) @ W + b.
    r : array, shape (batch, n_{k+1})
        Outputs r^(k+1) = f(z^(k+1)).
    """
    activation = get_activation(activation)
    z = r_prev @ W
    z += b  # in place: saves one (batch, n_{k+1}) temporary per layer
    return z, activation.f(z)


def backward_step(dr, z, r_prev, W, activation):
    """One layer backward: the answer's three equations plus the bias.

    Parameters
    ----------
    dr : array, shape (batch, n_{k+1})
        Upstream gradient dC/dr^(k+1).
    z : array, shape (batch, n_{k+1})
        This layer's pre-activations z^(k+1) from the forward pass.
    r_prev : array, shape (batch, n_k)
        This layer's input r^(k).
    W : array, shape (n_k, n_{k+1})
    activation : Activation or str
        Its derivative is used in ``eq-backward-dz`` and nowhere else.

    Returns
    -------
    dz : array, shape (batch, n_{k+1})
        dC/dz^(k+1) = dr * f'(z)                       (``eq-backward-dz``)
    dr_prev : array, shape (batch, n_k)
        dC/dr^(k) = dz @ W.T                           (``eq-backward-dr``)
    dW : array, shape (n_k, n_{k+1})
        dC/dW^(k) = r_prev.T @ dz                      (``eq-backward-dw``)
    db : array, shape (n_{k+1},)
        dC/db^(k) = dz summed over the batch           (``eq-backward-db``)
    """
    activation = get_activation(activation)
    dz = dr * activation.df(z)
    dr_prev = dz @ W.T
    dW = r_prev.T @ dz
    db = dz.sum(axis=0)
    return dz, dr_prev, dW, db
