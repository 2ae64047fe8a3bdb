"""Finite differences under the microscope: step-size sweeps, precision, planted bugs.

The chapter *Gradient checking* uses these to show *why* the checks in
:mod:`reluprop.gradcheck` are set up as they are:

- :func:`error_vs_step` sweeps the step ``h`` of a central (``eq-central-diff``)
  or one-sided difference and returns its relative error (``eq-rel-error``)
  against backpropagation, with the cost evaluated in float64 or float32
  arithmetic (:func:`cost_in_dtype`);
- :func:`fit_slope` measures the order of the truncation error on log-log
  axes (about 2 for central, 1 for one-sided differences);
- :func:`optimal_step` gives the step that balances truncation against
  round-off, ``eps^(1/3)`` or ``eps^(1/2)`` for machine epsilon ``eps``;
- :func:`broken_backward` returns backward passes with a planted bug, which
  :func:`reluprop.gradcheck.check_network` must catch.
"""

from __future__ import annotations

import numpy as np

from .core._validate import as_float_array, require_choice, require_int, require_method, require_network
from .core.activations import get_activation
from .core.gradcheck import numerical_gradient, rel_error
from .core.layers import backward_step
from .core.losses import squared_error_grad

__all__ = [
    "cost_in_dtype",
    "error_vs_step",
    "fit_slope",
    "optimal_step",
    "best_possible_error",
    "BUGS",
    "broken_backward",
]

_DTYPES = (np.float64, np.float32)


def _check_dtype(dtype):
    dt = np.dtype(dtype)
    if dt.type not in _DTYPES:
        raise ValueError(f"dtype must be float64 or float32; got {dt}")
    return dt.type


def _check_param(net, param):
    if not (isinstance(param, tuple) and len(param) == 2 and param[0] in ("W", "b")):
        raise ValueError(f"param must be ('W', k) or ('b', k); got {param!r}")
    kind = param[0]
    k = require_int(param[1], "param[1]", minimum=0)
    if k >= net.depth:
        raise ValueError(f"param[1] must be a layer index below {net.depth}; got {k}")
    return kind, k


def cost_in_dtype(net, x, y, dtype=np.float64, W=None, b=None) -> float:
    """The squared-error cost (``eq-cost``) computed entirely in ``dtype`` arithmetic.

    Weights, biases, inputs and targets are rounded to ``dtype``; every matrix
    product, bias, activation and the final sum is computed and rounded in
    ``dtype``. With ``float64`` this equals ``net.cost(x, y)``.

    Parameters
    ----------
    net : Network
        Supplies the activations (and the parameters unless ``W``/``b`` given).
    x : array, shape (batch, n_0)
    y : array, shape (batch, n_L)
    dtype : numpy float type
        ``numpy.float64`` or ``numpy.float32``.
    W, b : lists of arrays, optional
        Parameters to use instead of the network's.

    Returns
    -------
    float
    """
    require_network(net)
    dt = _check_dtype(dtype)
    W = net.W if W is None else W
    b = net.b if b is None else b
    r = as_float_array(x, "x", ndim=2).astype(dt)
    y = as_float_array(y, "y", ndim=2).astype(dt)
    for k in range(net.depth):
        z = r @ np.asarray(W[k]).astype(dt) + np.asarray(b[k]).astype(dt)
        # The activation is evaluated and then rounded to dtype: a correctly
        # rounded result, as dtype arithmetic would give.
        r = np.asarray(net.activation_of(k + 1).f(z)).astype(dt)
    diff = r - y
    return float(dt(0.5) * np.sum(diff * diff, dtype=dt) / dt(y.shape[0]))


def error_vs_step(net, x, y, hs, method: str = "central", dtype=np.float64, param=("W", 0),
                  measure: str = "max", floor: float = 1e-8):
    """Relative error of a finite-difference gradient for each step in ``hs``.

    The finite difference of :func:`cost_in_dtype` with respect to one
    parameter array (all its entries) is compared with backpropagation in
    float64, ``net.gradients(x, y)``.

    Two measures of the error are available. ``"max"`` is the largest
    entrywise relative error with a floor, :func:`reluprop.gradcheck.rel_error`
    (``eq-rel-error``), the measure of a pass/fail check; it is set by the
    entries with the smallest gradients. ``"norm"`` is
    ``||numerical - backprop|| / ||backprop||`` (Euclidean norms over all
    entries), which weighs the entries by their size and shows the
    truncation and round-off regimes most clearly.

    Parameters
    ----------
    net : Network
    x : array, shape (batch, n_0)
    y : array, shape (batch, n_L)
    hs : sequence of float
        Steps, each > 0.
    method : str
        ``"central"`` (``eq-central-diff``) or ``"forward"`` (one-sided).
    dtype : numpy float type
        Arithmetic of the cost evaluations: ``numpy.float64`` or ``numpy.float32``.
    param : tuple
        ``("W", k)`` or ``("b", k)``: which parameter array to differentiate.
    measure : str
        ``"max"`` or ``"norm"`` (see above).
    floor : float
        Floor of the relative error (``eq-rel-error``), for ``measure="max"``.

    Returns
    -------
    array, shape (len(hs),)
        The relative error for each step.
    """
    require_network(net)
    require_method(method)
    kind, k = _check_param(net, param)
    dt = _check_dtype(dtype)
    hs = as_float_array(hs, "hs", ndim=1)
    if hs.size == 0 or np.any(hs <= 0) or not np.all(np.isfinite(hs)):
        raise ValueError("hs must be a non-empty sequence of finite steps > 0")
    if measure not in ("max", "norm"):
        raise ValueError(f"measure must be 'max' or 'norm'; got {measure!r}")
    grads = net.gradients(x, y)
    exact = grads.dW[k] if kind == "W" else grads.db[k]
    size = float(np.linalg.norm(exact))
    if measure == "norm" and size == 0.0:
        raise ValueError(f"the gradient of {kind}[{k}] is exactly 0: its relative error is undefined")
    W, b = list(net.W), list(net.b)

    def cost(theta):
        if kind == "W":
            return cost_in_dtype(net, x, y, dt, W[:k] + [theta] + W[k + 1:], b)
        return cost_in_dtype(net, x, y, dt, W, b[:k] + [theta] + b[k + 1:])

    def error(num):
        if measure == "max":
            return rel_error(exact, num, floor)
        return float(np.linalg.norm(num - exact)) / size

    theta = (W[k] if kind == "W" else b[k]).astype(dt).astype(np.float64)
    return np.array([error(numerical_gradient(cost, theta, float(h), method=method)) for h in hs])


