"""Gradient checking: finite differences against backpropagation.

The central difference (``eq-central-diff``)::

    df/dθ ≈ (f(θ + h) - f(θ - h)) / (2h)

has error O(h²); the one-sided difference (f(θ + h) - f(θ)) / h has error
O(h). Results are compared with a relative error that has a floor, so two
gradients that are both almost zero do not look different (``eq-rel-error``)::

    rel_error(a, b) = max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)

ReLU is not differentiable at 0: a finite difference whose step crosses the
kink measures an average of the two slopes. :func:`check_network` reports how
close the pre-activations come to the kink, and
:func:`kink_free_inputs` draws inputs that keep every pre-activation away
from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array, require_generator, require_int, require_method, require_network, require_real

__all__ = [
    "numerical_gradient",
    "rel_error",
    "check_network",
    "GradcheckReport",
    "kink_free_inputs",
    "min_abs_preactivation",
]

_KINKED = ("relu", "leaky_relu")


def numerical_gradient(f, theta, h: float = 1e-6, upstream=None, method: str = "central"):
    """Finite-difference gradient of ``f`` at ``theta``.

    Parameters
    ----------
    f : callable
        ``f(theta)`` returns a float, or an array when ``upstream`` is given.
        It is called on a perturbed copy of ``theta``; ``theta`` itself is
        never modified.
    theta : array of any shape
        The point.
    h : float
        Step, > 0.
    upstream : array, optional
        For array-valued ``f``: the gradient is that of ``sum(upstream * f)``
        (a vector-Jacobian product, as backpropagation computes).
    method : str
        ``"central"`` (error O(h²), ``eq-central-diff``) or ``"forward"``
        (one-sided, error O(h)).

    Returns
    -------
    array, shape of ``theta``
    """
    h = require_real(h, "h", minimum=0.0, strict=True)
    require_method(method)
    theta = as_float_array(theta, "theta")
    point = theta.copy()
    up = None if upstream is None else as_float_array(upstream, "upstream")

    def scalar(v):
        out = f(v)
        if up is None:
            return float(out)
        return float(np.sum(up * np.asarray(out, dtype=np.float64)))

    grad = np.zeros_like(point)
    base = scalar(point.copy()) if method == "forward" else None
    for idx in np.ndindex(point.shape):
        old = point[idx]
        point[idx] = old + h
        plus = scalar(point.copy())
        if method == "central":
            point[idx] = old - h
            minus = scalar(point.copy())
            grad[idx] = (plus - minus) / (2 * h)
        else:
            grad[idx] = (plus - base) / h
        point[idx] = old
    return grad


def rel_error(a, b, floor: float = 1e-8) -> float:
    """Largest elementwise relative error between ``a`` and ``b`` (``eq-rel-error``).

    ``max |a - b| / max(|a| + |b|, floor)``; shapes must match exactly.
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    floor = require_real(floor, "floor", minimum=0.0, strict=True)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


def min_abs_preactivation(net, x) -> float:
    """Smallest ``|z|`` over all kinked layers (ReLU, leaky ReLU) for input ``x``.

    Returns ``inf`` if no layer has a kinked activation.
    """
    trace = net.forward(x)
    smallest = np.inf
    for k in range(1, net.depth + 1):
        if net.activation_of(k).name in _KINKED:
            smallest = min(smallest, float(np.min(np.abs(trace.z[k]))))
    return smallest


def kink_free_inputs(net, batch: int, *, rng, margin: float = 1e-3, max_tries: int = 10_000):
    """Draw ``x`` of shape (batch, n_0) whose pre-activations all satisfy ``|z| > margin``.

    Rows are drawn from a standard normal one at a time and kept only if no
    kinked pre-activation of that row lies within ``margin`` of 0, so that a
    central difference with step ``h < margin / (max input sensitivity)``
    never crosses a kink.

    Raises
    ------
    RuntimeError
        If ``max_tries`` draws do not give ``batch`` acceptable rows (for
        instance when a layer outputs exactly 0 for every input).
    """
    batch = require_int(batch, "batch", minimum=1)
    margin = require_real(margin, "margin", minimum=0.0)
    require_generator(rng)
    rows = []
    n0 = net.sizes[0]
    for _ in range(max_tries):
        row = rng.standard_normal((1, n0))
        if min_abs_preactivation(net, row) > margin:
            rows.append(row)
            if len(rows) == batch:
                return np.vstack(rows)
    raise RuntimeError(
        f"could not draw {batch} inputs with every |z| > margin={margin} in {max_tries} tries; "
        "a layer may sit on the kink for all inputs (e.g. zero biases and weights)"
    )


