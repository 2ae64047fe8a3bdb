"""A fully connected network: forward pass, backward pass, and their records.

``Network(layers, activation, output_activation)`` holds a list of
:class:`~reluprop.layers.Layer` and two activations (hidden layers and the
output layer). ``forward(x)`` returns a :class:`Trace` with every ``z[k]`` and
``r[k]``; ``backward(trace, y)`` returns :class:`Gradients` for the squared-
error cost (``eq-cost``). Index ``k`` in code equals the superscript in the
text: ``r[0]`` is ``x``, ``r[L]`` is the prediction, ``W[k]`` maps layer ``k``
to layer ``k + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, require_finite
from .activations import Activation, get_activation
from .layers import Layer, backward_step, forward_step
from .losses import squared_error, squared_error_grad

__all__ = ["Network", "Trace", "Gradients"]


@dataclass(frozen=True)
class Trace:
    """What the forward pass records, for ``L`` layers and a batch ``B``.

    Attributes
    ----------
    z : list of arrays, length L + 1
        ``z[k]`` has shape (B, n_k) for k >= 1; ``z[0]`` is None (inputs have
        no pre-activation).
    r : list of arrays, length L + 1
        ``r[0]`` is the input ``x``; ``r[k] = f(z[k])``; ``r[L]`` is ŷ.
    """

    z: list
    r: list

    @property
    def y_hat(self) -> np.ndarray:
        """The prediction r[L], shape (B, n_L)."""
        return self.r[-1]


@dataclass(frozen=True)
class Gradients:
    """What the backward pass returns, for ``L`` layers.

    Attributes
    ----------
    dW : list of arrays, length L
        ``dW[k]`` = dC/dW^(k), shape of ``W[k]`` (``eq-backward-dw``).
    db : list of arrays, length L
        ``db[k]`` = dC/db^(k), shape of ``b[k]`` (``eq-backward-db``).
    dz : list of arrays, length L + 1
        ``dz[k]`` = dC/dz^(k) for k >= 1 (``eq-backward-dz``); ``dz[0]`` is None.
    dr : list of arrays, length L + 1
        ``dr[k]`` = dC/dr^(k) (``eq-backward-dr``); ``dr[L]`` is dC/dŷ
        (``eq-output-grad``) and ``dr[0]`` is dC/dx.
    """

    dW: list
    db: list
    dz: list
    dr: list


class Network:
    """A fully connected network with squared-error cost.

    Parameters
    ----------
    layers : list of Layer
        ``layers[k]`` maps layer k to layer k + 1; shapes must chain:
        ``layers[k].W.shape[1] == layers[k + 1].W.shape[0]``.
    activation : str or Activation
        Activation of the hidden layers (default ``"relu"``).
    output_activation : str or Activation
        Activation of the last layer (default ``"relu"``, as in the
        question; use ``"identity"`` for an unconstrained regression output).

    Examples
    --------
    >>> import numpy as np, reluprop as rp
    >>> rng = np.random.default_rng(0)
    >>> net = rp.Network(rp.init_layers([3, 4, 4, 1], rng=rng))
    >>> trace = net.forward(rng.standard_normal((5, 3)))
    >>> grads = net.backward(trace, np.zeros((5, 1)))
    >>> [g.shape for g in grads.dW]
    [(3, 4), (4, 4), (4, 1)]
    """

    def __init__(self, layers, activation="relu", output_activation="relu"):
        if isinstance(layers, Layer):
            raise TypeError("layers must be a list of Layer, got a single Layer; wrap it in [ ]")
        try:
            layers = list(layers)
        except TypeError:
            raise TypeError(f"layers must be a list of Layer, got {type(layers).__name__}") from None
        if not layers:
            raise ValueError("layers must contain at least one Layer")
        for k, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{k}] must be a Layer, got {type(layer).__name__}")
        for k in range(len(layers) - 1):
            if layers[k].n_out != layers[k + 1].n_in:
                raise ValueError(
                    f"layer shapes do not chain: layers[{k}].W has shape {layers[k].W.shape} "
                    f"but layers[{k + 1}].W has shape {layers[k + 1].W.shape}; "
                    f"layers[{k + 1}].W needs {layers[k].n_out} rows"
                )
        self.layers = layers
        self.activation: Activation = get_activation(activation)
        self.output_activation: Activation = get_activation(output_activation)

    @property
    def depth(self) -> int:
        """Number of layers L."""
        return len(self.layers)

    @property
    def sizes(self) -> list:
        """Widths ``[n_0, ..., n_L]``."""
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def W(self) -> list:
        """The weight matrices ``W[0..L-1]``."""
        return [layer.W for layer in self.layers]

    @property
    def b(self) -> list:
        """The bias vectors ``b[0..L-1]``."""
        return [layer.b for layer in self.layers]

    def activation_of(self, k: int) -> Activation:
        """Activation applied to ``z[k]`` (k = 1..L)."""
        return self.output_activation if k == self.depth else self.activation

    def __repr__(self) -> str:
        return (
            f"Network(sizes={self.sizes}, activation={self.activation.name!r}, "
            f"output_activation={self.output_activation.name!r})"
        )

    def _check_x(self, x) -> np.ndarray:
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != self.sizes[0]:
            raise ValueError(
                f"x must have shape (batch, {self.sizes[0]}) for this network; got {x.shape}"
            )
        if x.shape[0] < 1:
            raise ValueError("x must hold at least one example (row)")
        require_finite(x, "x")
        return x

    def forward(self, x) -> Trace:
        """Run the forward pass (``eq-forward-z``, ``eq-forward-r``).

        Parameters
        ----------
        x : array, shape (batch, n_0)
            One example per row.

        Returns
        -------
        Trace
            ``z[k]`` and ``r[k]`` for every layer.
        """
        x = self._check_x(x)
        z, r = [None], [x]
        for k, layer in enumerate(self.layers):
            z_next, r_next = forward_step(r[-1], layer.W, layer.b, self.activation_of(k + 1))
            z.append(z_next)
            r.append(r_next)
        return Trace(z=z, r=r)

    def predict(self, x) -> np.ndarray:
        """The prediction ŷ = r[L] for ``x`` of shape (batch, n_0)."""
        return self.forward(x).y_hat

    def cost(self, x, y) -> float:
        """Squared-error cost (``eq-cost``) of the prediction for ``x`` against ``y``."""
        return squared_error(self.predict(x), self._check_y(y, self._check_x(x).shape[0]))

    def _check_y(self, y, batch: int) -> np.ndarray:
        y = as_float_array(y, "y", ndim=2)
        expected = (batch, self.sizes[-1])
        if y.shape != expected:
            raise ValueError(f"y must have shape (batch, n_L) = {expected}; got {y.shape}")
        require_finite(y, "y")
        return y

    def backward(self, trace: Trace, y) -> Gradients:
        """Backpropagate the squared-error cost through the network.

        Starts from dC/dŷ = (ŷ - y) / batch (``eq-output-grad``) and applies
        :func:`~reluprop.layers.backward_step` from the last layer to the first.

        Parameters
        ----------
        trace : Trace
            The result of :meth:`forward` on this network.
        y : array, shape (batch, n_L)
            Targets.

        Returns
        -------
        Gradients
            ``dW[k]``, ``db[k]`` with the shapes of ``W[k]``, ``b[k]``, and
            ``dz[k]``, ``dr[k]`` with the shapes of ``z[k]``, ``r[k]``.
        """
        if not isinstance(trace, Trace):
            raise TypeError(f"trace must be the Trace returned by forward(), got {type(trace).__name__}")
        if len(trace.r) != self.depth + 1:
            raise ValueError(
                f"trace has {len(trace.r) - 1} layers but this network has {self.depth}"
            )
        y = self._check_y(y, trace.r[0].shape[0])
        L = self.depth
        dW, db = [None] * L, [None] * L
        dz, dr = [None] * (L + 1), [None] * (L + 1)
        dr[L] = squared_error_grad(trace.r[L], y)
        for k in range(L - 1, -1, -1):
            layer = self.layers[k]
            dz[k + 1], dr[k], dW[k], db[k] = backward_step(
                dr[k + 1], trace.z[k + 1], trace.r[k], layer.W, self.activation_of(k + 1)
            )
        return Gradients(dW=dW, db=db, dz=dz, dr=dr)

    def gradients(self, x, y) -> Gradients:
        """``backward(forward(x), y)`` in one call."""
        return self.backward(self.forward(x), y)

    def with_params(self, W, b=None) -> "Network":
        """A new network with the same activations and weights ``W`` (and biases ``b``)."""
        if b is None:
            b = [None] * len(W)
        return Network([Layer(Wk, bk) for Wk, bk in zip(W, b)], self.activation, self.output_activation)
