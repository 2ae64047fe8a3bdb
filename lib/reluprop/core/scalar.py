"""Scalar chains: one neuron per layer, no biases, as in the original question.

A chain of ``L`` layers with weights ``w = [w^(0), ..., w^(L-1)]`` (input to
output, the answer's numbering) computes::

    z^(k+1) = w^(k) r^(k),   r^(k+1) = f(z^(k+1)),   r^(0) = x,   ŷ = r^(L)

with cost C = (ŷ - y)^2 / 2. The gradient of C with respect to ``w^(k)`` is
one product with a factor ``f'(z^(m))`` for every layer from ``k + 1`` to the
output and a weight ``w^(m)`` for every layer between (``eq-chain``)::

    dC/dw^(k) = (ŷ - y) · f'(z^(L)) · Π_{m=k+1}^{L-1} [w^(m) f'(z^(m))] · r^(k)

The functions here write these products out explicitly (closed forms), which
is how the first chapters derive them; :class:`~reluprop.network.Network`
computes the same numbers by backpropagation, and the tests compare the two.

Every function broadcasts over NumPy arrays, so ``x``, ``y`` and the weights
may be grids (e.g. a map over the (w1, w2) plane).

The ``first_attempt_*`` functions are the formulas from the original
question, in the learner's numbering, where ``w1`` is the *last* layer's
weight: for three layers, ŷ = ReLU(w1 ReLU(w2 ReLU(w3 x))). Use
:func:`from_learner_numbering` to convert to the answer's order. They are
kept here so the chapters can show, numerically, where they go wrong.
"""

from __future__ import annotations

import numpy as np

from .activations import get_activation, relu, step

__all__ = [
    "chain_forward",
    "chain_gradient",
    "one_layer_gradient",
    "two_layer_gradients",
    "three_layer_gradients",
    "from_learner_numbering",
    "first_attempt_one_layer",
    "first_attempt_two_layers",
    "first_attempt_three_layers",
    "first_attempt_update_all_three",
]


def _f(v):
    return np.asarray(v, dtype=np.float64)


def chain_forward(w, x, activation="relu"):
    """Forward pass of a scalar chain.

    Parameters
    ----------
    w : sequence of floats or arrays, length L >= 1
        Weights ``w^(0) .. w^(L-1)``, input to output.
    x : float or array
        Input ``r^(0)``.
    activation : str or Activation

    Returns
    -------
    z, r : lists of length L + 1
        ``z[0]`` is None; ``r[0]`` is ``x``; ``r[L]`` is ŷ.
    """
    act = get_activation(activation)
    w = list(w)
    if len(w) < 1:
        raise ValueError("w must hold at least one weight")
    z, r = [None], [_f(x)]
    for wk in w:
        z.append(_f(wk) * r[-1])
        r.append(act.f(z[-1]))
    return z, r


def chain_gradient(w, x, y, activation="relu"):
    """dC/dw^(k) for every k of a scalar chain, by the closed form ``eq-chain``.

    Each entry is the explicit product (ŷ - y) · f'(z^(L)) ·
    Π_{m=k+1}^{L-1} [w^(m) f'(z^(m))] · r^(k), with no backward recursion.

    Parameters
    ----------
    w : sequence, length L
        Weights, input to output.
    x, y : float or array
        Input and target.
    activation : str or Activation

    Returns
    -------
    list of arrays, length L
        Entry ``k`` is dC/dw^(k).
    """
    act = get_activation(activation)
    w = [_f(v) for v in w]
    z, r = chain_forward(w, x, act)
    L = len(w)
    err = r[L] - _f(y)
    grads = []
    for k in range(L):
        factor = err * act.df(z[L])
        for m in range(k + 1, L):
            factor = factor * w[m] * act.df(z[m])
        grads.append(factor * r[k])
    return grads


def one_layer_gradient(w0, x, y):
    """One ReLU neuron: dC/dw^(0) = (ŷ - y) Step(z^(1)) x (``eq-one-neuron-dw``)."""
    w0, x, y = _f(w0), _f(x), _f(y)
    z1 = w0 * x
    y_hat = relu(z1)
    return (y_hat - y) * step(z1) * x