@dataclass
class GradcheckReport:
    """Result of :func:`check_network`.

    Attributes
    ----------
    errors : dict
        ``"W[k]"`` / ``"b[k]"`` (a parameter's name and its block ``k``) ->
        relative error between backprop and the numerical gradient.
    max_error : float
        The largest of ``errors``.
    tol : float
        The tolerance the check used.
    min_abs_z : float
        Closest approach of a kinked pre-activation to 0.
    h : float
        Finite-difference step.
    near_kink : bool
        True if ``min_abs_z < 10 * h * scale``: a step may have crossed the
        kink, and a large error there says nothing about backprop.
    """

    errors: dict = field(default_factory=dict)
    max_error: float = 0.0
    tol: float = 1e-7
    min_abs_z: float = np.inf
    h: float = 1e-6
    near_kink: bool = False

    @property
    def passed(self) -> bool:
        """True when every relative error is at most ``tol``."""
        return self.max_error <= self.tol

    def __str__(self) -> str:
        lines = [
            f"gradient check {'passed' if self.passed else 'FAILED'}: "
            f"max relative error {self.max_error:.1e} (tolerance {self.tol:.0e})"
        ]
        for name, err in self.errors.items():
            flag = "" if err <= self.tol else "   <-- exceeds tolerance"
            lines.append(f"  {name:<6} {err:.1e}{flag}")
        if np.isfinite(self.min_abs_z):
            where = "NEAR THE KINK: finite differences may cross it" if self.near_kink else "clear of the kink"
            lines.append(f"  smallest |z| at a ReLU: {self.min_abs_z:.1e} ({where})")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):  # IPython display
        p.text(str(self))


def _grad_of(grads, k, name):
    """Block ``k``'s gradient for parameter ``name``: from ``grads.params``, or ``dW``/``db``."""
    params = getattr(grads, "params", None)
    if params is not None:
        return params[k][name]
    return {"W": grads.dW, "b": grads.db}[name][k]


def check_network(net, x, y, h: float = 1e-5, tol: float = 1e-7, floor: float = 1e-8,
                  backward=None) -> GradcheckReport:
    """Compare backprop's ``dW[k]``, ``db[k]`` with central differences.

    Every parameter of every block is checked (for a dense layer ``W`` and
    ``b``; for other blocks the names of their ``params``, e.g. ``W1``, ``b1``,
    ``W2``, ``b2`` of a residual block), each perturbed entry by entry.

    Parameters
    ----------
    net : Network
    x : array, shape (batch, n_0)
    y : array, shape (batch, n_L)
    h : float
        Finite-difference step.
    tol : float
        Pass if every relative error (``eq-rel-error``) is at most ``tol``.
    floor : float
        Floor of the relative error's denominator.
    backward : callable, optional
        ``backward(net, x, y)`` returning a :class:`~reluprop.network.Gradients`
        (or any object with ``params``, or with ``dW`` and ``db`` lists); defaults to ``net.backward(net.forward(x), y)``. Pass your own
        to check it.

    Returns
    -------
    GradcheckReport
        Per-parameter errors, and how close the inputs came to the kink.
    """
    require_network(net)
    tol = require_real(tol, "tol", minimum=0.0, strict=True)
    grads = net.gradients(x, y) if backward is None else backward(net, x, y)
    errors = {}
    for k, block in enumerate(net.layers):
        for name, value in block.params.items():
            def cost(v, k=k, name=name):
                changed = [{}] * net.depth
                changed[k] = {name: v}
                return net.with_block_params(changed).cost(x, y)

            errors[f"{name}[{k}]"] = rel_error(_grad_of(grads, k, name), numerical_gradient(cost, value, h),
                                               floor)
    min_z = min_abs_preactivation(net, x)
    # A step h in one weight moves z by at most h * (largest input magnitude) at that layer;
    # use 10 h times the largest activation as the danger zone.
    trace = net.forward(x)
    reach = h * max(1.0, max(float(np.max(np.abs(r))) for r in trace.r))
    return GradcheckReport(
        errors=errors,
        max_error=max(errors.values()),
        tol=tol,
        min_abs_z=min_z,
        h=h,
        near_kink=bool(min_z < 10 * reach),
    )
