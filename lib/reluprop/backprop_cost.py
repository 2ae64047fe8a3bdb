"""Why backpropagation is fast, and what it must remember: three ways to a gradient.

The chapter *The computational graph* compares three ways of computing every
weight gradient of a scalar ReLU chain of ``L`` layers (``eq-chain``):

- **expanding the chain**: evaluate ``eq-chain`` separately for each weight,
  as :func:`reluprop.scalar.chain_gradient` does. The gradient of ``w^(k)``
  is a product of ``2 (L - k) + 1`` factors, which takes ``2 (L - k)``
  multiplications, so all of them together take
  ``Σ_{k=0}^{L-1} 2 (L - k) = L^2 + L``: O(L^2).
- **reverse accumulation** (backpropagation): walk back once, reusing the
  product accumulated so far (``eq-graph-backward``). Per layer: one product
  for ``∂C/∂z``, one for ``∂C/∂w``, one to hand ``∂C/∂r`` down (not needed
  below the first layer): ``3 L - 1`` multiplications, O(L).
- **finite differences**: two forward passes per parameter (``eq-central-diff``),
  each with ``L`` products ``w^(k) r^(k)``: ``2 L · L`` multiplications, O(L^2)
  for the chain and O(P · F) for a network with ``P`` parameters and a forward
  pass of ``F`` multiply-adds.

:func:`chain_multiplications` gives these counts; :func:`time_gradient_methods`
measures the three on the same machine. :func:`stored_floats` counts what a
forward pass must keep for the backward pass (``eq-graph-memory``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import scalar
from ._validate import require_int, require_sizes
from .gradcheck import numerical_gradient
from .layers import Layer
from .network import Network

__all__ = [
    "METHODS",
    "chain_multiplications",
    "ChainTimes",
    "time_gradient_methods",
    "StoredFloats",
    "stored_floats",
]

#: The three ways to every weight gradient of a chain, in the order used everywhere here.
METHODS = ("expanded chain", "reverse accumulation", "finite differences")


def chain_multiplications(L: int) -> dict:
    """Multiplications each method needs for all ``L`` weight gradients of a scalar chain.

    The first two counts start after one forward pass (the ``L`` products
    ``w^(k) r^(k)``, which both need once and which are not counted); the
    count of finite differences is made of forward passes only.

    Parameters
    ----------
    L : int
        Depth of the chain, >= 1.

    Returns
    -------
    dict
        ``{"expanded chain": L^2 + L, "reverse accumulation": 3 L - 1,
        "finite differences": 2 L^2}``, keyed by :data:`METHODS`.
    """
    L = require_int(L, "L", minimum=1)
    return {METHODS[0]: L * L + L, METHODS[1]: 3 * L - 1, METHODS[2]: 2 * L * L}


@dataclass(frozen=True)
class ChainTimes:
    """Measured seconds per full gradient, one array entry per depth.

    Attributes
    ----------
    depths : array of int
    seconds : dict
        Keyed by :data:`METHODS`; each an array like ``depths``.
    """

    depths: np.ndarray
    seconds: dict


def _best_time(fn, repeats):
    """Fastest of ``repeats`` runs of ``fn()``, in seconds of processor time.

    ``time.process_time`` counts only the time the processor spent on
    this process. The wall clock would also count time given to other
    programs on a shared machine, and more of it the longer a run lasts,
    which bends the measured growth with depth.
    """
    best = np.inf
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def time_gradient_methods(depths, *, rng, repeats: int = 3) -> ChainTimes:
    """Time the three methods on scalar ReLU chains of the given depths.

    Weights are drawn in [0.9, 1.1] (every unit active), ``x`` in [0.5, 2]
    and ``y`` in [0, 1]. Expanded chain: :func:`reluprop.scalar.chain_gradient`;
    reverse accumulation: :meth:`reluprop.network.Network.gradients` on the
    1-1-...-1 network; finite differences: central differences of
    :meth:`reluprop.network.Network.cost` over all ``L`` weights. Each time is
    the fastest of ``repeats`` runs, in processor time
    (``time.process_time``), so that other programs sharing the machine
    do not inflate it. Times depend on the machine; the counts of
    :func:`chain_multiplications` do not.

    Parameters
    ----------
    depths : sequence of int
        Chain depths, each >= 1.
    rng : numpy.random.Generator
    repeats : int
        Runs per measurement, >= 1.

    Returns
    -------
    ChainTimes
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    repeats = require_int(repeats, "repeats", minimum=1)
    depths = np.array([require_int(int(L), f"depths[{i}]", minimum=1) for i, L in enumerate(depths)])
    seconds = {m: np.zeros(len(depths)) for m in METHODS}
    for i, L in enumerate(depths):
        w = rng.uniform(0.9, 1.1, size=L)
        x, y = float(rng.uniform(0.5, 2.0)), float(rng.uniform(0.0, 1.0))
        X, Y = np.array([[x]]), np.array([[y]])
        net = Network([Layer([[wk]]) for wk in w])

        def cost_of(theta):
            return Network([Layer([[t]]) for t in theta]).cost(X, Y)

        seconds[METHODS[0]][i] = _best_time(lambda: scalar.chain_gradient(w, x, y), repeats)
        seconds[METHODS[1]][i] = _best_time(lambda: net.gradients(X, Y), repeats)
        seconds[METHODS[2]][i] = _best_time(lambda: numerical_gradient(cost_of, w.copy()), repeats)
    return ChainTimes(depths=depths, seconds=seconds)


@dataclass(frozen=True)
class StoredFloats:
    """Numbers a forward pass keeps for the backward pass (``eq-graph-memory``).

    Attributes
    ----------
    inputs_r : int
        ``Σ_{k=0}^{L-1} B n_k``: every layer's input ``r^(k)``, needed for
        ``∂C/∂W^(k)``.
    pre_activations_z : int
        ``Σ_{k=1}^{L} B n_k``: every ``z^(k)``, needed for ``f'(z^(k))``.
    relu_outputs_only : int
        ``Σ_{k=0}^{L} B n_k``: with ReLU, ``Step(z) = 1`` exactly where
        ``r = ReLU(z) > 0``, so the outputs ``r^(0..L)`` are enough.
    forward_only_peak : int
        ``max_k B (n_k + n_{k+1})``: a forward pass that is not followed by a
        backward pass needs only the current layer's input and output.
    parameters : int
        ``Σ_k (n_k n_{k+1} + n_{k+1})``: weights and biases, for comparison.
    """

    inputs_r: int
    pre_activations_z: int
    relu_outputs_only: int
    forward_only_peak: int
    parameters: int

    @property
    def kept(self) -> int:
        """``inputs_r + pre_activations_z``: what :class:`reluprop.network.Trace` holds."""
        return self.inputs_r + self.pre_activations_z


def stored_floats(sizes, batch: int) -> StoredFloats:
    """Count the numbers kept between the forward and the backward pass.

    Parameters
    ----------
    sizes : sequence of int
        Widths ``[n_0, ..., n_L]``, length >= 2.
    batch : int
        Number of examples ``B``, >= 1.

    Returns
    -------
    StoredFloats
    """
    sizes = require_sizes(sizes)
    B = require_int(batch, "batch", minimum=1)
    L = len(sizes) - 1
    return StoredFloats(
        inputs_r=B * sum(sizes[:L]),
        pre_activations_z=B * sum(sizes[1:]),
        relu_outputs_only=B * sum(sizes),
        forward_only_peak=max(B * (sizes[k] + sizes[k + 1]) for k in range(L)),
        parameters=sum(sizes[k] * sizes[k + 1] + sizes[k + 1] for k in range(L)),
    )
