"""A fully connected network: forward pass, backward pass, and their records.

``Network(layers, activation, output_activation)`` holds a list of blocks
(a :class:`~reluprop.layers.Layer` is the first kind of block) and two
activations (hidden layers and the output layer). ``forward(x)`` returns a
:class:`Trace` with every ``z[k]`` and ``r[k]``; ``backward(trace, y)``
returns :class:`Gradients` for the squared-error cost (``eq-cost``). Index
``k`` in code equals the superscript in the text: ``r[0]`` is ``x``, ``r[L]``
is the prediction, ``W[k]`` maps layer ``k`` to layer ``k + 1``.

The backward pass is written once, in :func:`backpropagate`:
:meth:`Network.backward_from` starts it from any output gradient dC/dr^(L),
:meth:`Network.backward` from the cost's, and the depth experiments, the
variance measurements and the planted bugs of the gradient-checking chapter
run the same loop with a hook.

The block protocol. A block has ``n_in`` and ``n_out`` (ints), ``params``
(a dict name -> array, e.g. ``{"W": W, "b": b}``) and two methods:

- ``forward(r_prev, activation) -> (z, r, cache)``: ``r_prev`` of shape
  (batch, n_in); ``z`` its pre-activation (or None); ``r`` its output, shape
  (batch, n_out); ``cache`` whatever its backward needs beyond ``z``, ``r``
  and ``r_prev`` (None for a dense layer);
- ``backward(dr, z, r, r_prev, cache, activation) -> (dz, dr_prev, grads)``:
  ``dr`` = dC/dr^(k+1) of shape (batch, n_out); returns dC/dz (or None),
  dC/dr^(k) of shape (batch, n_in), and a dict of parameter gradients with
  the keys and shapes of ``params``.

``activation`` is the activation the network assigns to the block's
position (hidden or output); a block may ignore it.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array, require_finite
from .activations import Activation, get_activation
from .layers import Layer
from .losses import squared_error, squared_error_grad

__all__ = ["Network", "Trace", "Gradients", "backpropagate", "is_block"]


def is_block(obj) -> bool:
    """True if ``obj`` has what the block protocol asks for (see the module docstring)."""
    return all(hasattr(obj, a) for a in ("n_in", "n_out", "params", "forward", "backward"))


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
    cache : list, length L
        ``cache[k]`` is what block ``k`` keeps for its backward beyond ``z``,
        ``r`` and its input (None for a dense layer, and by default).
    """

    z: list
    r: list
    cache: list = field(default=None, repr=False)

    def __post_init__(self):
        if self.cache is None:
            object.__setattr__(self, "cache", [None] * (len(self.r) - 1))

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
    params : list of dicts, length L
        ``params[k]`` holds block ``k``'s parameter gradients by name (the
        keys of its ``params``); ``dW[k]`` is ``params[k]["W"]`` and
        ``db[k]`` is ``params[k]["b"]`` where the block has them, else None.
    """

    dW: list
    db: list
    dz: list
    dr: list
    params: list = field(default=None, repr=False)

    def __post_init__(self):
        if self.params is None:
            object.__setattr__(self, "params", [
                {name: g for name, g in (("W", dW), ("b", db)) if g is not None}
                for dW, db in zip(self.dW, self.db)
            ])


def _default_step(k, block, dr, z, r, r_prev, cache, activation):
    return block.backward(dr, z, r, r_prev, cache, activation)


def backpropagate(blocks, activation_of, trace, dr_L, *, on_block=None, step=None,
                  keep: bool = True) -> Gradients:
    """The backward loop: from dC/dr^(L) = ``dr_L`` down to dC/dr^(0), block by block.

    For k = L-1, ..., 0 it calls block ``k``'s backward (``eq-backward-dz``
    to ``eq-backward-db`` for a dense layer) with the upstream gradient
    dC/dr^(k+1) and what the forward pass recorded. Use
    :meth:`Network.backward_from`, which checks its arguments; this function
    is the loop itself, for callers that hold neither every block nor every
    array at once (the depth experiments at depth 2000).

    Parameters
    ----------
    blocks : sequence of blocks
        ``len(blocks)`` = L; ``blocks[k]`` is fetched once, when the loop reaches it.
    activation_of : callable
        ``activation_of(k + 1)`` is the Activation of block ``k``'s position.
    trace : Trace or any object with sequences ``z``, ``r`` and ``cache``
        Read at ``z[k + 1]``, ``r[k + 1]``, ``r[k]`` and ``cache[k]`` only.
    dr_L : array, shape (batch, n_L)
        dC/dr^(L), the gradient at the output.
    on_block : callable, optional
        ``on_block(k, dz, dr_prev, grads)`` is called after block ``k``'s
        backward with its results (dC/dz^(k+1), dC/dr^(k), parameter
        gradients): observe them (record norms, free memory) without keeping them.
    step : callable, optional
        Replaces the per-block step: ``step(k, block, dr, z, r, r_prev, cache,
        activation) -> (dz, dr_prev, grads)``; by default ``block.backward``.
        (The gradient-checking chapter plants bugs this way.)
    keep : bool
        If False, the returned Gradients keep only ``dr[0]`` and ``dr[L]``
        (every other entry None): memory stays that of one block.

    Returns
    -------
    Gradients
    """
    step = _default_step if step is None else step
    L = len(blocks)
    params = [None] * L
    dz, dr = [None] * (L + 1), [None] * (L + 1)
    dr[L] = d = dr_L
    z_s, r_s, caches = trace.z, trace.r, trace.cache
    for k in range(L - 1, -1, -1):
        dz_k, d, grads = step(k, blocks[k], d, z_s[k + 1], r_s[k + 1], r_s[k], caches[k],
                              activation_of(k + 1))
        if on_block is not None:
            on_block(k, dz_k, d, grads)
        if keep:
            dz[k + 1], dr[k], params[k] = dz_k, d, grads
    dr[0] = d
    params = [g if g is not None else {} for g in params]
    return Gradients(dW=[g.get("W") for g in params], db=[g.get("b") for g in params],
                     dz=dz, dr=dr, params=params)


class Network:
    """A fully connected network with squared-error cost.

    Parameters
    ----------
    layers : list of Layer (or of blocks)
        ``layers[k]`` maps layer k to layer k + 1; shapes must chain:
        ``layers[k].n_out == layers[k + 1].n_in`` (for a Layer,
        ``W.shape[1] == W.shape[0]`` of the next). Any object with the block
        protocol (module docstring) may stand in a Layer's place.
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
            if not isinstance(layer, Layer) and not is_block(layer):
                raise TypeError(f"layers[{k}] must be a Layer (or a block), got {type(layer).__name__}")
        for k in range(len(layers) - 1):
            if layers[k].n_out != layers[k + 1].n_in:
                if not (isinstance(layers[k], Layer) and isinstance(layers[k + 1], Layer)):
                    raise ValueError(
                        f"block shapes do not chain: layers[{k}].n_out = {layers[k].n_out} but "
                        f"layers[{k + 1}].n_in = {layers[k + 1].n_in}"
                    )
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
        """The weight matrices ``W[0..L-1]`` (None for a block without a ``"W"``)."""
        return [layer.params.get("W") for layer in self.layers]

    @property
    def b(self) -> list:
        """The bias vectors ``b[0..L-1]`` (None for a block without a ``"b"``)."""
        return [layer.params.get("b") for layer in self.layers]

    def activation_of(self, k: int) -> Activation:
        """Activation applied to ``z[k]`` (k = 1..L)."""
        return self.output_activation if k == len(self.layers) else self.activation

    @classmethod
    def _unchecked(cls, blocks, activation: Activation, output_activation: Activation) -> "Network":
        """A Network around blocks and Activations already known to fit together (no checks)."""
        net = object.__new__(cls)
        net.layers, net.activation, net.output_activation = blocks, activation, output_activation
        return net

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
        z, r, cache = [None], [x], []
        for k, block in enumerate(self.layers):
            z_next, r_next, c = block.forward(r[-1], self.activation_of(k + 1))
            z.append(z_next)
            r.append(r_next)
            cache.append(c)
        return Trace(z=z, r=r, cache=cache)

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

    def _check_trace(self, trace) -> None:
        if not isinstance(trace, Trace):
            raise TypeError(f"trace must be the Trace returned by forward(), got {type(trace).__name__}")
        if len(trace.r) != self.depth + 1:
            raise ValueError(
                f"trace has {len(trace.r) - 1} layers but this network has {self.depth}"
            )

    def backward_from(self, trace: Trace, dr_L, *, on_block=None, step=None,
                      keep: bool = True) -> Gradients:
        """Backpropagate a given output gradient dC/dr^(L) through the network.

        The one backward loop of the package (:func:`backpropagate`), started
        from any ``dr_L``; :meth:`backward` starts it from the cost's gradient.

        Parameters
        ----------
        trace : Trace
            The result of :meth:`forward` on this network.
        dr_L : array, shape (batch, n_L)
            dC/dr^(L).
        on_block, step, keep
            Hooks, as in :func:`backpropagate`: observe each block's result,
            replace the per-block step, or keep only ``dr[0]`` and ``dr[L]``.

        Returns
        -------
        Gradients
        """
        self._check_trace(trace)
        dr_L = as_float_array(dr_L, "dr_L", ndim=2)
        if dr_L.shape != trace.r[-1].shape:
            raise ValueError(f"dr_L must have shape (batch, n_L) = {trace.r[-1].shape}; got {dr_L.shape}")
        return backpropagate(self.layers, self.activation_of, trace, dr_L,
                             on_block=on_block, step=step, keep=keep)

    def backward(self, trace: Trace, y) -> Gradients:
        """Backpropagate the squared-error cost through the network.

        :meth:`backward_from` started from dC/dŷ = (ŷ - y) / batch
        (``eq-output-grad``): each block's backward from the last to the
        first, for dense layers :func:`~reluprop.layers.backward_step`.

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
        self._check_trace(trace)
        y = self._check_y(y, trace.r[0].shape[0])
        return self.backward_from(trace, squared_error_grad(trace.r[-1], y))

    def gradients(self, x, y) -> Gradients:
        """``backward(forward(x), y)`` in one call."""
        return self.backward(self.forward(x), y)

    def with_params(self, W, b=None) -> "Network":
        """A new network with the same activations and weights ``W`` (and biases ``b``)."""
        if b is None:
            b = [None] * len(W)
        return Network([Layer(Wk, bk) for Wk, bk in zip(W, b)], self.activation, self.output_activation)

    def with_block_params(self, params, *, check: bool = True) -> "Network":
        """A new network whose block ``k`` has the parameters ``params[k]``.

        Parameters
        ----------
        params : list of dicts, length L
            ``params[k]`` maps names to arrays, with the keys of
            ``self.layers[k].params`` (as in ``Gradients.params``); a
            missing name keeps the block's current value.
        check : bool
            If True (the default), each block is rebuilt through its
            constructor, with ``dataclasses.replace``, so its checks
            (shapes, finite values) run again. If False, each block is a
            shallow copy with the given arrays put in place, unchecked: for a
            caller that has already checked them and knows the shapes are
            unchanged (the training loop, after an update of the same shape).

        Every block keeps its other settings (a residual block its branch
        scale, a normalized layer its ``norm`` and ``eps``): the blocks are
        frozen dataclasses whose constructors take their parameters by name.
        The activations are those of this network. The arrays are not copied.
        With ``check=False`` the network itself is not checked again either
        (its blocks chain as before), which keeps a training step at a
        thousand layers close to the cost of its matrix products.
        """
        params = list(params)
        if len(params) != self.depth:
            raise ValueError(f"params must hold one dict per block ({self.depth}); got {len(params)}")
        blocks = []
        for k, (block, p) in enumerate(zip(self.layers, params)):
            if not isinstance(p, dict):
                raise TypeError(f"params[{k}] must be a dict of arrays by name, got {type(p).__name__}")
            if check:
                unknown = sorted(set(p) - set(block.params))
                if unknown:
                    raise ValueError(f"params[{k}] has names {unknown} that block {k} does not have; "
                                     f"expected some of {sorted(block.params)}")
                blocks.append(dataclasses.replace(block, **p))
            elif type(block) is Layer:
                blocks.append(Layer._unchecked(p.get("W", block.W), p.get("b", block.b)))
            else:
                new = copy.copy(block)
                for name, value in p.items():
                    object.__setattr__(new, name, value)
                blocks.append(new)
        if not check:
            return Network._unchecked(blocks, self.activation, self.output_activation)
        return Network(blocks, self.activation, self.output_activation)