def fit_slope(hs, errors, h_min: float, h_max: float) -> float:
    """Least-squares slope of ``log10(errors)`` against ``log10(hs)`` for ``h_min <= h <= h_max``.

    About 2 in the truncation regime of a central difference, 1 for a
    one-sided difference, and about -1 where round-off dominates.

    Raises
    ------
    ValueError
        If fewer than two steps lie in the range, or an error there is not > 0.
    """
    hs = as_float_array(hs, "hs", ndim=1)
    errors = as_float_array(errors, "errors", ndim=1)
    if hs.shape != errors.shape:
        raise ValueError(f"hs and errors must have the same shape; got {hs.shape} and {errors.shape}")
    sel = (hs >= h_min) & (hs <= h_max)
    if np.count_nonzero(sel) < 2:
        raise ValueError(f"need at least two steps in [{h_min}, {h_max}]; got {np.count_nonzero(sel)}")
    if np.any(errors[sel] <= 0):
        raise ValueError("errors must be > 0 in the fitted range (log scale)")
    slope, _ = np.polyfit(np.log10(hs[sel]), np.log10(errors[sel]), 1)
    return float(slope)


def optimal_step(method: str = "central", dtype=np.float64) -> float:
    """The step that balances truncation and round-off error, up to a constant factor.

    Round-off contributes about ``eps / h``; truncation about ``h^2`` (central)
    or ``h`` (one-sided). They balance at ``h = eps^(1/3)`` (central) or
    ``h = eps^(1/2)`` (one-sided), where ``eps`` is the machine epsilon of
    ``dtype``.
    """
    eps = float(np.finfo(_check_dtype(dtype)).eps)
    return eps ** (1.0 / 3.0) if require_method(method) == "central" else eps ** 0.5


def best_possible_error(method: str = "central", dtype=np.float64) -> float:
    """Order of magnitude of the smallest error: ``eps^(2/3)`` (central) or ``eps^(1/2)`` (one-sided).

    Both terms are of this size at :func:`optimal_step`.
    """
    eps = float(np.finfo(_check_dtype(dtype)).eps)
    return eps ** (2.0 / 3.0) if require_method(method) == "central" else eps ** 0.5


#: The planted bugs :func:`broken_backward` knows, with what each gets wrong.
BUGS = {
    "no_step": "forgets the activation's derivative: dz = dr instead of dr * f'(z) (eq-backward-dz)",
    "no_batch_mean": "forgets the 1/B of the output gradient (ŷ - y) / B (eq-output-grad)",
    "no_transpose": "sends the gradient back with dz @ W instead of dz @ W.T (eq-backward-dr; "
                    "needs square W[k] for k >= 1)",
    "sign": "starts from y - ŷ instead of ŷ - y at the output",
}


def broken_backward(bug: str):
    """A backward pass with one planted bug, for :func:`reluprop.gradcheck.check_network`.

    Parameters
    ----------
    bug : str
        One of ``BUGS``: ``"no_step"``, ``"no_batch_mean"``,
        ``"no_transpose"`` or ``"sign"``.

    Returns
    -------
    callable
        ``backward(net, x, y)`` returning :class:`~reluprop.network.Gradients`,
        the signature ``check_network(..., backward=...)`` expects. Apart from
        the bug it is :meth:`reluprop.network.Network.backward`: the network's
        own loop, :meth:`~reluprop.network.Network.backward_from`, with the
        per-layer step replaced (its ``step`` hook) or the output gradient altered.
    """
    require_choice(bug, BUGS, "bug")
    identity = get_activation("identity")

    def buggy_step(k, block, dr, z, r, r_prev, cache, activation):
        W = block.W
        if bug == "no_step":
            activation = identity
        if bug == "no_transpose" and k >= 1:  # dr^(0) is not used by any parameter
            if W.shape[0] != W.shape[1]:
                raise ValueError(
                    f"the 'no_transpose' bug needs square W[k] for k >= 1; W[{k}] has shape {W.shape}"
                )
            W = W.T  # backward_step then computes dz @ W.T.T = dz @ W
        dz, dr_prev, dW, db = backward_step(dr, z, r_prev, W, activation)
        return dz, dr_prev, {"W": dW, "b": db}

    def backward(net, x, y):
        trace = net.forward(x)
        y = as_float_array(y, "y", ndim=2)
        dr_L = squared_error_grad(trace.r[-1], y)
        if bug == "no_batch_mean":
            dr_L = dr_L * trace.r[0].shape[0]
        if bug == "sign":
            dr_L = -dr_L
        return net.backward_from(trace, dr_L, step=buggy_step)

    backward.__doc__ = f"Backpropagation with a planted bug: {BUGS[bug]}."
    return backward