def two_layer_gradients(w0, w1, x, y):
    """Two ReLU neurons in a chain (``eq-two-dw1``, ``eq-two-dw0``).

    ŷ = ReLU(w1 ReLU(w0 x)). Returns ``(dC/dw0, dC/dw1)``:

    dC/dw1 = (ŷ - y) Step(z2) r1
    dC/dw0 = (ŷ - y) Step(z2) w1 Step(z1) x
    """
    w0, w1, x, y = _f(w0), _f(w1), _f(x), _f(y)
    z1 = w0 * x
    r1 = relu(z1)
    z2 = w1 * r1
    y_hat = relu(z2)
    e = y_hat - y
    d_w1 = e * step(z2) * r1
    d_w0 = e * step(z2) * w1 * step(z1) * x
    return d_w0, d_w1


def three_layer_gradients(w0, w1, w2, x, y):
    """Three ReLU neurons in a chain (``eq-three-dw``).

    ŷ = ReLU(w2 ReLU(w1 ReLU(w0 x))). Returns ``(dC/dw0, dC/dw1, dC/dw2)``:

    dC/dw2 = (ŷ - y) Step(z3) r2
    dC/dw1 = (ŷ - y) Step(z3) w2 Step(z2) r1
    dC/dw0 = (ŷ - y) Step(z3) w2 Step(z2) w1 Step(z1) x
    """
    w0, w1, w2, x, y = _f(w0), _f(w1), _f(w2), _f(x), _f(y)
    z1 = w0 * x
    r1 = relu(z1)
    z2 = w1 * r1
    r2 = relu(z2)
    z3 = w2 * r2
    y_hat = relu(z3)
    e = y_hat - y
    d_w2 = e * step(z3) * r2
    d_w1 = e * step(z3) * w2 * step(z2) * r1
    d_w0 = e * step(z3) * w2 * step(z2) * w1 * step(z1) * x
    return d_w0, d_w1, d_w2


def from_learner_numbering(*weights):
    """Convert the learner's weights ``(w1, ..., wL)`` (w1 = last layer) to
    the answer's order ``[w^(0), ..., w^(L-1)]`` (input first)."""
    return list(reversed(weights))


def first_attempt_one_layer(w1, x, y):
    """The question's one-layer formula: dC/dw1 = (y - ReLU(w1 x)) x.

    Differs from :func:`one_layer_gradient` by its sign, and by a missing
    Step(w1 x) factor (non-zero where the neuron is inactive).
    """
    w1, x, y = _f(w1), _f(x), _f(y)
    return (y - relu(w1 * x)) * x


def first_attempt_two_layers(w1, w2, x, y):
    """The question's two-layer formula for the first layer's weight ``w2``:

    dC/dw2 = (y - ReLU(w1 ReLU(w2 x))) (w1 x)

    derived from the identity ReLU(w1 ReLU(w2 x)) = w1 w2 x, which holds only
    when w2 x > 0 and w1 w2 x > 0.
    """
    w1, w2, x, y = _f(w1), _f(w2), _f(x), _f(y)
    y_hat = relu(w1 * relu(w2 * x))
    return (y - y_hat) * (w1 * x)


def _learner_three_layer_output(w1, w2, w3, x):
    return relu(w1 * relu(w2 * relu(w3 * x)))


def first_attempt_three_layers(w1, w2, w3, x, y):
    """The question's three-layer formula for the first layer's weight ``w3``:

    dC/dw3 = (y - ReLU(w1 ReLU(w2 ReLU(w3 x)))) (w1 w2 x)
    """
    w1, w2, w3, x, y = _f(w1), _f(w2), _f(w3), _f(x), _f(y)
    y_hat = _learner_three_layer_output(w1, w2, w3, x)
    return (y - y_hat) * (w1 * w2 * x)


def first_attempt_update_all_three(w1, w2, w3, x, y):
    """The question's list for updating all three weights of the 3-layer chain.

    The one- and two-layer formulas are reused with the three-layer output ŷ:

    - ``"w1"``: (y - ŷ) x         (the last layer's input is taken to be x,
      but it is ReLU(w2 ReLU(w3 x)))
    - ``"w2"``: (y - ŷ) (w1 x)
    - ``"w3"``: (y - ŷ) (w1 w2 x)

    Returns
    -------
    dict
        Keys ``"w1"``, ``"w2"``, ``"w3"`` (learner's numbering).
    """
    w1, w2, w3, x, y = _f(w1), _f(w2), _f(w3), _f(x), _f(y)
    e = y - _learner_three_layer_output(w1, w2, w3, x)
    return {"w1": e * x, "w2": e * (w1 * x), "w3": e * (w1 * w2 * x)}
