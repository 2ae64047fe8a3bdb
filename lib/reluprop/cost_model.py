"""What a forward and a backward pass cost: counted multiply-adds, and measured time.

The chapter *The general layer* compares the two passes. For a batch of
``B`` examples and widths ``sizes = [n_0, ..., n_L]``, the matrix products
dominate the work:

- forward, layer ``k``: ``z^(k+1) = r^(k) @ W^(k)`` takes ``B n_k n_{k+1}``
  multiply-adds (``eq-forward-z``);
- backward, layer ``k``: ``dW^(k) = r^(k).T @ dz^(k+1)`` takes
  ``B n_k n_{k+1}`` (``eq-backward-dw``), and ``dr^(k) = dz^(k+1) @ W^(k).T``
  takes another ``B n_k n_{k+1}`` (``eq-backward-dr``), except that no
  parameter needs ``dr^(0) = dC/dx``, so for ``k = 0`` it can be skipped.

So the backward pass needs exactly ``2 F - B n_0 n_1`` multiply-adds when
the forward pass needs ``F``; :func:`reluprop.layers.backward_step` computes
``dr^(0)`` anyway (it is one function for every layer), which makes the
library's backward pass exactly ``2 F``. The elementwise work (adding biases,
activations, the Step factor, the bias sums) grows only like ``B n_{k+1}``
per layer and is counted separately.

:func:`multiply_adds` does the counting; :func:`time_forward_backward`
measures both passes of a :class:`~reluprop.network.Network` on the same
machine, in the same run, so their ratio can be compared with the count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .core._validate import require_int, require_network, require_sizes

__all__ = ["CostCount", "multiply_adds", "time_forward_backward"]


@dataclass(frozen=True)
class CostCount:
    """Multiply-adds of one forward and one backward pass.

    All lists have one entry per layer ``k = 0 .. L-1``.

    Attributes
    ----------
    sizes : tuple of int
        The widths ``(n_0, ..., n_L)``.
    batch : int
        Number of examples ``B``.
    forward_per_layer : list of int
        ``B n_k n_{k+1}``: the product ``r^(k) @ W^(k)``.
    dW_per_layer : list of int
        ``B n_k n_{k+1}``: the product ``r^(k).T @ dz^(k+1)``.
    dr_per_layer : list of int
        ``B n_k n_{k+1}`` for ``k >= 1``, and 0 for ``k = 0`` (``dr^(0)`` is
        not needed by any parameter).
    elementwise_forward, elementwise_backward : int
        Elementwise operations, for comparison: forward adds the bias and
        applies the activation (``2 B n_{k+1}`` per layer); backward forms
        ``dz`` (``B n_{k+1}``) and sums it over the batch for ``db``
        (``B n_{k+1}``), plus the output gradient (``B n_L``).
    """

    sizes: tuple
    batch: int
    forward_per_layer: list
    dW_per_layer: list
    dr_per_layer: list
    elementwise_forward: int
    elementwise_backward: int

    @property
    def forward(self) -> int:
        """Multiply-adds of the forward pass, ``F = sum_k B n_k n_{k+1}``."""
        return int(sum(self.forward_per_layer))

    @property
    def backward(self) -> int:
        """Multiply-adds the backward pass needs: ``2 F - B n_0 n_1``."""
        return int(sum(self.dW_per_layer) + sum(self.dr_per_layer))

    @property
    def backward_library(self) -> int:
        """Multiply-adds of the library's backward pass, which also forms ``dr^(0)``: ``2 F``."""
        return int(sum(self.dW_per_layer) + sum(self.forward_per_layer))

    @property
    def ratio(self) -> float:
        """``backward / forward``: just under 2."""
        return self.backward / self.forward


def multiply_adds(sizes, batch: int) -> CostCount:
    """Count the multiply-adds of the forward and backward passes.

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        Widths ``[n_0, ..., n_L]``, each >= 1.
    batch : int
        Number of examples ``B`` >= 1.

    Returns
    -------
    CostCount
        Per-layer counts and totals; ``.forward``, ``.backward``,
        ``.backward_library`` and ``.ratio``.

    Examples
    --------
    >>> c = multiply_adds([4, 3, 2], batch=5)
    >>> c.forward, c.backward, c.backward_library
    (90, 120, 180)
    """
    sizes = require_sizes(sizes)
    batch = require_int(batch, "batch", minimum=1)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    fwd = [batch * a * b for a, b in pairs]
    d_w = list(fwd)
    d_r = [0] + fwd[1:]
    outs = sum(sizes[1:])
    return CostCount(
        sizes=tuple(sizes),
        batch=batch,
        forward_per_layer=fwd,
        dW_per_layer=d_w,
        dr_per_layer=d_r,
        elementwise_forward=2 * batch * outs,
        elementwise_backward=2 * batch * outs + batch * sizes[-1],
    )


def time_forward_backward(net, x, y, repeats: int = 20):
    """Time one forward pass and one backward pass of ``net``, side by side.

    Both passes are run ``repeats`` times, alternating, after one warm-up
    run; the result is the fastest run of each, the one least disturbed by
    other work on the machine (as ``timeit`` recommends). Each run is timed
    by the processor time of this process (``time.process_time``), not
    the wall clock: on a shared machine the wall clock also counts the time
    the processor spent on other programs, which grows with the length of
    the run and would distort the comparison of large and small layers.
    (With several linear-algebra threads, the processor time adds up all of
    them.) The backward
    pass is timed on the trace of a forward pass computed beforehand, so it
    is timed alone.

    Parameters
    ----------
    net : Network
    x : array, shape (batch, n_0)
    y : array, shape (batch, n_L)
    repeats : int
        Number of timed runs of each pass, >= 1.

    Returns
    -------
    forward_seconds, backward_seconds : float
        Fastest processor time of one pass, in seconds. These depend on the
        machine: compare them only with each other.
    """
    require_network(net)
    repeats = require_int(repeats, "repeats", minimum=1)
    trace = net.forward(x)
    net.backward(trace, y)  # warm-up (and input checks)
    fwd, bwd = [], []
    for _ in range(repeats):
        t0 = time.process_time()
        net.forward(x)
        t1 = time.process_time()
        net.backward(trace, y)
        t2 = time.process_time()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
    return float(min(fwd)), float(min(bwd))
