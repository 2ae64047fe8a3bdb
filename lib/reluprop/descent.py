"""Plain gradient descent that records its path, for comparing gradient formulas.

The chapter *One neuron* runs the same descent twice, once with the true
gradient and once with the first attempt's formula, and plots the cost along
each path. :func:`gradient_descent` takes any gradient function, so the
formula under test is the only thing that changes between the two runs:

    w_{t+1} = w_t - lr * g(w_t)                         (eq-one-neuron-descent)

A formula with the wrong sign makes this update climb the cost, and the
weight can grow until it overflows. The loop stops at the first non-finite
weight or cost and says so (``DescentPath.diverged``) rather than filling the
record with ``inf`` and ``nan``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core._validate import as_float_array, require_finite, require_int, require_real

__all__ = ["DescentPath", "gradient_descent"]


@dataclass(frozen=True)
class DescentPath:
    """The record of one run of :func:`gradient_descent`.

    Attributes
    ----------
    w : array, shape (n + 1, *shape of w0)
        ``w[t]`` is the parameter after ``t`` updates; ``w[0]`` is ``w0``.
    cost : array of shape (n + 1,), or None
        ``cost[t]`` is the cost at ``w[t]``; None if no ``cost_fn`` was given.
    lr : float
        The learning rate.
    diverged : bool
        True if the run stopped early because the next weight or cost was
        not finite (``n`` is then smaller than the requested ``steps``).
    """

    w: np.ndarray
    cost: np.ndarray | None
    lr: float
    diverged: bool = False

    @property
    def steps(self) -> int:
        """Number of updates recorded, ``n``."""
        return self.w.shape[0] - 1

    @property
    def final_w(self) -> np.ndarray:
        """The last recorded parameter, ``w[n]``."""
        return self.w[-1]

    @property
    def final_cost(self) -> float | None:
        """The last recorded cost, ``cost[n]`` (None without ``cost_fn``)."""
        return None if self.cost is None else float(self.cost[-1])


def gradient_descent(grad_fn, w0, lr: float, steps: int, cost_fn=None) -> DescentPath:
    """Run ``steps`` updates ``w <- w - lr * grad_fn(w)`` (``eq-one-neuron-descent``).

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(w)`` returns the (claimed) gradient at ``w``, with the shape
        of ``w0``. It receives a copy, so it may not change the path.
    w0 : float or array
        Starting point; must be finite.
    lr : float
        Learning rate, > 0.
    steps : int
        Number of updates, >= 0.
    cost_fn : callable, optional
        ``cost_fn(w)`` returns the cost as a float; recorded at every point.

    Returns
    -------
    DescentPath
        The weights (and costs) along the way. If an update produces a
        non-finite weight or cost, the run stops before recording it and
        ``diverged`` is True.

    Raises
    ------
    TypeError
        If ``grad_fn`` or ``cost_fn`` is not callable.
    ValueError
        If ``lr`` is not > 0, ``steps`` < 0, ``w0`` is not finite, or
        ``grad_fn`` returns a different shape from ``w0``.
    """
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    if cost_fn is not None and not callable(cost_fn):
        raise TypeError(f"cost_fn must be callable or None, got {type(cost_fn).__name__}")
    lr = require_real(lr, "lr", minimum=0.0, strict=True)
    steps = require_int(steps, "steps", minimum=0)
    w = as_float_array(w0, "w0").copy()
    require_finite(w, "w0")

    def cost_at(v):
        return float(cost_fn(v.copy()))

    ws = [w.copy()]
    costs = [cost_at(w)] if cost_fn is not None else None
    if costs is not None and not np.isfinite(costs[0]):
        raise ValueError(f"cost_fn(w0) must be finite, got {costs[0]}")
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            g = as_float_array(grad_fn(w.copy()), "grad_fn(w)")
            if g.shape != w.shape:
                raise ValueError(
                    f"grad_fn(w) must have the shape of w0 {w.shape}; got {g.shape}"
                )
            w_next = w - lr * g
            if not np.all(np.isfinite(w_next)):
                diverged = True
                break
            if costs is not None:
                c = cost_at(w_next)
                if not np.isfinite(c):
                    diverged = True
                    break
                costs.append(c)
            w = w_next
            ws.append(w.copy())
    return DescentPath(
        w=np.stack(ws),
        cost=None if costs is None else np.asarray(costs, dtype=np.float64),
        lr=lr,
        diverged=diverged,
    )
